"""Current-state tables of agreements (written only by agreements/projections.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base


class Party(Base):
    """Party is a state that is party to an agreement, by ISO 3166-1 alpha-3 code."""

    __tablename__ = "party"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Agreement(Base):
    """Agreement binds a sending and a receiving state, a facility, a term and a profile."""

    __tablename__ = "agreement"

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    sending_party: Mapped[str] = mapped_column(ForeignKey("party.code"))
    receiving_party: Mapped[str] = mapped_column(ForeignKey("party.code"))
    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"))
    currency: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date] = mapped_column(Date)
    term_months: Mapped[int] = mapped_column(Integer)
    renewable: Mapped[bool] = mapped_column(Boolean)
    quota: Mapped[int | None] = mapped_column(Integer)
    citizens_included: Mapped[bool] = mapped_column(Boolean)
    profile_name: Mapped[str] = mapped_column(String(64))
    profile_description: Mapped[str] = mapped_column(String(300))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    registered_seq: Mapped[int] = mapped_column(BigInteger)


class FeeSchedule(Base):
    """FeeSchedule is one version of an agreement's fees, in force from a date."""

    __tablename__ = "fee_schedule"

    agreement_ref: Mapped[str] = mapped_column(ForeignKey("agreement.ref"), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    annual_rate_minor: Mapped[int | None] = mapped_column(BigInteger)
    per_diem_minor: Mapped[int | None] = mapped_column(BigInteger)
    proration: Mapped[str] = mapped_column(String(16))
    intake_fee_minor: Mapped[int] = mapped_column(BigInteger)
    medical_cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    repatriation_cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    convention: Mapped[str] = mapped_column(String(32), default="arrival_not_departure",
                                            server_default="arrival_not_departure")


class AgreementChange(Base):
    """AgreementChange is a proposal by one party to change what both signed: renew the
    agreement, schedule new fees, or hold one person past the term (DESIGN.md §12.1: "a
    proposal by one party, in force only once the other accepts").

    proposed → accepted | rejected | withdrawn. Only acceptance changes the agreement.
    """

    __tablename__ = "agreement_change"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    agreement_ref: Mapped[str] = mapped_column(ForeignKey("agreement.ref"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # renewal | fees | person_term
    subject: Mapped[str | None] = mapped_column(String(16))  # public_id for person_term
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    basis: Mapped[str] = mapped_column(String(300))
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_party: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_party: Mapped[str | None] = mapped_column(String(3))
    decided_seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(500))
