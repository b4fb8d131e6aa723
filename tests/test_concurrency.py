"""Two writers at the same moment: exactly one takes the last place (both engines).

The check and the write of a use case run in one serialised transaction
(SQLite: BEGIN IMMEDIATE; PostgreSQL: the writers' advisory lock, db.unit_of_work).
Each test widens the window between the check and the write, so without that
serialisation both writers would pass the check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from habeas.agreements.models import Agreement
from habeas.custody.models import Prisoner
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError
from habeas.facilities import assign, housing
from habeas.ledger import merkle, store
from habeas.ledger.leaf import leaf_bytes
from habeas.ledger.models import Event
from habeas.nominations import decisions
from habeas.nominations import service as nominations
from habeas.nominations.models import NominationRecord
from habeas.screening import rules
from tests.custody.test_population import admit, row
from tests.facilities.test_layout import layout, load
from tests.nominations.test_decisions import client, nominate, small_agreement
from tests.screening.factories import nomination

# the write path under concurrent writers (locking differs) (docs/testing.md)
pytestmark = pytest.mark.both_engines

__all__ = ["client", "small_agreement"]
WINDOW_S = 0.3


def race(*actions: Callable[[], Any]) -> list[str]:
    """race starts ACTIONS together; each outcome is "ok" or the error code it raised."""
    start = threading.Barrier(len(actions))
    outcomes: list[str] = [""] * len(actions)

    def run(i: int, action: Callable[[], Any]) -> None:
        start.wait()
        try:
            action()
            outcomes[i] = "ok"
        except DomainError as exc:
            outcomes[i] = exc.code

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


class TestLastPlace:
    def test_two_wardens_accept_the_last_quota_place(
            self, client: TestClient, small_agreement: Engine,
            monkeypatch: pytest.MonkeyPatch) -> None:
        engine = small_agreement
        first, *last_two = nominate(client, engine, "C-1", "C-2", "C-3")
        with unit_of_work(engine) as s:
            decisions.accept(s, s.get_one(NominationRecord, first), on=date(2025, 3, 20),
                             actor="w", party="SLV")
        quota = rules.quota

        def slow_quota(*args: Any) -> Any:
            time.sleep(WINDOW_S)  # both have counted before either has written
            return quota(*args)

        monkeypatch.setattr(rules, "quota", slow_quota)

        def accept(public_id: str) -> Callable[[], None]:
            def go() -> None:
                with unit_of_work(engine) as s:
                    decisions.accept(s, s.get_one(NominationRecord, public_id),
                                     on=date(2025, 3, 20), actor="w", party="SLV")
            return go

        outcomes = race(*(accept(p) for p in last_two))
        assert sorted(outcomes) == ["ok", "quota_exhausted"], outcomes
        with read_session(engine) as s:
            taken = s.scalar(select(func.count()).select_from(NominationRecord).where(
                NominationRecord.status == "accepted"))
        assert taken == 2  # the quota

    def test_two_moves_into_the_last_bed_of_a_cell(
            self, demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
        engine = demo_engine
        doc = layout()
        doc["buildings"][0]["cells"][0].update(max_capacity=2, working_capacity=2)
        load(engine, doc)
        [first, *others] = [r.public_id for r in admit(
            engine, row("D-1", building="M1", cell="1-01"),
            row("D-2", building="M1", cell="1-02"), row("D-3", building="M1", cell="1-03"))]
        assert first is not None
        check = assign.check_placement

        def slow_check(*args: Any) -> Any:
            found = check(*args)
            time.sleep(WINDOW_S)  # both have seen one free bed before either moves
            return found

        monkeypatch.setattr(assign, "check_placement", slow_check)

        def move(public_id: str | None) -> Callable[[], None]:
            def go() -> None:
                assert public_id is not None
                with unit_of_work(engine) as s:
                    housing.move(s, public_id, building="M1", cell="1-01", reason="medical",
                                 on=date(2025, 6, 1), actor="w", may_override=False)
            return go

        outcomes = race(*(move(p) for p in others))
        assert sorted(outcomes) == ["ok", "separation_violation"], outcomes
        with read_session(engine) as s:
            in_cell = s.scalar(select(func.count()).select_from(Prisoner).where(
                Prisoner.building_code == "M1", Prisoner.cell_code == "1-01"))
        assert in_cell == 2  # never three in a cell for two

    def test_concurrent_appends_stay_gap_free_and_verifiable(
            self, small_agreement: Engine) -> None:
        engine = small_agreement

        def importer(ref: str) -> Callable[[], None]:
            def go() -> None:
                with unit_of_work(engine) as s:
                    agreement = s.get_one(Agreement, "USA-SLV-2025")
                    row = nominations.Row(1, nomination(external_ref=ref).model_dump(
                        mode="json"))
                    nominations.import_rows(s, agreement, [row], as_of=date(2025, 3, 1),
                                            actor="test")
            return go

        refs = [f"G-{i}" for i in range(8)]
        assert race(*(importer(r) for r in refs)) == ["ok"] * len(refs)
        with read_session(engine) as s:
            events = list(s.scalars(select(Event).order_by(Event.seq)))
            assert [e.seq for e in events] == list(range(len(events)))
            assert s.scalar(select(func.count()).select_from(NominationRecord)) == len(refs)
            # The stored tree is the tree of the events, leaf for leaf (RFC 9162).
            leaves = [merkle.leaf_hash(leaf_bytes(e)) for e in events]
            assert store.root_at(s, len(events)) == merkle.root(leaves)
