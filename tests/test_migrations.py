"""Migrations: idempotent upgrade, no drift between models and migrations, reversible."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from habeas.migrate import alembic_config, current_revision, head_revision, upgrade
from habeas.models import metadata

pytestmark = pytest.mark.both_engines  # migrations: DDL differs per engine (docs/testing.md)


def test_upgrade_is_idempotent(engine: Engine) -> None:
    assert upgrade(engine) == (head_revision(), head_revision())


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
