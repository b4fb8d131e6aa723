"""Ledger test helpers (the `ledger` fixture itself lives in tests/conftest.py)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from tests.conftest import Ledger

__all__ = ["Ledger", "reprotect", "unprotect"]


def unprotect(engine: Engine, *tables: str) -> None:
    """unprotect drops the append-only triggers, as an operator with database access could."""
    with engine.begin() as conn:
        for table in tables:
            if engine.dialect.name == "sqlite":
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
            else:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))


def reprotect(engine: Engine, *tables: str) -> None:
    """reprotect restores PostgreSQL's triggers so the harness can reset the database."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in tables:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
