"""Ledger fixtures: a demo database with a log key and a signed checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from habeas.config import get_settings
from habeas.db import unit_of_work
from habeas.ledger import service
from habeas.ledger.keys import ensure_log_key
from habeas.ledger.note import Signer


@dataclass
class Ledger:
    engine: Engine
    signer: Signer
    data_dir: Path

    def checkpoint(self) -> int:
        with unit_of_work(self.engine) as s:
            return service.sign_checkpoint(s, self.signer).size


@pytest.fixture
def ledger(demo_engine: Engine, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    monkeypatch.setenv("HABEAS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    signer, _ = ensure_log_key()
    result = Ledger(demo_engine, signer, tmp_path / "data")
    result.checkpoint()
    yield result
    get_settings.cache_clear()


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
