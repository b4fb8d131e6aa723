"""Current-state tables of transfers (written only by transfers/projections.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime


class Manifest(Base):
    """Manifest is one planned movement of people: legs, people, and where it stands.

    planned → approved → departed → arrived, or cancelled before departure.
    """

    __tablename__ = "manifest"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # "T" + planning seq
    agreement_ref: Mapped[str] = mapped_column(ForeignKey("agreement.ref"), index=True)
    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # outbound: to the facility; release | return: back to the sending state.
    direction: Mapped[str] = mapped_column(String(16), default="outbound",
                                           server_default="outbound")
    departure_date: Mapped[date] = mapped_column(Date)
    legs: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    planned_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))


class ManifestPerson(Base):
    """ManifestPerson is one person on a manifest and what became of them."""

    __tablename__ = "manifest_person"

    manifest_id: Mapped[str] = mapped_column(ForeignKey("manifest.id"), primary_key=True)
    public_id: Mapped[str] = mapped_column(ForeignKey("nomination.public_id"), primary_key=True,
                                           index=True)
    # listed | removed | departed | handed_over | return_required (outbound);
    # listed | departed | released | returned (back to the sending state)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(1000))
    gates: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    handed_over_seq: Mapped[int | None] = mapped_column(BigInteger)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sending_officer: Mapped[str | None] = mapped_column(String(200))
    receiving_officer: Mapped[str | None] = mapped_column(String(200))
    # Given by the sending state at handover; intake must match it (Mandela Rule 7(a)).
    biometric_reference_sha256: Mapped[str | None] = mapped_column(String(64))


class HandoverPart(Base):
    """HandoverPart is one side's own act in a handover or handback (DESIGN.md §12.1: "both:
    the handing and the taking officer, each for its own side").

    Each state records its part with its own user or token, named from that login; the
    person changes custody only once both parts are recorded.
    """

    __tablename__ = "handover_part"

    manifest_id: Mapped[str] = mapped_column(ForeignKey("manifest.id"), primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    side: Mapped[str] = mapped_column(String(16), primary_key=True)  # sending | receiving
    role: Mapped[str] = mapped_column(String(16))  # handing | taking
    officer: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    handed_over_at: Mapped[datetime] = mapped_column(UTCDateTime)
    biometric_reference_sha256: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
