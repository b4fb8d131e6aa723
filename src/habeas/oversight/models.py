"""Current-state tables of oversight (written only by oversight/projections.py).

Every row's id is the seq of the event that created it, so replaying the log
rebuilds the same ids.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime


class Inspection(Base):
    """Inspection is one monitoring visit to a facility (Mandela Rules 83–84)."""

    __tablename__ = "inspection"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    announced: Mapped[bool] = mapped_column(Boolean)
    areas: Mapped[list[str]] = mapped_column(JSON)
    inspectors: Mapped[list[str]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Finding(Base):
    """Finding is what an inspection found and recommends, and the administration's answer
    (Mandela Rule 85: a written report, and whether its recommendations are implemented)."""

    __tablename__ = "finding"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    inspection_seq: Mapped[int] = mapped_column(ForeignKey("inspection.seq"), index=True)
    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"), index=True)
    text: Mapped[str] = mapped_column(Text)
    recommendation: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high | critical
    response_due: Mapped[date] = mapped_column(Date)
    people_concerned: Mapped[list[str]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | responded
    response: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(16))  # accepted | partially | rejected
    actions: Mapped[list[str] | None] = mapped_column(JSON)
    responded_on: Mapped[date | None] = mapped_column(Date)
    responded_by: Mapped[str | None] = mapped_column(String(200))

    def overdue_on(self, day: date) -> bool:
        """overdue_on: still unanswered after its response_due date."""
        return self.status == "open" and day > self.response_due

    @property
    def late(self) -> bool:
        """late: the answer came after response_due."""
        return self.responded_on is not None and self.responded_on > self.response_due


class Grievance(Base):
    """Grievance is a request or complaint by or for a detained person (Mandela Rules 56–57).

    Allegations of ill-treatment go to the monitors (status routed_to_monitor) and
    only a monitor closes them.
    """

    __tablename__ = "grievance"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_id: Mapped[str] = mapped_column(ForeignKey("prisoner.public_id"), index=True)
    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"), index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_by_role: Mapped[str] = mapped_column(String(32))
    filed_by_name: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    alleges_ill_treatment: Mapped[bool] = mapped_column(Boolean)
    concerns_staff: Mapped[list[str]] = mapped_column(JSON)
    # open | routed_to_monitor (an ill-treatment allegation awaiting an answer) | responded
    # | closed
    status: Mapped[str] = mapped_column(String(20), index=True)
    response: Mapped[str | None] = mapped_column(Text)
    responded_by: Mapped[str | None] = mapped_column(String(200))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def routed_to_monitor(self) -> bool:
        """routed_to_monitor: an allegation of ill-treatment goes to the monitors, whatever
        its status (Mandela Rule 57(3))."""
        return self.alleges_ill_treatment
