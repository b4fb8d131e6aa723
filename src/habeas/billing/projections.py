"""How billing events change the invoice, credit note, payment and dispute tables.
The only writer of those tables."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.billing.models import Charge, CreditNote, Dispute, Invoice, Payment
from habeas.billing.schemas import InvoiceLine
from habeas.events import EventFacts, projector, stage, staged


class CreditLine(BaseModel):
    """CreditLine credits (negative AMOUNT_MINOR) one line of the original invoice."""

    line: int
    amount_minor: int
    description: str


class InvoiceIssued(BaseModel):
    number: str
    agreement_ref: str
    period: str
    currency: str
    issued_on: date
    due_on: date
    lines: list[InvoiceLine]
    total_minor: int
    document_sha256: str
    # What priced the days (absent from invoices issued before they were recorded).
    facility_code: str | None = None
    timezone: str | None = None
    fees: list[dict[str, Any]] | None = None


class CreditNoteIssued(BaseModel):
    number: str
    invoice_seq: int
    issued_on: date
    reason: str
    lines: list[CreditLine]
    total_minor: int
    document_sha256: str
    dispute_seq: int | None = None


class PaymentRecorded(BaseModel):
    invoice_seq: int
    amount_minor: int
    paid_on: date
    reference: str


class DisputeOpened(BaseModel):
    invoice_seq: int
    line: int
    reason: str
    opened_on: date


class DisputeDecided(BaseModel):
    dispute_seq: int
    decision: Literal["accepted", "rejected"]
    reason: str
    decided_on: date


@projector("invoice.issued", InvoiceIssued)
def apply_invoice_issued(session: Session, p: InvoiceIssued, event: EventFacts) -> None:
    stage(session, Invoice(
        seq=event.seq, number=p.number, agreement_ref=p.agreement_ref, period=p.period,
        currency=p.currency, issued_on=p.issued_on, due_on=p.due_on,
        lines=[line.model_dump(mode="json") for line in p.lines], total_minor=p.total_minor,
        document_sha256=p.document_sha256, issued_by=event.actor, credited_minor=0,
        paid_minor=0,
    ), event.seq)


@projector("credit_note.issued", CreditNoteIssued)
def apply_credit_note_issued(session: Session, p: CreditNoteIssued, event: EventFacts) -> None:
    stage(session, CreditNote(
        seq=event.seq, number=p.number, invoice_seq=p.invoice_seq, issued_on=p.issued_on,
        reason=p.reason, lines=[line.model_dump(mode="json") for line in p.lines],
        total_minor=p.total_minor, document_sha256=p.document_sha256,
        dispute_seq=p.dispute_seq, issued_by=event.actor,
    ), event.seq)
    invoice = staged(session, Invoice, p.invoice_seq)
    assert invoice is not None, "the service checked the invoice exists"
    invoice.credited_minor += p.total_minor
    if p.dispute_seq is not None:
        dispute = staged(session, Dispute, p.dispute_seq)
        assert dispute is not None, "the service checked the dispute exists"
        dispute.credit_note_seq = event.seq


@projector("payment.recorded", PaymentRecorded)
def apply_payment_recorded(session: Session, p: PaymentRecorded, event: EventFacts) -> None:
    stage(session, Payment(
        seq=event.seq, invoice_seq=p.invoice_seq, amount_minor=p.amount_minor,
        paid_on=p.paid_on, reference=p.reference, recorded_by=event.actor,
    ), event.seq)
    invoice = staged(session, Invoice, p.invoice_seq)
    assert invoice is not None, "the service checked the invoice exists"
    invoice.paid_minor += p.amount_minor


@projector("dispute.opened", DisputeOpened)
def apply_dispute_opened(session: Session, p: DisputeOpened, event: EventFacts) -> None:
    stage(session, Dispute(
        seq=event.seq, invoice_seq=p.invoice_seq, line=p.line, reason=p.reason,
        opened_by=event.actor, opened_on=p.opened_on, status="open", decision_reason=None,
        decided_by=None, decided_on=None, credit_note_seq=None,
    ), event.seq)


@projector("dispute.decided", DisputeDecided)
def apply_dispute_decided(session: Session, p: DisputeDecided, event: EventFacts) -> None:
    dispute = staged(session, Dispute, p.dispute_seq)
    assert dispute is not None, "the service checked the dispute exists"
    dispute.status = p.decision
    dispute.decision_reason = p.reason
    dispute.decided_by = event.actor
    dispute.decided_on = p.decided_on


class ChargeRecorded(BaseModel):
    agreement_ref: str
    public_id: str
    kind: Literal["medical", "repatriation"]
    incurred_on: date
    amount_minor: int
    description: str
    reference: str


@projector("charge.recorded", ChargeRecorded)
def apply_charge_recorded(session: Session, p: ChargeRecorded, event: EventFacts) -> None:
    stage(session, Charge(
        seq=event.seq, agreement_ref=p.agreement_ref, public_id=p.public_id, kind=p.kind,
        incurred_on=p.incurred_on, amount_minor=p.amount_minor, description=p.description,
        reference=p.reference, recorded_by=event.actor), event.seq)
