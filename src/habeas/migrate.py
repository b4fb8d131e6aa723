"""Schema creation and upgrade through Alembic, on whatever engine is given."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

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
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return before, current_revision(engine)


def require_current(engine: Engine) -> None:
    """require_current refuses to run against a missing or old schema."""
    check_reachable(engine)
    if current_revision(engine) != head_revision():
        raise DomainError(
            "the database schema is missing or out of date: run `habeas init`",
            code=ErrorCode.SCHEMA_OUT_OF_DATE,
        )
