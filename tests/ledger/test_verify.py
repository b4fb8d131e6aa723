"""habeas ledger verify: the whole log from scratch, and every tamper named by place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from habeas.db import read_session, unit_of_work
from habeas.events import record_many
from habeas.ledger import publish, service
from habeas.ledger.note import ALG_COSIGNATURE_V1, cosign, generate_signer, sign_note, split_note
from habeas.ledger.tiles import TILE_WIDTH
from habeas.ledger.verify import DirSource, Discrepancy, verify
from tests.factories import DEMO_EVENTS
from tests.ledger.conftest import Ledger, reprotect, unprotect
from tests.ledger.test_store import facilities

# SQL-heavy: integrity verification over the whole log (docs/testing.md)
pytestmark = pytest.mark.both_engines


def export(ledger: Ledger, folder: Path) -> Path:
    with unit_of_work(ledger.engine) as s:
        checkpoint = service.sign_checkpoint(s, ledger.signer)
    with read_session(ledger.engine) as s:
        publish.export(s, folder, checkpoint)
    return folder


def grow(ledger: Ledger, start: int, count: int) -> None:
    with unit_of_work(ledger.engine) as s:
        record_many(s, facilities(start, count))


def check(ledger: Ledger, folder: Path, **kwargs: object) -> str:
    with pytest.raises(Discrepancy) as caught:
        verify(DirSource(folder), ledger.signer.verifier, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


class TestVerify:
    def test_a_faithful_export_verifies_across_full_and_partial_tiles(
            self, ledger: Ledger, tmp_path: Path) -> None:
        grow(ledger, 0, TILE_WIDTH + 40)  # a full tile, a partial one, level 1
        folder = export(ledger, tmp_path / "log")
        result = verify(DirSource(folder), ledger.signer.verifier)
        assert result.size == TILE_WIDTH + 40 + DEMO_EVENTS
        assert result.summary.startswith(f"OK size={TILE_WIDTH + 40 + DEMO_EVENTS} root=")
        assert (folder / "tile/1/000.p/1").exists() and (folder / "tile/0/000").exists()

    def test_state_carries_trust_from_one_run_to_the_next(self, ledger: Ledger,
                                                          tmp_path: Path) -> None:
        state = tmp_path / "state"
        verify(DirSource(export(ledger, tmp_path / "a")), ledger.signer.verifier, state=state)
        grow(ledger, 0, 5)
        result = verify(DirSource(export(ledger, tmp_path / "b")), ledger.signer.verifier,
                        state=state)
        assert result.size == DEMO_EVENTS + 5 and f"\n{DEMO_EVENTS + 5}\n" in state.read_text()


def tamper_and_export(ledger: Ledger, folder: Path, *statements: str) -> Path:
    """tamper_and_export rewrites events behind the log's back, then exports what is stored."""
    unprotect(ledger.engine, "event")
    with ledger.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    reprotect(ledger.engine, "event")
    with read_session(ledger.engine) as s:
        checkpoint = service.latest_checkpoint(s)
        assert checkpoint is not None
        publish.export(s, folder, checkpoint)
    return folder


