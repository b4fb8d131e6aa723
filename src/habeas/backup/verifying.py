"""Verifying the restored ledger end to end against the last checkpoint the log published."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from habeas.config import get_settings
from habeas.db import engine_for, read_session
from habeas.errors import DomainError, ErrorCode
from habeas.ledger import highwater
from habeas.ledger.keys import VKEY_FILE, key_path
from habeas.ledger.note import NoteError, Verifier, parse_signer, parse_verifier
from habeas.ledger.publish import bundle_bytes, tile_bytes
from habeas.ledger.service import latest_checkpoint
from habeas.ledger.tiles import Tile, parse_path
from habeas.ledger.verify import Discrepancy, Verified, verify

from .manifest import Progress


def log_verifier() -> Verifier | None:
    """log_verifier is the log's public key from the data dir, if there is one."""
    folder = get_settings().data_dir
    try:
        vkey = (folder / VKEY_FILE).read_text().strip()
        return parse_verifier(vkey)
    except (OSError, NoteError):
        pass
    try:
        return parse_signer(key_path(folder).read_text().strip()).verifier
    except (OSError, NoteError):
        return None


@dataclass
class DbSource:
    """DbSource serves the tiles of the tree of SIZE straight from the database, as a
    mirror would, so the offline verifier checks the restored ledger end to end."""

    session: Session
    note: str

    def fetch(self, rel: str) -> bytes:
        if rel == "checkpoint":
            return self.note.encode()
        try:
            level, index, width = parse_path(rel)
        except ValueError as exc:
            raise Discrepancy(f"{rel}: {exc}") from None
        if level is None:
            return bundle_bytes(self.session, index, width)
        return tile_bytes(self.session, Tile(level, index, width))


def verify_restored(engine_url: str, *, progress: Progress | None = None) -> Verified | str:
    """verify_restored checks the whole ledger against the last published checkpoint.

    That is the larger of the high-water mark (when the log extends it) and the
    database's latest checkpoint; the other, if smaller, must be a prefix of it.
    Returns the verifier's result, or why nothing could be verified.
    """
    verifier = log_verifier()
    if verifier is None:
        return "ledger not verified: no log key in the data dir"
    with read_session(engine_for(engine_url)) as session:
        mark = highwater.load(None, verifier)
        if mark is not None and highwater.standing(session, mark).problem is not None:
            mark = None  # given up by an accepted rollback: not trusted any more
        latest = latest_checkpoint(session)
        candidates = [m for m in (
            (latest.size, latest.note) if latest else None,
            (mark.size, mark.note) if mark else None) if m is not None]
        if not candidates:
            return "ledger not verified: no checkpoint signed yet"
        _, note = max(candidates, key=lambda c: c[0])
        with tempfile.TemporaryDirectory(prefix="habeas-verify-") as scratch:
            state = None
            trusted = mark.note if mark and mark.note != note else None
            if trusted is not None:
                state = Path(scratch) / "trusted"
                state.write_text(trusted)
            try:
                return verify(DbSource(session, note), verifier, state=state,
                              progress=progress)
            except Discrepancy as exc:
                raise DomainError(f"ledger verification FAILED: {exc}",
                                  code=ErrorCode.INTERNAL_ERROR) from None
