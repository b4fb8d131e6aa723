"""The high-water mark: the latest checkpoint this log has signed, kept outside the database.

A database restored from an old backup carries its old checkpoint rows, so the
database alone cannot tell that it is older than a checkpoint the log already
published. `HABEAS_DATA_DIR/checkpoint.latest` holds the signed note of the
latest checkpoint; a log that is shorter than it, or whose root at its size
differs, has been rolled back (or forked) and is refused — by `sign_checkpoint`,
`habeas serve` and `habeas restore` — unless an operator accepted the rollback,
which is itself an event on the ledger (`ledger.rollback_accepted`, ADR 0017).
"""

from __future__ import annotations

import base64
import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from habeas.config import get_settings
from habeas.errors import DomainError, ErrorCode, Unavailable
from habeas.events import log_size
from habeas.ledger import merkle, store
from habeas.ledger.models import Event
from habeas.ledger.note import NoteError, Verifier, parse_checkpoint, split_note, verify_note

MARK_FILE = "checkpoint.latest"
ROLLBACK_ACCEPTED = "ledger.rollback_accepted"
_PENDING = "habeas.ledger.highwater"
_LISTENING = "habeas.ledger.highwater.listening"


class RolledBack(DomainError):
    """RolledBack: the database's log does not extend the latest checkpoint the log signed."""

    status = 409
    code = ErrorCode.INCONSISTENT_CHECKPOINT


@dataclass(frozen=True)
class Mark:
    """Mark is the high-water checkpoint: its signed note, size and root."""

    note: str
    origin: str
    size: int
    root: bytes

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root).decode()


def mark_path(data_dir: Path | None = None) -> Path:
    return (data_dir or get_settings().data_dir) / MARK_FILE


def parse_mark(note: str, verifier: Verifier | None = None) -> Mark:
    """parse_mark reads a signed checkpoint note; with VERIFIER, its signature must verify."""
    text = verify_note(note, verifier) if verifier is not None else split_note(note)[0]
    body = parse_checkpoint(text)
    return Mark(note, body.origin, body.size, body.root)


def load(data_dir: Path | None = None, verifier: Verifier | None = None) -> Mark | None:
    """load reads the high-water mark, None if there is none.

    With VERIFIER, a mark signed by another key is another log's and gives None;
    a file that is not a signed checkpoint at all is refused loudly, because
    ignoring it would switch the rollback check off.
    """
    path = mark_path(data_dir)
    try:
        note = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Unavailable(f"ledger: cannot read {path}: {exc.strerror}",
                          code=ErrorCode.INCONSISTENT_CHECKPOINT) from None
    try:
        mark = parse_mark(note)
    except NoteError as exc:
        raise Unavailable(f"ledger: {path} is not a signed checkpoint ({exc}); restore it from"
                          " the latest published checkpoint",
                          code=ErrorCode.INCONSISTENT_CHECKPOINT) from None
    if verifier is not None:
        try:
            verify_note(note, verifier)
        except NoteError:
            return None
    return mark


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_atomically(path: Path, text: str) -> None:
    # Temp file in the same folder, fsync, rename over, fsync the folder: after a crash
    # the file holds the old mark or the new one, never half of one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def remember(note: str, data_dir: Path | None = None, *, superseding: Mark | None = None
             ) -> bool:
    """remember makes NOTE the high-water mark if it is not behind the current one.

    The mark only moves forward, so two processes signing at once cannot move it
    back; the one exception is SUPERSEDING, a mark whose rollback was accepted on
    the ledger. Returns True if the file was written.
    """
    path = mark_path(data_dir)
    new = parse_mark(note)
    with _locked(path):
        try:
            current: Mark | None = parse_mark(path.read_text())
        except (FileNotFoundError, NoteError):
            current = None
        if current is not None:
            if current.note == note:
                return False
            same_log = current.origin == new.origin and \
                split_note(current.note)[1][0].key_id == split_note(note)[1][0].key_id
            if same_log and current.size > new.size and not (
                    superseding is not None and current.note == superseding.note):
                return False
        _write_atomically(path, note)
        return True