class TestTamper:
    def test_an_edited_event_is_named_by_leaf(self, ledger: Ledger, tmp_path: Path) -> None:
        folder = tamper_and_export(ledger, tmp_path / "log",
                                   "UPDATE event SET actor = 'user:nobody' WHERE seq = 3")
        message = check(ledger, folder)
        assert message.startswith("leaf 3: entry hashes to") and "was changed" in message

    def test_a_deleted_event_is_named_by_leaf(self, ledger: Ledger, tmp_path: Path) -> None:
        folder = tamper_and_export(ledger, tmp_path / "log", "DELETE FROM event WHERE seq = 4")
        assert check(ledger, folder) == ("leaf 4: entry carries seq 5: an event is missing,"
                                         " duplicated or out of order")

    def test_two_reordered_events_are_named_by_leaf(self, ledger: Ledger,
                                                    tmp_path: Path) -> None:
        folder = tamper_and_export(ledger, tmp_path / "log",
                                   "UPDATE event SET seq = 100 WHERE seq = 2",
                                   "UPDATE event SET seq = 2 WHERE seq = 5",
                                   "UPDATE event SET seq = 5 WHERE seq = 100")
        assert check(ledger, folder).startswith("leaf 2: entry hashes to")

    def test_an_older_copy_of_the_database_is_a_rollback(self, ledger: Ledger,
                                                         tmp_path: Path) -> None:
        if ledger.engine.dialect.name != "sqlite":
            pytest.skip("swapping the database file is SQLite's case; PostgreSQL's equivalent"
                        " (an older export served again) is test_an_older_export_is_a_rollback")
        db_file = Path(str(ledger.engine.url.database))
        with ledger.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(db_file, tmp_path / "old.db")
        state = tmp_path / "state"
        grow(ledger, 0, 5)
        verify(DirSource(export(ledger, tmp_path / "new")), ledger.signer.verifier, state=state)
        ledger.engine.dispose()
        shutil.copyfile(tmp_path / "old.db", db_file)
        for suffix in ("-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        folder = export(ledger, tmp_path / "old")
        message = check(ledger, folder, state=state)
        assert message == (f"checkpoint: size {DEMO_EVENTS} is smaller than the trusted size "
                           f"{DEMO_EVENTS + 5}: the log was rolled back")

    def test_an_older_export_is_a_rollback(self, ledger: Ledger, tmp_path: Path) -> None:
        old = export(ledger, tmp_path / "old")
        grow(ledger, 0, 5)
        state = tmp_path / "state"
        verify(DirSource(export(ledger, tmp_path / "new")), ledger.signer.verifier, state=state)
        assert "rolled back" in check(ledger, old, state=state)

    def test_a_fork_and_a_rewritten_history_are_caught_with_state(
            self, ledger: Ledger, tmp_path: Path) -> None:
        state = tmp_path / "state"
        folder = export(ledger, tmp_path / "log")
        verify(DirSource(folder), ledger.signer.verifier, state=state)
        # The operator re-signs a different tree of the same size with the log key.
        note = (folder / "checkpoint").read_text()
        body_text, _ = split_note(note)
        lines = body_text.split("\n")
        lines[2] = "A" * 43 + "="
        (folder / "checkpoint").write_text(sign_note("\n".join(lines), ledger.signer))
        assert f"fork: two checkpoints of size {DEMO_EVENTS}" in check(ledger, folder, state=state)


class TestBadInput:
    @pytest.fixture
    def folder(self, ledger: Ledger, tmp_path: Path) -> Path:
        grow(ledger, 0, TILE_WIDTH)
        return export(ledger, tmp_path / "log")

    def test_truncated_and_malformed_tiles(self, ledger: Ledger, folder: Path) -> None:
        bundle = folder / "tile/entries/000"
        bundle.write_bytes(bundle.read_bytes()[:-3])
        assert check(ledger, folder).startswith("entry bundle tile/entries/000: entry 255 is"
                                                " truncated")

    def test_a_hash_tile_of_the_wrong_length(self, ledger: Ledger, folder: Path) -> None:
        tile = folder / "tile/0/000"
        tile.write_bytes(tile.read_bytes() + b"\x00")
        assert check(ledger, folder) == "tile tile/0/000: is 8193 bytes, expected 8192"

    def test_a_changed_upper_tile(self, ledger: Ledger, folder: Path) -> None:
        tile = folder / "tile/1/000.p/1"
        tile.write_bytes(b"\x00" * 32)
        assert check(ledger, folder).startswith("tile tile/1/000.p/1: hash 0 is 0000")

    def test_a_missing_file(self, ledger: Ledger, folder: Path) -> None:
        (folder / f"tile/entries/001.p/{DEMO_EVENTS}").unlink()
        assert check(ledger, folder).startswith(f"tile/entries/001.p/{DEMO_EVENTS}: cannot read")

    def test_a_checkpoint_signed_by_an_unknown_key(self, ledger: Ledger, folder: Path) -> None:
        stranger = generate_signer(ledger.signer.name)
        body_text, _ = split_note((folder / "checkpoint").read_text())
        (folder / "checkpoint").write_text(sign_note(body_text, stranger))
        assert "not signed by the expected key" in check(ledger, folder)

    @pytest.mark.parametrize(("line", "value", "problem"), [
        (1, "0264", "not a canonical decimal"),
        (2, "AAAA", "root must be 32 bytes"),
    ])
    def test_malformed_checkpoint_lines(self, ledger: Ledger, folder: Path, line: int,
                                        value: str, problem: str) -> None:
        lines = split_note((folder / "checkpoint").read_text())[0].split("\n")
        lines[line] = value
        (folder / "checkpoint").write_text(sign_note("\n".join(lines), ledger.signer))
        assert problem in check(ledger, folder)

    def test_a_witness_policy_that_is_not_met(self, ledger: Ledger, folder: Path) -> None:
        witness = generate_signer("monitor.example/w1", ALG_COSIGNATURE_V1)
        assert "0 valid witness cosignature(s); the policy requires 1" in check(
            ledger, folder, witnesses=[witness.verifier], min_witnesses=1)
        note = (folder / "checkpoint").read_text()
        line = cosign(split_note(note)[0], witness, 1_790_000_000).line
        (folder / "checkpoint").write_text(note + line)
        result = verify(DirSource(folder), ledger.signer.verifier,
                        witnesses=[witness.verifier], min_witnesses=1)
        assert result.witnesses == ["monitor.example/w1"]
