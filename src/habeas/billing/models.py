"""Current-state tables of billing (written only by billing/projections.py; DESIGN.md §8).

Every row's id is the seq of the event that created it, so replaying the log
rebuilds the same ids. Invoices and credit notes are immutable once issued:
only their running totals (paid, credited) change, and only through events.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base


class Invoice(Base):
    """Invoice is one month's fees under one agreement, numbered without gaps."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("agreement_ref", "period", name="uq_invoice_agreement_period"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    number: Mapped[str] = mapped_column(String(80), unique=True)
    agreement_ref: Mapped[str] = mapped_column(ForeignKey("agreement.ref"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    currency: Mapped[str] = mapped_column(String(3))
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    document_sha256: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(200))
    credited_minor: Mapped[int] = mapped_column(BigInteger)  # <= 0: the credit notes' sum
    paid_minor: Mapped[int] = mapped_column(BigInteger)

    @property
    def balance_minor(self) -> int:
        """balance_minor: what is still owed (total, less credits and payments)."""
        return self.total_minor + self.credited_minor - self.paid_minor


class CreditNote(Base):
    """CreditNote corrects an invoice's lines with negative amounts; never an edit."""

    __tablename__ = "credit_note"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    number: Mapped[str] = mapped_column(String(80), unique=True)
    invoice_seq: Mapped[int] = mapped_column(ForeignKey("invoice.seq"), index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(1000))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # amount_minor < 0
    total_minor: Mapped[int] = mapped_column(BigInteger)
    document_sha256: Mapped[str] = mapped_column(String(64))
    dispute_seq: Mapped[int | None] = mapped_column(BigInteger)
    issued_by: Mapped[str] = mapped_column(String(200))


class Payment(Base):
    """Payment is money received against one invoice (partial payments allowed)."""

    __tablename__ = "payment"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    invoice_seq: Mapped[int] = mapped_column(ForeignKey("invoice.seq"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(200))


class Dispute(Base):
    """Dispute is the sending state contesting one invoice line; the receiving state decides."""

    __tablename__ = "dispute"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    invoice_seq: Mapped[int] = mapped_column(ForeignKey("invoice.seq"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(1000))
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | accepted | rejected
    decision_reason: Mapped[str | None] = mapped_column(String(1000))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_on: Mapped[date | None] = mapped_column(Date)
    credit_note_seq: Mapped[int | None] = mapped_column(BigInteger)


class Charge(Base):
    """Charge is a pass-through cost (medical care, repatriation) for one transferee,
    billed on the invoice of the month it was incurred in, capped per the fee schedule."""

    __tablename__ = "charge"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    agreement_ref: Mapped[str] = mapped_column(ForeignKey("agreement.ref"), index=True)
    public_id: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # medical | repatriation
    incurred_on: Mapped[date] = mapped_column(Date, index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(1000))
    reference: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(200))
