"""The `habeas` command as an operator runs it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import Engine

from tests.conftest import exclusive, fresh_database
from tests.in_process import run_cli


def habeas(*args: str, url: str, data_dir: Path, stdin: str | None = None,
           ) -> subprocess.CompletedProcess[str]:
    """habeas runs the command in this process (tests/in_process.py), on URL with DATA_DIR;
    habeas_process runs a real one."""
    return run_cli(*args, env={"HABEAS_DATABASE_URL": url, "HABEAS_DATA_DIR": str(data_dir)},
                   stdin=stdin)


def habeas_process(*args: str, url: str, data_dir: Path, stdin: str | None = None,
                   ) -> subprocess.CompletedProcess[str]:
    """habeas_process runs `python -m habeas ARGS` as an operator would: a real process (one
    smoke test per command group; crash tests have their own)."""
    env = {**os.environ, "HABEAS_DATABASE_URL": url, "HABEAS_DATA_DIR": str(data_dir),
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "habeas", *args], capture_output=True,
                          text=True, env=env, input=stdin, timeout=120, check=False)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


class Run(Protocol):
    def __call__(self, *args: str, stdin: str | None = None
                 ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def run(database_url: str, tmp_path: Path) -> Run:
    def call(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return habeas(*args, url=database_url, data_dir=tmp_path / "data", stdin=stdin)
    return call


@dataclass
class Told:
    """Told: the demo as `habeas demo` tells it on an empty log (after `init`, as `make demo`
    does), its database (SQLite), the data dir whose log key signed it, and what it said."""

    engine: Engine
    data_dir: Path
    said: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def told(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Told]:
    """told: the demo told once per session, across xdist workers too (the first to come
    tells it under a lock, in the directory the workers share, as pytest-xdist documents);
    the tests that go on from it get a copy (told_run), instead of each telling the
    three-thousand-event story again."""
    from habeas.db import make_engine

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / "told"
    url, data_dir, said = f"sqlite:///{folder / 'habeas.db'}", folder / "data", folder / "said"
    with exclusive(root / "told.lock"):
        if not said.exists():
            folder.mkdir()
            assert habeas("init", url=url, data_dir=data_dir).returncode == 0
            demo = habeas("demo", "--population", "300", "--until", "2025-04-13", "--json",
                          url=url, data_dir=data_dir)
            engine = make_engine(url)
            with engine.connect() as conn:  # the file alone is the database, for copying
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            said.write_text(json.dumps([demo.returncode, demo.stdout, demo.stderr]))
    code, stdout, stderr = json.loads(said.read_text())
    engine = make_engine(url)
    yield Told(engine, data_dir, subprocess.CompletedProcess(["habeas", "demo"], code, stdout,
                                                             stderr))
    engine.dispose()


@dataclass
class ToldCopy:
    """ToldCopy: the test's own copy of the told demo (its database and its data dir)."""

    run: Run
    url: str