def remember_after_commit(session: Session, note: str, *, superseding: Mark | None = None,
                          data_dir: Path | None = None) -> None:
    """remember_after_commit makes NOTE the high-water mark once SESSION commits.

    After the commit, not before: a mark written first would, if the transaction
    then rolled back, name a checkpoint the database never held, and the next
    start would refuse a healthy database as rolled back. Written after, a crash
    between commit and write leaves the mark one checkpoint behind — it still
    guards everything it names, and `habeas serve` moves it up to the database's
    latest checkpoint once that is shown to extend it. The hook runs inside
    commit(), so the note is on disk before any caller can publish it.
    """
    folder = data_dir or get_settings().data_dir
    if not session.info.get(_LISTENING):
        event.listen(session, "after_commit", _write_pending)
        event.listen(session, "after_rollback", _drop_pending)
        session.info[_LISTENING] = True
    session.info[_PENDING] = (note, superseding, folder)


def _write_pending(session: Session) -> None:
    pending: Any = session.info.pop(_PENDING, None)
    if pending is not None:
        note, superseding, folder = pending
        remember(note, folder, superseding=superseding)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def accepted(session: Session, mark: Mark) -> int | None:
    """accepted is the seq of the `ledger.rollback_accepted` event that gave up MARK, if any."""
    rows = session.execute(select(Event.seq, Event.payload).where(
        Event.type == ROLLBACK_ACCEPTED).order_by(Event.seq))
    for seq, payload in rows:
        if payload.get("from_size") == mark.size and payload.get("from_root") == mark.root_b64:
            return int(seq)
    return None


def shortfall(session: Session, mark: Mark) -> str | None:
    """shortfall says how the database's log fails to extend MARK, or None if it does.

    The log extends the mark if it has at least mark.size leaves, its stored
    hashes give the signed root at that size, and the RFC 9162 §2.1.4
    consistency proof from there to the current size verifies.
    """
    size = log_size(session)
    if size < mark.size:
        return (f"the database's log has {size} events but checkpoint {mark.size} was already"
                " signed: it was rolled back")
    root = store.root_at(session, mark.size)
    if root != mark.root:
        return (f"the database's log (size {size}) has a different root at size {mark.size}"
                f" than the signed checkpoint {mark.size}: it is a fork")
    if 0 < mark.size < size:  # every tree extends the empty one (RFC 9162 §2.1.4)
        proof = store.consistency(session, mark.size, size)
        if not merkle.verify_consistency(mark.size, size, root, store.root_at(session, size),
                                         proof):
            return (f"the database's log (size {size}) is not consistent with the signed"
                    f" checkpoint {mark.size}")
    return None


@dataclass(frozen=True)
class Standing:
    """Standing is how the database stands against the high-water mark."""

    mark: Mark | None
    problem: str | None  # why the log does not extend the mark; None if it does
    accepted_seq: int | None  # the event that accepted that, if one did

    @property
    def refused(self) -> bool:
        return self.problem is not None and self.accepted_seq is None


def standing(session: Session, mark: Mark | None) -> Standing:
    """standing checks the database's log against MARK (no mark: nothing to check)."""
    if mark is None:
        return Standing(None, None, None)
    problem = shortfall(session, mark)
    return Standing(mark, problem, accepted(session, mark) if problem else None)


def require_held(session: Session, verifier: Verifier, data_dir: Path | None = None
                 ) -> Standing:
    """require_held refuses (RolledBack) a log that does not extend the high-water mark.

    Used before signing: the log must never sign a checkpoint inconsistent with
    one it already published, and after a restore the database's own checkpoint
    rows cannot tell.
    """
    found = standing(session, load(data_dir, verifier))
    if found.refused:
        raise RolledBack(f"ledger: {found.problem}; refusing to sign (see `habeas restore"
                         " --accept-rollback`)")
    return found
