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
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from habeas import projections
from habeas.config import get_settings
from habeas.db import engine_for, make_engine, read_session, unit_of_work
from habeas.errors import DomainError, ErrorCode, Unavailable, ValidationFailed
from habeas.events import NewEvent, log_size, record
from habeas.ledger import highwater, store
from habeas.ledger.highwater import Mark, RolledBack
from habeas.ledger.keys import VKEY_FILE, key_path, load_log_key
from habeas.ledger.note import NoteError, Verifier, parse_signer, parse_verifier, verify_note
from habeas.ledger.projections import RollbackAccepted
from habeas.ledger.publish import bundle_bytes, tile_bytes
from habeas.ledger.service import latest_checkpoint, root_b64, sign_checkpoint
from habeas.ledger.tiles import Tile, parse_path
from habeas.ledger.verify import Discrepancy, Verified, verify

FORMAT = "habeas-backup/1"
MANIFEST = "manifest.json"
DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PG_LOCK_TIMEOUT = "15s"
CHUNK = 1 << 20

EngineName = Literal["sqlite", "postgresql"]
Progress = Callable[[int], None]


class BadBackup(ValidationFailed):
    """BadBackup: PATH is not a usable backup (missing, not one, corrupt, wrong engine)."""


class Manifest(BaseModel):
    """Manifest is manifest.json: what a backup holds and how to check its dump."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["habeas-backup/1"]
    engine: EngineName
    created_at: datetime
    schema_revision: str | None
    log_size: int
    root: str  # base64 root hash of the log at log_size
    checkpoint_size: int | None
    checkpoint_root: str | None
    origin: str
    file: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Backup:
    """Backup is a checked backup folder: its manifest, the dump, the manifest's SHA-256."""

    path: Path
    manifest: Manifest
    digest: str

    @property
    def dump(self) -> Path:
        return self.path / self.manifest.file


def engine_kind(url: str) -> EngineName:
    """engine_kind names the database engine of a SQLAlchemy URL."""
    name = make_url(url).get_backend_name()
    if name in ("sqlite", "postgresql"):
        return name  # type: ignore[return-value]
    raise DomainError(f"HABEAS_DATABASE_URL: backup supports sqlite and postgresql, not {name}")


def sqlite_file(url: str) -> Path:
    """sqlite_file is the database file of a sqlite:///PATH URL."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise DomainError("HABEAS_DATABASE_URL: an in-memory SQLite database cannot be backed up"
                          " or restored")
    return Path(database)


def _libpq_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """libpq turns a SQLAlchemy PostgreSQL URL into a libpq conninfo string and environment.

    The query parameters (host=/run/postgresql for a Unix socket, sslmode, …) are
    libpq keywords already; the password goes in PGPASSWORD, never on a command line.
    """
    parsed = make_url(url)
    params: dict[str, str] = {}
    if parsed.host:
        params["host"] = parsed.host
    if parsed.port:
        params["port"] = str(parsed.port)
    if parsed.username:
        params["user"] = parsed.username
    if parsed.database:
        params["dbname"] = parsed.database
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return " ".join(f"{k}={_libpq_value(v)}" for k, v in params.items()), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise Unavailable(f"{name} not found on PATH: install the PostgreSQL client tools",
                          code=ErrorCode.INTERNAL_ERROR)
    return found


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise Unavailable(f"{Path(args[0]).name}: {lines[0] if lines else 'failed'}",
                          code=ErrorCode.INTERNAL_ERROR)


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()


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
    pg_dump = _tool("pg_dump")
    engine = make_engine(url)
    try:
        with engine.connect() as plain:
            conn = plain.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads the snapshot this transaction exports, so the manifest's
                # size and root describe exactly the rows in the dump.
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                facts = _facts(conn)
                _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                      f"--file={dump}", f"--dbname={conninfo}"], env)
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


def open_backup(path: Path, progress: Progress | None = None) -> Backup:
    """open_backup reads PATH's manifest and checks the dump's length and SHA-256 against it."""
    if not path.exists():
        raise BadBackup(f"{path}: no such backup")
    if not path.is_dir() or not (path / MANIFEST).is_file():
        raise BadBackup(f"{path}: not a habeas backup (no {MANIFEST}; make one with"
                        " `habeas backup PATH`)")
    raw = (path / MANIFEST).read_bytes()
    try:
        manifest = Manifest.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise BadBackup(f"{path / MANIFEST}: {where}: {first['msg']}") from None
    if manifest.file != DUMP_FILES[manifest.engine]:
        raise BadBackup(f"{path / MANIFEST}: file: expected {DUMP_FILES[manifest.engine]!r}")
    found = Backup(path, manifest, hashlib.sha256(raw).hexdigest())
    try:
        length = found.dump.stat().st_size
    except FileNotFoundError:
        raise BadBackup(f"{found.dump}: missing; the backup is incomplete") from None
    if length != manifest.bytes:
        raise BadBackup(f"{found.dump}: {length} bytes where the manifest says"
                        f" {manifest.bytes}: the backup is truncated or corrupt; nothing was"
                        " changed")
    if sha256_file(found.dump, progress) != manifest.sha256:
        raise BadBackup(f"{found.dump}: SHA-256 does not match the manifest: the backup is"
                        " corrupt; nothing was changed")
    return found


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


def backup_shortfall(found: Backup, mark: Mark | None) -> str | None:
    """backup_shortfall says, from the manifest alone, whether restoring rolls the log back."""
    if mark is None:
        return None
    m = found.manifest
    if m.log_size < mark.size:
        return (f"the backup's log has {m.log_size} events but checkpoint {mark.size} was"
                " already signed")
    if m.log_size == mark.size and m.root != mark.root_b64:
        return f"the backup's log has a different root at size {mark.size}: it is a fork"
    return None


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
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    with tempfile.TemporaryDirectory(prefix="habeas-restore-") as scratch:
        # The SQL script first, whole; only a script pg_restore finished is replayed.
        script = Path(scratch) / "restore.sql"
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-acl",
              f"--file={script}", str(found.dump)], env)
        _run([psql, "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction",
              "-c", f"SET lock_timeout = '{PG_LOCK_TIMEOUT}'",
              "-c", "DROP SCHEMA IF EXISTS public CASCADE",
              "-c", "CREATE SCHEMA public",
              "-f", str(script), f"--dbname={conninfo}"], env)


# --- The rollback guard ------------------------------------------------------------------------

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


# --- Verifying the restored ledger -------------------------------------------------------------

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
