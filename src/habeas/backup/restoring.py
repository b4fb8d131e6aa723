"""Restoring a checked backup in place of the database: refused for another engine or a
newer schema; SQLite copied back, PostgreSQL replayed in one transaction."""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from habeas.db import engine_for

from .engines import client_tool, engine_kind, libpq, run_tool, sqlite_file
from .manifest import Backup, BadBackup

PG_LOCK_TIMEOUT = "15s"


def _check_restorable(found: Backup, url: str) -> None:
    from alembic.script import ScriptDirectory

    from habeas.migrate import alembic_config

    kind = engine_kind(url)
    if found.manifest.engine != kind:
        raise BadBackup(f"{found.path}: a backup of a {found.manifest.engine} database cannot"
                        f" be restored into {kind}")
    revision = found.manifest.schema_revision
    if revision is None:
        raise BadBackup(f"{found.path}: the backed-up database had no schema")
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except Exception:  # alembic raises several kinds for an unknown revision
        known = None
    if known is None:
        raise BadBackup(f"{found.path}: made by a newer habeas (schema {revision}); upgrade"
                        " habeas before restoring it")


def restore(url: str, found: Backup) -> None:
    """restore replaces the database at URL with the checked backup FOUND.

    SQLite: the online backup API copies the snapshot into the database file.
    PostgreSQL: the public schema is dropped and the dump replayed in one
    transaction, so a failure leaves the database as it was.
    """
    _check_restorable(found, url)
    engine_for(url).dispose()  # this process's pooled connections would hold locks
    if found.manifest.engine == "sqlite":
        target = sqlite_file(url)
        if not target.parent.is_dir():
            raise BadBackup(f"{target.parent}: no such folder for the database")
        with closing(sqlite3.connect(f"file:{found.dump}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(target, timeout=30)) as dst:
            src.backup(dst)
        return
    conninfo, env = libpq(url)
    pg_restore, psql = client_tool("pg_restore"), client_tool("psql")
    with tempfile.TemporaryDirectory(prefix="habeas-restore-") as scratch:
        # The SQL script first, whole; only a script pg_restore finished is replayed.
        script = Path(scratch) / "restore.sql"
        run_tool([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-acl",
                  f"--file={script}", str(found.dump)], env)
        run_tool([psql, "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1",
                  "--single-transaction",
                  "-c", f"SET lock_timeout = '{PG_LOCK_TIMEOUT}'",
                  "-c", "DROP SCHEMA IF EXISTS public CASCADE",
                  "-c", "CREATE SCHEMA public",
                  "-f", str(script), f"--dbname={conninfo}"], env)
