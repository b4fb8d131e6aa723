"""The rollback guard: a database whose log does not extend the last signed checkpoint is
refused, unless the operator accepts the loss, which is recorded on the ledger (ADR 0017)."""

from __future__ import annotations

from dataclasses import dataclass

from habeas import projections
from habeas.config import get_settings
from habeas.db import engine_for, read_session, unit_of_work
from habeas.events import NewEvent, log_size, record
from habeas.ledger import highwater, store
from habeas.ledger.highwater import Mark, RolledBack
from habeas.ledger.keys import load_log_key
from habeas.ledger.note import NoteError, Verifier, verify_note
from habeas.ledger.projections import RollbackAccepted
from habeas.ledger.service import latest_checkpoint, sign_checkpoint

from .verifying import log_verifier


@dataclass(frozen=True)
class Guarded:
    """Guarded is what the rollback guard found and did."""

    mark_size: int | None
    log_size: int
    accepted_seq: int | None = None  # the ledger.rollback_accepted event it recorded
    checkpoint_size: int | None = None  # the checkpoint it signed after it
    nothing_to_accept: bool = False

    def lines(self) -> list[str]:
        if self.accepted_seq is not None:
            return [f"rollback accepted: checkpoint {self.mark_size} given up for a log of"
                    f" {self.log_size} events; recorded as event {self.accepted_seq}"
                    f" (ledger.rollback_accepted), checkpoint {self.checkpoint_size} signed"]
        said = [f"rollback check: OK (log of {self.log_size} events extends signed checkpoint"
                f" {self.mark_size})" if self.mark_size is not None else
                f"rollback check: no signed checkpoint recorded in {get_settings().data_dir}"]
        if self.nothing_to_accept:
            said.append("--accept-rollback: nothing to accept; nothing recorded")
        return said


def guard(engine_url: str, *, accept: str | None, actor: str, what: str,
          restored_from: str | None = None) -> Guarded:
    """guard refuses a database whose log does not extend the high-water mark.

    With ACCEPT (the operator's reason) it records `ledger.rollback_accepted` and
    signs a checkpoint of the log as it now is, in one unit of work; the mark then
    moves to that checkpoint. Otherwise, when the log holds the mark, the mark is
    moved up to the database's latest checkpoint if a crash left it behind.
    """
    projections.install()  # it may record ledger.rollback_accepted
    engine = engine_for(engine_url)
    verifier = log_verifier()
    with read_session(engine) as session:
        mark = highwater.load(None, verifier)
        found = highwater.standing(session, mark)
        size = log_size(session)
    if found.refused and accept is None:
        assert mark is not None
        raise RolledBack(f"{what} {found.problem} (high-water mark"
                         f" {highwater.mark_path()}); refusing to serve it: restore a"
                         " newer backup, or accept the loss with --accept-rollback REASON,"
                         " which records it on the ledger")
    if found.refused:
        assert mark is not None and accept is not None
        signer = load_log_key()
        with unit_of_work(engine) as session:
            # Again, under the write lock: nobody appended or accepted meanwhile.
            again = highwater.standing(session, mark)
            if not again.refused:
                raise RolledBack(f"{what} the log changed during the check; run it again")
            to_size = log_size(session)
            event = record(session, NewEvent(
                type=highwater.ROLLBACK_ACCEPTED, actor=actor, payload=RollbackAccepted(
                    from_size=mark.size, from_root=mark.root_b64, to_size=to_size,
                    reason=accept, restored_from=restored_from)))
            checkpoint = sign_checkpoint(session, signer)
        return Guarded(mark.size, to_size, event.seq, checkpoint.size)
    _catch_up(engine_url, mark, found, verifier)
    return Guarded(mark.size if mark else None, size, nothing_to_accept=accept is not None)


def _catch_up(engine_url: str, mark: Mark | None, found: highwater.Standing,
              verifier: Verifier | None) -> None:
    # The mark is written after the commit that signs a checkpoint; a crash in between
    # leaves it behind the database's latest checkpoint, which is moved up here once
    # the log is shown to extend the mark and the checkpoint is the log's own.
    if verifier is None:
        return
    with read_session(engine_for(engine_url)) as session:
        latest = latest_checkpoint(session)
        if latest is None or (mark is not None and latest.size <= mark.size
                              and found.accepted_seq is None):
            return
        try:
            verify_note(latest.note, verifier)
        except NoteError:
            return
        if store.root_at(session, latest.size) != latest.root:
            return
        note = latest.note
    highwater.remember(note, superseding=mark if found.accepted_seq else None)
