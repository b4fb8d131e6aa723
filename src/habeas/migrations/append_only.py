"""Triggers that make a table append-only on SQLite and PostgreSQL (used by migrations)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def forbid_rewrites(table: str) -> None:
    """forbid_rewrites makes the database refuse UPDATE and DELETE (and TRUNCATE) on TABLE."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(sa.text(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            ))
        return
    op.execute(sa.text(
        "CREATE OR REPLACE FUNCTION habeas_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql"
    ))
    op.execute(sa.text(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION habeas_append_only()"
    ))


def allow_rewrites(table: str) -> None:
    """allow_rewrites drops the triggers forbid_rewrites created."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        return
    op.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
