"""Current-state tables of custody (written only by custody/projections.py and the
housing projections in facilities/projections.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime


class Prisoner(Base):
    """Prisoner is one person held at a facility: a transferee or a domestic prisoner.

    Legal custodian (the state whose sentence is served) and physical custodian
    (the facility) are kept apart from the handover on (DESIGN.md §3).
    """

    __tablename__ = "prisoner"
    __table_args__ = (
        # A transferee's reference is its sending state's external_ref, unique only within
        # that state (two agreements may send an "X" to one prison); the prison's own
        # references are unique under its own state.
        UniqueConstraint("facility_code", "legal_custodian", "local_ref",
                         name="uq_prisoner_facility_ref"),
        Index("ix_prisoner_cell", "facility_code", "building_code", "cell_code"),
    )

    public_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # transferee | domestic
    local_ref: Mapped[str] = mapped_column(String(64))
    family_name: Mapped[str] = mapped_column(String(300))
    given_names: Mapped[str] = mapped_column(String(300))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    legal_status: Mapped[str] = mapped_column(String(16))  # convicted | untried
    affiliation_group: Mapped[str | None] = mapped_column(String(100))
    affiliation_basis: Mapped[str] = mapped_column(String(16), default="none")
    affiliation_source: Mapped[str | None] = mapped_column(String(300))
    security_level: Mapped[str | None] = mapped_column(String(16))
    legal_custodian: Mapped[str] = mapped_column(String(3))
    physical_custodian: Mapped[str] = mapped_column(String(64))
    # handed_over (awaiting intake) | taken_in (awaiting a cell) | in_custody |
    # return_required | in_solitary is NOT a status (see Solitary) | released | returned |
    # escaped | died
    status: Mapped[str] = mapped_column(String(16), index=True)
    building_code: Mapped[str | None] = mapped_column(String(64))
    cell_code: Mapped[str | None] = mapped_column(String(64))
    admitted_on: Mapped[date] = mapped_column(Date)
    admitted_seq: Mapped[int] = mapped_column(BigInteger)
    intake_seq: Mapped[int | None] = mapped_column(BigInteger)
    # Set by the release-date calculation; a scheduled departure in the capacity forecast.
    release_date: Mapped[date | None] = mapped_column(Date)
    sentence_expiry: Mapped[date | None] = mapped_column(Date)
    release_working: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    release_seq: Mapped[int | None] = mapped_column(BigInteger)
    # A recorded renewal lets this person be held past the agreement's term until then.
    term_renewed_until: Mapped[date | None] = mapped_column(Date)
    # A return ordered by a court (kind return_order), with its deadline.
    return_hold_ref: Mapped[str | None] = mapped_column(String(100))
    return_deadline: Mapped[date | None] = mapped_column(Date)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # released, returned, died…
    # Billing (DESIGN.md §8): a return order flags the person; days after it are not billable.
    return_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_flagged_seq: Mapped[int | None] = mapped_column(BigInteger)
    # An erroneous transfer (the person should never have been sent): nothing is billable.
    erroneous_seq: Mapped[int | None] = mapped_column(BigInteger)
    erroneous_reason: Mapped[str | None] = mapped_column(String(1000))
    left_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_family_contact: Mapped[date | None] = mapped_column(Date)


class IntakeRecord(Base):
    """IntakeRecord is the admission record of Mandela Rule 7, one per admission."""

    __tablename__ = "intake"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_id: Mapped[str] = mapped_column(ForeignKey("prisoner.public_id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    officer: Mapped[str] = mapped_column(String(200))
    document_checked: Mapped[str] = mapped_column(String(200))
    biometric_match: Mapped[bool | None] = mapped_column(Boolean)
    visible_injuries: Mapped[str] = mapped_column(Text)
    ill_treatment_complaint: Mapped[str] = mapped_column(Text)
    property_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(2))
    medical_flags: Mapped[list[str]] = mapped_column(JSON)
    security_level: Mapped[str] = mapped_column(String(16))
    affiliation: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The person's requests about notifications (habeas.notify, Mandela Rules 68-69).
    do_not_notify: Mapped[bool] = mapped_column(Boolean, default=False,
                                                server_default=false())
    do_not_notify_consulate: Mapped[bool] = mapped_column(Boolean, default=False,
                                                          server_default=false())


class Alert(Base):
    """Alert tells one state something it must act on (e.g. a person to return)."""

    __tablename__ = "alert"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "<seq>:<party>"
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    party: Mapped[str] = mapped_column(String(3), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(String(1000))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Solitary(Base):
    """Solitary is one episode of solitary confinement (Mandela Rules 43–45).

    More than 15 consecutive days is prolonged solitary, prohibited by Rule 44;
    such an episode needs an independent review on the record.
    """

    __tablename__ = "solitary"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_id: Mapped[str] = mapped_column(ForeignKey("prisoner.public_id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    authorised_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(1000))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_seq: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    review_outcome: Mapped[str | None] = mapped_column(String(1000))
    review_seq: Mapped[int | None] = mapped_column(BigInteger)


class Contact(Base):
    """Contact is one family, legal or consular visit, call or letter (Mandela Rule 58)."""

    __tablename__ = "contact"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_id: Mapped[str] = mapped_column(ForeignKey("prisoner.public_id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # family | legal | consular
    mode: Mapped[str] = mapped_column(String(16))  # visit | call | video | letter
    on: Mapped[date] = mapped_column(Date)
    with_whom: Mapped[str] = mapped_column(String(300))


class Death(Base):
    """Death records a death in custody and the duties it starts (Mandela Rules 69, 71)."""

    __tablename__ = "death"

    public_id: Mapped[str] = mapped_column(ForeignKey("prisoner.public_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    died_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300))
    circumstances: Mapped[str] = mapped_column(Text)
    obligations: Mapped[list[str]] = mapped_column(JSON)
    investigation_body: Mapped[str | None] = mapped_column(String(300))
    investigation_ref: Mapped[str | None] = mapped_column(String(100))
    investigation_opened_on: Mapped[date | None] = mapped_column(Date)
    investigation_seq: Mapped[int | None] = mapped_column(BigInteger)


class IntegrityRun(Base):
    """IntegrityRun is what the integrity report said on a day, as recorded on the ledger."""

    __tablename__ = "integrity_run"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
