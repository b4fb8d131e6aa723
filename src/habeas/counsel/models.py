"""Current-state table of counsel appearances (written only by counsel/projections.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime


class Appearance(Base):
    """Appearance makes a counsel user counsel of record for one person until withdrawn.

    Filed citing a court case (court and case number) or the person's signed engagement
    (DESIGN.md §12.1: "a recorded link ... not a role that sees everyone"). The row's id
    is the seq of `counsel.appeared`, so replay rebuilds the same ids.
    """

    __tablename__ = "counsel_appearance"
    __table_args__ = (Index("ix_counsel_appearance_counsel_status", "counsel", "status"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_id: Mapped[str] = mapped_column(String(16), index=True)
    counsel: Mapped[str] = mapped_column(String(64))  # the counsel user's username
    counsel_name: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(16))  # court_case | engagement
    court: Mapped[str | None] = mapped_column(String(300))
    case_number: Mapped[str | None] = mapped_column(String(100))
    engagement: Mapped[str | None] = mapped_column(String(300))
    appeared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # active | withdrawn
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))
