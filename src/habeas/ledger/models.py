"""The append-only event table and the log head that hands out sequence numbers.

The ledger leaf of an event is the RFC 8785 canonical JSON of its envelope
(habeas.ledger.leaf.envelope); the Merkle hashes over the leaves live in their own
table, so adding them needs no change to this one (ADR 0003).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
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
    # Why the act was recorded past its late window (DESIGN.md §12.2); in the leaf
    # only when set, so leaves without one keep their bytes.
    late_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class LogHead(Base):
    """LogHead is the single row holding the log's size; locking it serialises appends."""

    __tablename__ = "log_head"
    __table_args__ = {"info": {"kind": "log"}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


class LedgerHash(Base):
    """LedgerHash is one stored Merkle hash, indexed as in Go's sumdb/tlog (≈2 per leaf).

    Written by events.record in the same transaction as the event, so any root
    or proof costs O(log n) reads (DESIGN.md §6).
    """

    __tablename__ = "ledger_hash"
    __table_args__ = {"info": {"kind": "log"}}

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Checkpoint(Base):
    """Checkpoint is a signed tree head the log has published (C2SP tlog-checkpoint)."""

    __tablename__ = "checkpoint"
    __table_args__ = {"info": {"kind": "log"}}

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Cosignature(Base):
    """Cosignature is a witness's C2SP tlog-cosignature line on one checkpoint."""

    __tablename__ = "cosignature"
    __table_args__ = (
        UniqueConstraint("checkpoint_size", "witness_name", name="uq_cosignature_witness"),
        {"info": {"kind": "log"}},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    checkpoint_size: Mapped[int] = mapped_column(ForeignKey("checkpoint.size"), index=True)
    witness_name: Mapped[str] = mapped_column(String(200))
    line: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Witness(Base):
    """Witness is a registered cosigner key, bound to the sending or monitor user who holds it."""

    __tablename__ = "witness"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    vkey: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    registered_seq: Mapped[int] = mapped_column(BigInteger)