@pytest.fixture
def told_run(told: Told, migrated: tuple[str, str], tmp_path: Path) -> Iterator[ToldCopy]:
    """told_run: a copy of the told demo on the test's engine (SQLite: the file; PostgreSQL:
    its events replayed) with a copy of its data dir, and `habeas` bound to them."""
    shutil.copytree(told.data_dir, tmp_path / "data")
    with fresh_database(migrated, tmp_path, told.engine) as url:
        def call(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
            return habeas(*args, url=url, data_dir=tmp_path / "data", stdin=stdin)
        yield ToldCopy(call, url)


class TestInit:
    def test_init_is_idempotent_and_registers_the_profile(self, run: Run) -> None:
        first = run("init", "--profile", "bilateral-fee-2025", "--json")
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["agreement"] == {"ref": "USA-SLV-2025",
                                                         "outcome": "registered"}
        second = run("init", "--profile", "bilateral-fee-2025")
        assert second.returncode == 0
        assert "up to date" in second.stdout and "unchanged" in second.stdout

    def test_init_with_an_agreement_file(self, run: Run, tmp_path: Path) -> None:
        from habeas.agreements.service import profile_text

        path = tmp_path / "mine.toml"
        path.write_text(profile_text("coe-ets112").replace("USA-SLV-ETS112", "MINE-1"))
        result = run("init", "--agreement", str(path))
        assert result.returncode == 0, result.stderr
        assert "agreement MINE-1 (coe-ets112): registered" in result.stdout

    def test_bad_inputs_are_one_clear_line(self, run: Run, tmp_path: Path) -> None:
        assert_one_line_error(run("init", "--profile", "nope"), "unknown profile 'nope'")
        bad = tmp_path / "bad.toml"
        bad.write_text("[agreement\n")
        assert_one_line_error(run("init", "--agreement", str(bad)), "malformed TOML")
        from habeas.agreements.service import profile_text

        bad.write_text(profile_text("bilateral-fee-2025").replace('"SLV"', '"SV"', 1))
        assert_one_line_error(run("init", "--agreement", str(bad)),
                              "agreement.receiving_party", "ISO 3166-1 alpha-3")

    def test_a_database_that_cannot_be_reached(self, tmp_path: Path) -> None:
        result = habeas_process("init", url="postgresql+psycopg://nobody@127.0.0.1:1/none",
                        data_dir=tmp_path)
        assert_one_line_error(result, "cannot be reached")

    def test_commands_refuse_an_uninitialised_database(self, tmp_path: Path) -> None:
        result = habeas("users", "list", url=f"sqlite:///{tmp_path}/empty.db",
                        data_dir=tmp_path)
        assert_one_line_error(result, "habeas init")


class TestUsersAndReplay:
    def test_demo_users_replay(self, told: Told, told_run: ToldCopy) -> None:
        demo, run = told.said, told_run.run
        assert demo.returncode == 0, demo.stderr
        assert {u["username"] for u in json.loads(demo.stdout)["logins"]} >= {"admin", "monitor"}
        signed = next(s for s in json.loads(demo.stdout)["steps"] if "checkpoint signed" in s)
        demo_events = int(signed.rsplit(" ", 1)[1])

        added = run("users", "add", "sv.nurse", "--role", "receiving", "--party", "SLV",
                    "--password-stdin", stdin="a good long password\n")
        assert added.returncode == 0, added.stderr
        assert_one_line_error(
            run("users", "add", "sv.nurse", "--role", "receiving", "--party", "SLV",
                "--password-stdin", stdin="a good long password\n"), "exists")
        assert_one_line_error(
            run("users", "add", "us.x", "--role", "sending", "--password-stdin",
                stdin="a good long password\n"), "--party")
        token = run("users", "token", "sv.nurse", "--name", "script", "--json")
        assert json.loads(token.stdout)["token"].startswith("hbs_")

        listing = json.loads(run("users", "list", "--json").stdout)
        assert {"username": "sv.nurse", "role": "receiving", "party": "SLV", "active": True,
                "name": "sv.nurse"} in listing

        replay = run("replay", "--check")
        assert replay.returncode == 0, replay.stderr
        assert replay.stdout.startswith(f"replay OK: {demo_events + 2} events")  # user, token

    def test_replay_reports_a_mismatch_with_exit_code_1(self, run: Run,
                                                        demo_engine: Engine) -> None:
        # The demo's first chapter (its layout) is story enough: one cell changed behind
        # the log's back is the mismatch, whatever else the log holds.
        from sqlalchemy import text

        with demo_engine.begin() as conn:
            conn.execute(text("UPDATE cell SET max_capacity = 500 WHERE code = '1-01'"))
        result = run("replay", "--check")
        assert result.returncode == 1
        assert "replay MISMATCH: 1 difference(s)" in result.stdout
        assert "max_capacity live=500 replayed=157" in result.stdout

    def test_help_documents_the_settings(self, run: Run) -> None:
        result = run("--help")
        for name in ("HABEAS_DATABASE_URL", "HABEAS_DATA_DIR", "HABEAS_HOST", "HABEAS_PORT"):
            assert name in result.stdout


class TestLedgerCommands:
    def test_init_creates_the_log_key_readable_only_by_its_owner(self, run: Run,
                                                                 tmp_path: Path) -> None:
        result = run("init", "--json")
        assert result.returncode == 0, result.stderr
        key = tmp_path / "data" / "log.key"
        assert key.stat().st_mode & 0o777 == 0o600
        assert key.read_text().startswith("PRIVATE+KEY+habeas.invalid/custody-ledger+")
        assert json.loads(result.stdout)["log_key"] == (tmp_path / "data" / "log.vkey") \
            .read_text().strip()
        again = run("init", "--json")
        assert json.loads(again.stdout)["log_key"] == json.loads(result.stdout)["log_key"]

    def test_export_verify_proof_and_a_tamper_caught(self, told_run: ToldCopy,
                                                     tmp_path: Path) -> None:
        # As `make demo` does it (told): the demo first, on an empty log, so its 2025 story
        # is recorded in 2025 (DESIGN.md §12.2); the profile then is already registered.
        run, database_url = told_run.run, told_run.url
        assert run("init", "--profile", "bilateral-fee-2025").returncode == 0
        vkey = (tmp_path / "data" / "log.vkey").read_text().strip()
        exported = run("ledger", "export", str(tmp_path / "log"), "--json")
        size = json.loads(exported.stdout)["size"]
        assert size > 400  # the demo's agreement, layout, users, 400 nominations, orders
        state = str(tmp_path / "trusted")
        ok = run("ledger", "verify", str(tmp_path / "log"), "--key", vkey, "--state", state)
        assert ok.returncode == 0 and ok.stdout.startswith(f"OK size={size} root="), ok.stderr
        proof = json.loads(run("ledger", "proof", "4", "--json").stdout)
        assert proof["verified"] is True and proof["size"] == size

        from sqlalchemy import text

        from habeas.db import make_engine

        engine = make_engine(database_url)
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("DROP TRIGGER event_no_update"))
            else:
                conn.execute(text("ALTER TABLE event DISABLE TRIGGER event_append_only"))
            conn.execute(text("UPDATE event SET actor = 'cli:nobody' WHERE seq = 6"))
            if engine.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE event ENABLE TRIGGER event_append_only"))
        engine.dispose()
        run("ledger", "export", str(tmp_path / "tampered"))
        caught = run("ledger", "verify", str(tmp_path / "tampered"), "--key", vkey,
                     "--state", state)
        assert caught.returncode == 1
        assert caught.stderr.startswith("FAIL leaf 6: entry hashes to")


