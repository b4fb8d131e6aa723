"""Backup and restore (ADR 0017): consistent snapshots, checked restores, no silent rollback.

A backup is a folder: the database dump (SQLite: a copy made with SQLite's
online backup API; PostgreSQL: `pg_dump --format=custom`) and `manifest.json`
saying what it holds — engine, schema revision, the log's size and root at
that size, the latest checkpoint in it — and the dump's length and SHA-256,
so a truncated or corrupt dump is refused before anything is touched.

Restoring an old backup rolls the ledger back. The latest checkpoint the log
signed is remembered outside the database (habeas.ledger.highwater); a
restore, `habeas serve` and `sign_checkpoint` refuse a log that does not
extend it, unless an operator accepts the loss, which is recorded on the
ledger as `ledger.rollback_accepted` and followed at once by a new checkpoint.

writing makes a backup; manifest reads one back and checks it; restoring puts it in
place; rollback is the guard; verifying checks the restored ledger end to end; engines
knows the two databases and their client tools.
"""

from __future__ import annotations

from .engines import engine_kind
from .manifest import (
    DUMP_FILES,
    MANIFEST,
    Backup,
    BadBackup,
    Manifest,
    backup_shortfall,
    open_backup,
)
from .restoring import restore
from .rollback import Guarded, guard
from .verifying import log_verifier, verify_restored
from .writing import backup

__all__ = [
    "DUMP_FILES", "MANIFEST", "Backup", "BadBackup", "Guarded", "Manifest", "backup",
    "backup_shortfall", "engine_kind", "guard", "log_verifier", "open_backup", "restore",
    "verify_restored",
]
