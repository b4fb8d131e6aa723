"""Writing a backup: a consistent snapshot of the database (SQLite's online backup API, or
pg_dump of an exported snapshot) and the manifest that describes it, made whole or not at all."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.orm import Session

from habeas.config import get_settings
from habeas.db import make_engine
from habeas.errors import Unavailable
from habeas.events import log_size
from habeas.ledger import store
from habeas.ledger.service import latest_checkpoint, root_b64

from .engines import client_tool, engine_kind, libpq, run_tool, sqlite_file
from .manifest import (
    DUMP_FILES,
    FORMAT,
    MANIFEST,
    Backup,
    BadBackup,
    Manifest,
    Progress,
    sha256_file,
)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class _Facts:
    schema_revision: str | None
    log_size: int
    root: str
    checkpoint_size: int | None
    checkpoint_root: str | None


def _facts(conn: Connection) -> _Facts:
    from alembic.runtime.migration import MigrationContext

    with Session(bind=conn) as session:
        size = log_size(session)
        latest = latest_checkpoint(session)
        return _Facts(MigrationContext.configure(conn).get_current_revision(), size,
                      root_b64(store.root_at(session, size)),
                      latest.size if latest else None,
                      root_b64(latest.root) if latest else None)


def _snapshot_sqlite(url: str, dump: Path) -> _Facts:
    source = sqlite_file(url)
    if not source.is_file():
        raise Unavailable(f"database {source} does not exist")
    with closing(sqlite3.connect(source, timeout=30)) as src, \
            closing(sqlite3.connect(dump)) as dst:
        # One step (pages=-1): the copy is read in one read transaction, a consistent
        # snapshot; in WAL mode the writers carry on meanwhile. (Stepwise copies restart
        # whenever a writer commits, and might never finish on a busy log.)
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
    engine = create_engine(f"sqlite:///{dump}")
    try:
        with engine.connect() as conn:
            return _facts(conn)
    finally:
        engine.dispose()


def _snapshot_postgres(url: str, dump: Path) -> _Facts:
    conninfo, env = libpq(url)
    pg_dump = client_tool("pg_dump")
    engine = make_engine(url)
    try:
        with engine.connect() as plain:
            conn = plain.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads the snapshot this transaction exports, so the manifest's
                # size and root describe exactly the rows in the dump.
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                facts = _facts(conn)
                run_tool([pg_dump, "--format=custom", "--no-password",
                          f"--snapshot={snapshot}", f"--file={dump}", f"--dbname={conninfo}"],
                         env)
        return facts
    finally:
        engine.dispose()


def backup(url: str, path: Path, *, now: datetime, progress: Progress | None = None) -> Backup:
    """backup writes a consistent snapshot of the database at URL to the new folder PATH.

    The folder is built under a temporary name beside PATH and renamed when
    complete, so a backup that exists is a whole one.
    """
    kind = engine_kind(url)
    if path.exists() or path.is_symlink():
        raise BadBackup(f"{path}: already exists; a backup never overwrites anything")
    if not path.parent.is_dir():
        raise BadBackup(f"{path.parent}: no such folder")
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.partial-"))
    try:
        dump = staging / DUMP_FILES[kind]
        facts = _snapshot_sqlite(url, dump) if kind == "sqlite" else _snapshot_postgres(url, dump)
        manifest = Manifest(
            format=FORMAT, engine=kind, created_at=now, schema_revision=facts.schema_revision,
            log_size=facts.log_size, root=facts.root, checkpoint_size=facts.checkpoint_size,
            checkpoint_root=facts.checkpoint_root, origin=get_settings().log_origin,
            file=dump.name, bytes=dump.stat().st_size, sha256=sha256_file(dump, progress))
        body = manifest.model_dump_json(indent=2) + "\n"
        (staging / MANIFEST).write_text(body)
        for item in (dump, staging / MANIFEST, staging):
            _fsync(item)
        os.chmod(staging, 0o700)  # the dump holds personal data
        os.rename(staging, path)
        _fsync(path.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Backup(path, manifest, hashlib.sha256(body.encode()).hexdigest())
