"""Schema creation and upgrade through Alembic, on whatever engine is given."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from habeas.db import check_reachable
from habeas.errors import DomainError, ErrorCode


def alembic_config() -> Config:
    """alembic_config points Alembic at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("habeas") / "migrations"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """upgrade brings the schema to head; returns (before, after). Idempotent."""
    check_reachable(engine)
    before = current_revision(engine)
    _run(engine, lambda config: command.upgrade(config, "head"))
    return before, current_revision(engine)


def downgrade(engine: Engine, revision: str) -> None:
    """downgrade takes the schema back to REVISION (tests of a migration on a database
    full of events use it, then upgrade again)."""
    _run(engine, lambda config: command.downgrade(config, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    config = alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        # SQLite changes a constraint by copying the table (batch mode); with foreign keys
        # on, dropping the old copy fails on every row that references it. SQLite's own
        # procedure (sqlite.org/lang_altertable.html, "other kinds of table schema
        # changes"): keys off outside the transaction, foreign_key_check before commit.
        if sqlite:
            _sqlite_foreign_keys(conn, on=False)
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                step(config)
                _after_upgrade(conn, config.attributes.get("after_upgrade", []))
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("a migration left rows referencing nothing "
                                       "(PRAGMA foreign_key_check); nothing was committed")
        finally:
            if sqlite:
                _sqlite_foreign_keys(conn, on=True)


def _sqlite_foreign_keys(conn: Connection, *, on: bool) -> None:
    # On the driver's connection: through SQLAlchemy the statement would open a
    # transaction first, inside which SQLite ignores this pragma.
    conn.connection.driver_connection.execute(  # type: ignore[union-attr]
        f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _after_upgrade(conn: Connection, steps: list[str]) -> None:
    # Data steps a migration asked for ("module:function", called with a session), run in
    # the same transaction once the schema is at head, with head's code: a migration never
    # imports the application, whose models may already be newer than its revision.
    for step in steps:
        module, _, name = step.partition(":")
        function = getattr(importlib.import_module(module), name)
        with Session(bind=conn) as session:
            function(session)
            session.flush()


def require_current(engine: Engine) -> None:
    """require_current refuses to run against a missing or old schema."""
    check_reachable(engine)
    if current_revision(engine) != head_revision():
        raise DomainError(
            "the database schema is missing or out of date: run `habeas init`",
            code=ErrorCode.SCHEMA_OUT_OF_DATE,
        )
