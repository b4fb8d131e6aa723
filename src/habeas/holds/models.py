"""Current-state table of court orders (written only by holds/projections.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime


class HoldRecord(Base):
    """HoldRecord is a registered court order, active until it expires or is lifted."""

    __tablename__ = "hold"

    hold_ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    court: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    issued: Mapped[date] = mapped_column(Date)
    expires: Mapped[date | None] = mapped_column(Date)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    bars_removal_to: Mapped[Any] = mapped_column(JSON)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lift_reason: Mapped[str | None] = mapped_column(String(500))
    registered_seq: Mapped[int] = mapped_column(BigInteger)
    # Who registered it (the event's actor: they may lift it) and the sending state whose
    # people it names (its legal role may lift it) — DESIGN.md §12.1.
    registered_by: Mapped[str | None] = mapped_column(String(200))
    party: Mapped[str | None] = mapped_column(String(3))
    # The lifting court document, and when the lift was *recorded*: a lift counts from
    # then, never from its claimed lifted_on (DESIGN.md §12.2).
    lift_document: Mapped[str | None] = mapped_column(String(500))
    lifted_seq: Mapped[int | None] = mapped_column(BigInteger)
    lift_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
