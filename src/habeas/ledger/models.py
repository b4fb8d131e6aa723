"""The append-only event table and the log head that hands out sequence numbers.

The ledger leaf of an event is the RFC 8785 canonical JSON of its envelope
(habeas.events.envelope); the Merkle hashes over the leaves live in their own
table, so adding them needs no change to this one (ADR 0003).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime

PayloadJSON = JSON().with_variant(JSONB(), "postgresql")


class Event(Base):
    """Event is one custody or administrative fact, never updated or deleted."""

    __tablename__ = "event"
    __table_args__ = {"info": {"kind": "log"}}

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    v: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    party: Mapped[str | None] = mapped_column(String(3))
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    facility: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(PayloadJSON)
    salt: Mapped[str] = mapped_column(String(32))
    payload_sha256: Mapped[str] = mapped_column(String(64))


class LogHead(Base):
    """LogHead is the single row holding the log's size; locking it serialises appends."""

    __tablename__ = "log_head"
    __table_args__ = {"info": {"kind": "log"}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
