"""Rebuild the current state from the event log and compare it with the live tables.

`habeas replay --check` copies every event, in sequence order, into a fresh
scratch database and re-applies it through the same projectors that
`events.record` uses; then it compares every projection table row by row.
A difference means something wrote state outside the one write path, or a
projector is not deterministic — either is a defect to be found, not hidden.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.orm import Session

from habeas import projections
from habeas.db import make_engine, unit_of_work
from habeas.events import apply_many, event_row
from habeas.ledger import merkle, store
from habeas.ledger.leaf import leaf_bytes
from habeas.ledger.models import Event, LedgerHash, LogHead
from habeas.migrate import upgrade
from habeas.models import metadata, projection_tables

BATCH = 1_000


@dataclass(frozen=True)
class Difference:
    """Difference is one row that the live database and the replay disagree on."""

    table: str
    key: tuple[Any, ...]
    live: dict[str, Any] | None
    replayed: dict[str, Any] | None

    def describe(self) -> str:
        if self.live is None:
            return f"{self.table} {self.key}: replay has a row the live database lacks"
        if self.replayed is None:
            return f"{self.table} {self.key}: live row was not produced by any event"
        columns = sorted(c for c in self.live if self.live[c] != self.replayed.get(c))
        return (f"{self.table} {self.key}: "
                + "; ".join(f"{c} live={self.live[c]!r} replayed={self.replayed.get(c)!r}"
                            for c in columns))


@dataclass(frozen=True)
class ReplayReport:
    events: int
    tables: int
    rows: int
    differences: list[Difference]

    @property
    def clean(self) -> bool:
        return not self.differences


def _normalise(value: Any) -> Any:
    # The scratch database is SQLite; the live one may be PostgreSQL. Compare values,
    # not driver representations.
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, memoryview):
        return bytes(value).hex()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _rows(session: Session, table: Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    key_columns = list(table.primary_key.columns)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in session.execute(select(table).order_by(*key_columns)).mappings():
        key = tuple(_normalise(row[c.name]) for c in key_columns)
        rows[key] = {name: _normalise(value) for name, value in row.items()}
    return rows


def _events(live: Engine) -> Iterator[list[Event]]:
    after = -1
    while True:
        with Session(live) as session:
            batch = list(session.scalars(
                select(Event).where(Event.seq > after).order_by(Event.seq).limit(BATCH)))
            session.expunge_all()
        if not batch:
            return
        yield batch
        after = batch[-1].seq


def rebuild(live: Engine, scratch: Engine, progress: Callable[[int], None] | None = None) -> int:
    """rebuild replays LIVE's events into the empty, migrated SCRATCH database."""
    projections.install()
    count = 0
    for batch in _events(live):
        with unit_of_work(scratch) as session:
            session.execute(insert(Event), [event_row(e) for e in batch])
            store.append_leaves(session, batch[0].seq,
                                [merkle.leaf_hash(leaf_bytes(e)) for e in batch])
            apply_many(session, batch)
            session.get_one(LogHead, 1).size = batch[-1].seq + 1
        count += len(batch)
        if progress is not None:
            progress(len(batch))
    return count


def compared_tables() -> list[Table]:
    """compared_tables: every projection, and the Merkle hashes recomputed from the events."""
    return [*projection_tables(), metadata.tables[LedgerHash.__tablename__]]


def compare(live: Engine, scratch: Engine) -> tuple[int, list[Difference]]:
    """compare diffs every projection table of LIVE against SCRATCH."""
    differences: list[Difference] = []
    total = 0
    with Session(live) as live_s, Session(scratch) as scratch_s:
        for table in compared_tables():
            live_rows, replayed_rows = _rows(live_s, table), _rows(scratch_s, table)
            total += len(live_rows)
            for key in sorted(live_rows.keys() | replayed_rows.keys(), key=repr):
                a, b = live_rows.get(key), replayed_rows.get(key)
                if a != b:
                    differences.append(Difference(table.name, key, a, b))
    return total, differences


def check(live: Engine, progress: Callable[[int], None] | None = None,
          scratch_dir: Path | None = None) -> ReplayReport:
    """check rebuilds LIVE's state in a scratch SQLite database and reports differences."""
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="habeas-replay-") as folder:
        scratch = make_engine(f"sqlite:///{Path(folder) / 'replay.db'}")
        try:
            upgrade(scratch)
            events = rebuild(live, scratch, progress)
            rows, differences = compare(live, scratch)
        finally:
            scratch.dispose()
    return ReplayReport(events, len(compared_tables()), rows, differences)
