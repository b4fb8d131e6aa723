"""tests/conftest.py's shared_template: under xdist a story is built once per run, by the
first worker that asks, and every caller gets a copy of its own."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, text

from habeas.db import make_engine
from tests.conftest import shared_template


def _count(path: str) -> int:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM probe")).scalar_one())
    finally:
        engine.dispose()


def test_a_story_is_built_once_per_run_and_each_caller_gets_its_own_copy(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")  # as a worker of an xdist run
    name = f"probe-{uuid.uuid4().hex[:8]}"  # no other test's (or run's) template
    built: list[int] = []

    def build(engine: Engine) -> dict[str, int]:
        built.append(1)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe (x INTEGER)"))
            conn.execute(text("INSERT INTO probe VALUES (1)"))
        return {"seq": 7}

    try:
        first, first_notes = shared_template(tmp_path_factory, name, build)
        second, second_notes = shared_template(tmp_path_factory, name, build)
        assert built == [1]  # the second caller copied the first one's file
        assert first_notes == second_notes == {"seq": 7}
        assert first != second and first.parent != second.parent
        mine = make_engine(f"sqlite:///{first}")
        with mine.begin() as conn:  # the first caller writes into its copy
            conn.execute(text("INSERT INTO probe VALUES (2)"))
        mine.dispose()
        assert (_count(str(first)), _count(str(second))) == (2, 1)
    finally:
        for suffix in (".db", ".json", ".lock"):
            (tmp_path_factory.getbasetemp().parent / "templates" / f"{name}{suffix}") \
                .unlink(missing_ok=True)
