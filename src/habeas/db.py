"""Engine, sessions and portable column types for SQLite and PostgreSQL.

SQLite is set up for a records system: WAL (readers never block the writer),
foreign keys on, a busy timeout, and writers that take the write lock at
BEGIN (``BEGIN IMMEDIATE``) so two writers never deadlock upgrading a read
lock. Read-only sessions use a deferred BEGIN and never block anyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from habeas import clock
from habeas.config import get_settings
from habeas.errors import Unavailable

SQLITE_BUSY_TIMEOUT_MS = 10_000

# Stable constraint names so migrations are identical on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """UTCDateTime stores an aware datetime as naive UTC and returns it aware.

    SQLite has no time zone type; storing naive UTC on both engines keeps the
    schema and the values identical, so replay can compare them exactly.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """utcnow is the one wall clock (habeas.clock: a simulation may inject its own)."""
    return clock.utcnow()


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook, not the driver, open transactions, so we
    # can choose DEFERRED or IMMEDIATE (pysqlite's own BEGIN is always DEFERRED).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """make_engine opens an engine for URL with the pragmas and hooks above."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """engine_for caches one engine per URL for the life of the process."""
    return make_engine(url)


def default_engine() -> Engine:
    """default_engine is the engine for HABEAS_DATABASE_URL."""
    return engine_for(get_settings().database_url)


def check_reachable(engine: Engine) -> None:
    """check_reachable raises Unavailable with one clear line if the database is down."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise Unavailable(
            f"database {engine.url.render_as_string(hide_password=True)} cannot be reached:"
            f" {reason}"
        ) from None


WRITER_LOCK = 0x68616265  # "habe": the advisory lock every PostgreSQL write transaction holds


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """unit_of_work is one writing transaction: commit on success, roll back on any error.

    Services never commit (STYLE.md); the caller of a use case owns the unit of work.
    """
    engine = engine or default_engine()
    session = Session(bind=engine.execution_options(sqlite_begin="IMMEDIATE"),
                      expire_on_commit=False)
    try:
        if engine.dialect.name == "postgresql":
            # One writer at a time, as SQLite's BEGIN IMMEDIATE gives: a use case checks
            # (the last quota place, the last bed in a cell) and records in one
            # serialised transaction, so two clients never both take the last place.
            # Every write appends to the one log anyway; readers are never blocked.
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    """read_session is a read-only session; closing it rolls back anything it wrote.

    Objects it loaded stay readable (detached) after it closes.
    """
    engine = engine or default_engine()
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
