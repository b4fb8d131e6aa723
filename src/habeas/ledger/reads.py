"""Reads for the ledger explorer: checkpoints a page at a time with their witnesses'
cosignatures, the latest events, and one event. The log is public (it holds no personal
data), so none of these is scoped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.ledger.models import Checkpoint, Cosignature, Event


@dataclass(frozen=True)
class Cosigned:
    """Cosigned is one witness's cosignature on a checkpoint: who, and the time it signed
    (the timestamp inside its C2SP tlog-cosignature, seconds since the epoch)."""

    witness: str
    signed_at: datetime


def cosigned_time(timestamp: int) -> datetime:
    """cosigned_time: a tlog-cosignature timestamp (Unix seconds) as a UTC time."""
    return datetime.fromtimestamp(timestamp, UTC)


def cosignatures(db: Session, sizes: Iterable[int]) -> dict[int, list[Cosigned]]:
    """cosignatures: the witnesses' cosignatures on each checkpoint of SIZES (one query)."""
    found: dict[int, list[Cosigned]] = {size: [] for size in sizes}
    if found:
        for c in db.scalars(select(Cosignature).where(Cosignature.checkpoint_size.in_(
                list(found))).order_by(Cosignature.checkpoint_size, Cosignature.witness_name)):
            found[c.checkpoint_size].append(Cosigned(c.witness_name, cosigned_time(c.timestamp)))
    return found


def checkpoints_before(db: Session, before: int | None, limit: int) -> list[Checkpoint]:
    """checkpoints_before: the LIMIT largest checkpoints smaller than BEFORE (any, if None),
    largest first."""
    query = select(Checkpoint).order_by(Checkpoint.size.desc())
    if before is not None:
        query = query.where(Checkpoint.size < before)
    return list(db.scalars(query.limit(limit)))


def latest_events(db: Session, limit: int) -> list[Event]:
    """latest_events: the last LIMIT events recorded, newest first."""
    return list(db.scalars(select(Event).order_by(Event.seq.desc()).limit(limit)))


def events_after(db: Session, after: int, limit: int) -> list[Event]:
    """events_after: up to LIMIT events with seq > AFTER, in log order."""
    return list(db.scalars(select(Event).where(Event.seq > after).order_by(Event.seq)
                           .limit(limit)))


def event_at(db: Session, seq: int) -> Event | None:
    """event_at: event SEQ of the log, if there is one."""
    return db.get(Event, seq)