# users and ledger start in real processes in the test above (users list, ledger export).
GROUPS = ("nominations", "holds", "facilities", "population", "sentence", "billing", "notify")


class TestRealProcesses:
    """The rest of the suite runs the command in-process (habeas above); these run the real
    `python -m habeas`, one smoke test per command group, as an operator would."""

    def test_init_then_read_commands_in_real_processes(self, database_url: str,
                                                       tmp_path: Path) -> None:
        def real(*args: str) -> subprocess.CompletedProcess[str]:
            return habeas_process(*args, url=database_url, data_dir=tmp_path / "data")

        assert real("init", "--profile", "bilateral-fee-2025").returncode == 0
        assert json.loads(real("users", "list", "--json").stdout) == []
        replay = real("replay", "--check")
        assert replay.returncode == 0 and replay.stdout.startswith("replay OK"), replay.stderr
        exported = real("ledger", "export", str(tmp_path / "log"), "--json")
        assert exported.returncode == 0, exported.stderr
        assert json.loads(exported.stdout)["size"] > 0
        assert_one_line_error(real("init", "--profile", "nope"), "unknown profile 'nope'")

    @pytest.mark.parametrize("group", GROUPS)
    def test_each_group_starts_in_a_real_process(self, group: str, tmp_path: Path) -> None:
        result = habeas_process(group, "--help", url=f"sqlite:///{tmp_path}/none.db",
                                data_dir=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Commands" in result.stdout and "Traceback" not in result.stderr
