"""Current-state table of court orders (written only by holds/projections.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base


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
