"""Backup and restore as an operator runs them (ADR 0017), on SQLite and on PostgreSQL:
round trips, snapshots under load, corrupt backups, and no silent rollback of the ledger."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from habeas import backup as backups
from habeas.db import engine_for, make_engine, read_session, unit_of_work, utcnow
from habeas.events import NewEvent, log_size, record
from habeas.ledger import highwater, service, store
from habeas.ledger.models import Event
from habeas.replay import check as replay_check
from tests.conftest import Ledger
from tests.test_cli import assert_one_line_error, habeas

# backup and restore (engine-specific dumps) (docs/testing.md)
pytestmark = pytest.mark.both_engines


def append(engine: Engine, count: int, tag: str = "a") -> None:
    """append records COUNT events through the one write path."""
    with unit_of_work(engine) as session:
        for i in range(count):
            record(session, NewEvent(type="consulate.registered", actor="test", payload={
                "nationality": "VEN", "host_country": "SLV", "name": f"Consulado {tag}{i}",
                "channel": "email", "address": f"{tag}{i}@consulado.example", "locale": "es"}))


def events(engine: Engine) -> list[tuple[int, str, str]]:
    with read_session(engine) as session:
        return [(e.seq, e.type, e.payload_sha256)
                for e in session.scalars(select(Event).order_by(Event.seq))]


def size_and_root(engine: Engine) -> tuple[int, bytes]:
    with read_session(engine) as session:
        size = log_size(session)
        return size, store.root_at(session, size)


class Run(Protocol):
    def __call__(self, *args: str, url: str | None = None
                 ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def run(ledger: Ledger, database_url: str) -> Run:
    """run runs `habeas ARGS` in a subprocess on the test's database and data dir."""
    def call(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
        return habeas(*args, url=url or database_url, data_dir=ledger.data_dir)
    return call


@pytest.fixture
def empty_target(database_url: str, tmp_path: Path, request: pytest.FixtureRequest
                 ) -> Iterator[str]:
    """empty_target is the URL of an empty database to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"habeas_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def manifest_of(path: Path) -> dict[str, object]:
    result: dict[str, object] = json.loads((path / backups.MANIFEST).read_text())
    return result


class TestRoundTrip:
    def test_backup_then_restore_gives_the_same_ledger_verified(
            self, run: Run, ledger: Ledger, empty_target: str,
            tmp_path: Path) -> None:
        append(ledger.engine, 5)
        signed = ledger.checkpoint()
        made = run("backup", str(tmp_path / "b1"))
        assert made.returncode == 0, made.stderr
        manifest = manifest_of(tmp_path / "b1")
        assert manifest["log_size"] == manifest["checkpoint_size"] == signed
        assert manifest["engine"] == make_url(empty_target).get_backend_name()

        restored = run("restore", str(tmp_path / "b1"), url=empty_target)
        assert restored.returncode == 0, restored.stderr
        assert f"rollback check: OK (log of {signed} events extends signed checkpoint" \
            f" {signed})" in restored.stdout
        assert f"ledger verified: OK size={signed} " in restored.stdout
        target = make_engine(empty_target)
        try:
            assert events(target) == events(ledger.engine)
            assert size_and_root(target) == size_and_root(ledger.engine)
        finally:
            target.dispose()
        replay = run("replay", "--check", url=empty_target)
        assert replay.returncode == 0 and "replay OK" in replay.stdout, replay.stdout
        exported = run("ledger", "export", str(tmp_path / "log"),
                       url=empty_target)
        assert exported.returncode == 0, exported.stderr
        verified = run("ledger", "verify", str(tmp_path / "log"),
                       "--key", ledger.signer.verifier.vkey, url=empty_target)
        assert verified.returncode == 0 and f"OK size={signed}" in verified.stdout

    def test_a_snapshot_taken_while_events_are_appended_is_consistent(
            self, ledger: Ledger, database_url: str, empty_target: str,
            tmp_path: Path) -> None:
        before = size_and_root(ledger.engine)[0]
        stop, started = threading.Event(), threading.Event()

        def writer() -> None:
            n = 0
            while not stop.is_set():
                append(ledger.engine, 3, tag=f"w{n}-")
                n += 1
                started.set()

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            assert started.wait(30)
            made = backups.backup(database_url, tmp_path / "hot", now=utcnow())
        finally:
            stop.set()
            thread.join(60)
        after = size_and_root(ledger.engine)[0]
        m = made.manifest
        assert before < m.log_size <= after and m.log_size % 3 == before % 3  # whole commits
        backups.restore(empty_target, backups.open_backup(tmp_path / "hot"))
        target = make_engine(empty_target)
        try:
            size, root = size_and_root(target)
            assert size == m.log_size and service.root_b64(root) == m.root
            with read_session(ledger.engine) as live:  # a prefix of the live log
                assert store.root_at(live, size) == root
            assert replay_check(target).clean
        finally:
            target.dispose()
        verified = backups.verify_restored(empty_target)
        assert not isinstance(verified, str) and verified.size == m.checkpoint_size


class TestRollback:
    @pytest.fixture
    def old_backup(self, ledger: Ledger, database_url: str, tmp_path: Path) -> Path:
        """old_backup: a backup at the first checkpoint, then 3 more events and a checkpoint."""
        backups.backup(database_url, tmp_path / "old", now=utcnow())
        append(ledger.engine, 3)
        ledger.checkpoint()
        return tmp_path / "old"

    def test_an_older_backup_is_refused_and_nothing_changes(
            self, run: Run, ledger: Ledger, old_backup: Path) -> None:
        old = int(manifest_of(old_backup)["log_size"])  # type: ignore[call-overload]
        before = events(ledger.engine)
        refused = run("restore", str(old_backup))
        assert_one_line_error(refused, f"the backup's log has {old} events but checkpoint"
                              f" {old + 3} was already signed", "nothing was changed",
                              "--accept-rollback")
        assert events(ledger.engine) == before

    def test_serve_and_signing_refuse_a_rolled_back_database(
            self, run: Run, ledger: Ledger, database_url: str,
            old_backup: Path) -> None:
        old = int(manifest_of(old_backup)["log_size"])  # type: ignore[call-overload]
        # An operator restores by hand, around `habeas restore`.
        backups.restore(database_url, backups.open_backup(old_backup))
        served = run("serve", "--port", "1")
        assert_one_line_error(served, "serve:", f"log has {old} events but checkpoint"
                              f" {old + 3} was already signed", "--accept-rollback REASON")
        append(ledger.engine, 1)  # a new tree: signing it would fork the published log
        signing = run("ledger", "checkpoint")
        assert_one_line_error(signing, f"log has {old + 1} events but checkpoint {old + 3}",
                              "refusing to sign")
        with pytest.raises(highwater.RolledBack, match="refusing to sign"):
            ledger.checkpoint()

    def test_accepting_the_rollback_records_it_and_signing_resumes(
            self, run: Run, ledger: Ledger, database_url: str,
            old_backup: Path, tmp_path: Path) -> None:
        old = int(manifest_of(old_backup)["log_size"])  # type: ignore[call-overload]
        given_up = highwater.load(ledger.data_dir)
        assert given_up is not None and given_up.size == old + 3
        done = run("restore", str(old_backup), "--accept-rollback",
                   "disk lost; restored the nightly backup")
        assert done.returncode == 0, done.stderr
        assert f"rollback accepted: checkpoint {old + 3} given up for a log of {old} events;" \
            f" recorded as event {old}" in done.stdout
        assert f"ledger verified: OK size={old + 1} " in done.stdout
        with read_session(ledger.engine) as session:
            accepted = session.get(Event, old)
            assert accepted is not None and accepted.type == "ledger.rollback_accepted"
            digest = hashlib.sha256((old_backup / backups.MANIFEST).read_bytes()).hexdigest()
            assert accepted.payload == {
                "from_size": old + 3, "from_root": given_up.root_b64, "to_size": old,
                "reason": "disk lost; restored the nightly backup", "restored_from": digest}
        mark = highwater.load(ledger.data_dir)
        assert mark is not None and mark.size == old + 1  # signed with the event in it
        # Serving and signing go on from here; the flag is not needed (or taken) again.
        assert backups.guard(database_url, accept=None, actor="test", what="serve:") \
            .accepted_seq is None
        append(ledger.engine, 2)
        assert ledger.checkpoint() == old + 3
        assert highwater.load(ledger.data_dir).size == old + 3  # type: ignore[union-attr]
        again = run("serve", "--port", "1", "--accept-rollback", "x")
        assert_one_line_error(again, "nothing to accept")
        replay = run("replay", "--check")
        assert replay.returncode == 0 and "replay OK" in replay.stdout
        exported = run("ledger", "export", str(tmp_path / "log"))
        verified = run("ledger", "verify", str(tmp_path / "log"),
                       "--key", ledger.signer.verifier.vkey)
        assert exported.returncode == 0 and verified.returncode == 0, verified.stderr


class TestHighWaterMark:
    def test_signing_writes_the_mark_after_commit_and_only_forward(
            self, ledger: Ledger) -> None:
        first = highwater.load(ledger.data_dir)
        assert first is not None and first.size == ledger.checkpoint()
        append(ledger.engine, 1)
        with pytest.raises(RuntimeError), unit_of_work(ledger.engine) as session:
            service.sign_checkpoint(session, ledger.signer)
            raise RuntimeError("the unit of work fails after signing")
        assert highwater.load(ledger.data_dir) == first  # rolled back: mark unchanged
        second = ledger.checkpoint()
        assert highwater.load(ledger.data_dir).size == second  # type: ignore[union-attr]
        assert not highwater.remember(first.note, ledger.data_dir)  # never backwards
        assert highwater.load(ledger.data_dir).size == second  # type: ignore[union-attr]

    def test_a_mark_left_behind_by_a_crash_is_moved_up(
            self, ledger: Ledger, database_url: str) -> None:
        first = highwater.load(ledger.data_dir)
        assert first is not None
        append(ledger.engine, 2)
        second = ledger.checkpoint()
        highwater.mark_path(ledger.data_dir).write_text(first.note)  # as after a crash
        guarded = backups.guard(database_url, accept=None, actor="test", what="serve:")
        assert guarded.mark_size == first.size
        assert highwater.load(ledger.data_dir).size == second  # type: ignore[union-attr]

    def test_a_mark_that_is_not_a_checkpoint_is_refused_loudly(
            self, run: Run, ledger: Ledger) -> None:
        highwater.mark_path(ledger.data_dir).write_text("garbage\n")
        assert_one_line_error(run("serve", "--port", "1"),
                              "checkpoint.latest is not a signed checkpoint")


class TestBadBackups:
    @pytest.fixture
    def made(self, ledger: Ledger, database_url: str, tmp_path: Path) -> Path:
        backups.backup(database_url, tmp_path / "b", now=utcnow())
        append(ledger.engine, 2)  # so an untouched database is told from a restored one
        return tmp_path / "b"

    @pytest.mark.parametrize("damage", ["flip", "truncate"])
    def test_a_corrupt_backup_is_refused_and_the_database_untouched(
            self, run: Run, ledger: Ledger, made: Path, damage: str) -> None:
        dump = made / str(manifest_of(made)["file"])
        data = bytearray(dump.read_bytes())
        if damage == "flip":
            data[len(data) // 2] ^= 0x01
        else:
            del data[-100:]
        dump.write_bytes(bytes(data))
        before = events(ledger.engine)
        result = run("restore", str(made))
        assert_one_line_error(result, str(dump), "nothing was changed",
                              "SHA-256 does not match" if damage == "flip" else "truncated")
        assert events(ledger.engine) == before

    def test_bad_paths_are_one_clear_line(self, run: Run, made: Path,
                                          tmp_path: Path, database_url: str) -> None:
        assert_one_line_error(run("restore", str(tmp_path / "nope")),
                              "no such backup")
        (tmp_path / "folder").mkdir()
        assert_one_line_error(run("restore", str(tmp_path / "folder")),
                              "not a habeas backup")
        assert_one_line_error(run("restore", str(made / "manifest.json")),
                              "not a habeas backup")
        assert_one_line_error(run("backup", str(made)), "already exists")
        assert_one_line_error(run("backup",
                                  str(tmp_path / "missing" / "b")), "no such folder")
        manifest = manifest_of(made)
        other = "postgresql" if manifest["engine"] == "sqlite" else "sqlite"
        manifest.update(engine=other, file=backups.DUMP_FILES[other])
        (made / backups.DUMP_FILES[other]).write_bytes(
            (made / backups.DUMP_FILES[str(manifest_of(made)["engine"])]).read_bytes())
        (made / "manifest.json").write_text(json.dumps(manifest))
        assert_one_line_error(run("restore", str(made)),
                              f"a backup of a {other} database cannot be restored")
        (made / "manifest.json").write_text("{not json")
        assert_one_line_error(run("restore", str(made)),
                              "manifest.json", "Invalid JSON")
        assert_one_line_error(run("restore", str(made), "--accept-rollback", " "),
                              "give the reason")
