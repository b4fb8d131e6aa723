"""/api/v1/billing — invoices, credit notes, payments and disputes (DESIGN.md §8)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import Day, Seq
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.billing import charges, credit_notes, disputes, drafting, issuing, payments, reads
from habeas.billing.charges import MAX_CHARGE_MINOR
from habeas.billing.models import CreditNote, Dispute, Invoice, Payment
from habeas.db import utcnow

router = APIRouter(prefix="/billing", tags=["billing"])
Reader = Annotated[Principal, Depends(require(Action.READ_BILLING))]
Issuer = Annotated[Principal, Depends(require(Action.ISSUE_INVOICES))]
Payer = Annotated[Principal, Depends(require(Action.RECORD_PAYMENTS))]
Disputer = Annotated[Principal, Depends(require(Action.DISPUTE_INVOICES))]
Decider = Annotated[Principal, Depends(require(Action.DECIDE_DISPUTES))]
Charger = Annotated[Principal, Depends(require(Action.RECORD_CHARGES))]
Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2025-04"])]
Reason = Annotated[str, Field(min_length=1, max_length=900)]


class InvoiceIn(BaseModel):
    agreement_ref: str = Field(max_length=64)
    period: Period


class CreditIn(BaseModel):
    line: int = Field(ge=1)
    amount_minor: int = Field(gt=0, description="the amount to credit, positive")


class CreditNoteIn(BaseModel):
    lines: list[CreditIn] = Field(min_length=1)
    reason: Reason


class PaymentIn(BaseModel):
    amount_minor: int = Field(gt=0)
    paid_on: date
    reference: str = Field(min_length=1, max_length=200)


class DisputeIn(BaseModel):
    document: str = Field(max_length=80, description="the invoice number")
    line: int = Field(ge=1)
    reason: Reason


class DecisionIn(BaseModel):
    decision: Literal["accepted", "rejected"]
    reason: Reason


class CreditNoteOut(BaseModel):
    seq: int
    number: str
    invoice_seq: int
    issued_on: date
    reason: str
    lines: list[dict[str, Any]]
    total_minor: int
    document_sha256: str
    dispute_seq: int | None


class PaymentOut(BaseModel):
    seq: int
    invoice_seq: int
    amount_minor: int
    paid_on: date
    reference: str
    recorded_by: str


class DisputeOut(BaseModel):
    seq: int
    invoice_seq: int
    line: int
    reason: str
    opened_by: str
    opened_on: date
    status: str
    decision_reason: str | None
    decided_by: str | None
    decided_on: date | None
    credit_note_seq: int | None


class InvoiceOut(BaseModel):
    seq: int
    number: str
    agreement_ref: str
    period: str
    currency: str
    issued_on: date
    due_on: date
    total_minor: int
    credited_minor: int
    paid_minor: int
    balance_minor: int
    ageing: str
    document_sha256: str


class InvoiceDetail(InvoiceOut):
    lines: list[dict[str, Any]]
    credit_notes: list[CreditNoteOut]
    payments: list[PaymentOut]
    disputes: list[DisputeOut]


class DraftOut(BaseModel):
    agreement_ref: str
    period: str
    currency: str
    facility_code: str
    timezone: str
    lines: list[dict[str, Any]]
    total_minor: int


def _invoice_out(invoice: Invoice, on: date) -> dict[str, Any]:
    return {**{c: getattr(invoice, c) for c in (
        "seq", "number", "agreement_ref", "period", "currency", "issued_on", "due_on",
        "total_minor", "credited_minor", "paid_minor", "balance_minor", "document_sha256")},
        "ageing": reads.ageing(invoice, on)}


def _note(note: CreditNote) -> CreditNoteOut:
    return CreditNoteOut.model_validate(note, from_attributes=True)


def _payment(payment: Payment) -> PaymentOut:
    return PaymentOut.model_validate(payment, from_attributes=True)


def _dispute(dispute: Dispute) -> DisputeOut:
    return DisputeOut.model_validate(dispute, from_attributes=True)


@router.get("/invoices", responses=documented(401, 403, 422))
def list_invoices(db: ReadDB, principal: Reader,
                  agreement: Annotated[str | None, Query(max_length=64)] = None,
                  on: Annotated[Day | None, Query(description="ageing judged on; "
                                                   "default today")] = None,
                  ) -> list[InvoiceOut]:
    """Issued invoices, oldest first, with balance and ageing."""
    day = on or utcnow().date()
    return [InvoiceOut.model_validate(_invoice_out(i, day)) for i in reads.list_invoices(
        db, agreement=agreement, scope=principal.scope)]


@router.get("/preview", responses=documented(401, 403, 404, 422))
def preview(db: ReadDB, principal: Reader, agreement: Annotated[str, Query(max_length=64)],
            period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]) -> DraftOut:
    """The invoice a period would get, computed and not recorded."""
    reads.get_agreement_for(db, agreement, scope=principal.scope)
    return DraftOut.model_validate(drafting.invoice_for(db, agreement, period).as_json())


@router.get("/invoices/{seq}", responses=documented(401, 403, 404, 422))
def get_invoice(seq: Seq, db: ReadDB, principal: Reader,
                on: Annotated[Day | None, Query()] = None) -> InvoiceDetail:
    """One invoice: its lines, credit notes, payments, disputes, balance and ageing."""
    invoice = reads.get_invoice(db, seq, scope=principal.scope)
    return InvoiceDetail.model_validate({
        **_invoice_out(invoice, on or utcnow().date()), "lines": invoice.lines,
        "credit_notes": [_note(n) for n in reads.credit_notes_of(db, seq)],
        "payments": [_payment(p) for p in reads.payments_of(db, seq)],
        "disputes": [_dispute(d) for d in reads.disputes_of(db, seq)]})


@router.post("/invoices", status_code=201, responses=documented(401, 403, 404, 409, 422))
def issue_invoice(body: InvoiceIn, write: Writer, principal: Issuer) -> InvoiceOut:
    """Issue a month's invoice for an agreement (once per period; then credit notes)."""
    today = utcnow().date()
    with write() as db:
        invoice = issuing.issue_invoice(db, body.agreement_ref, body.period,
                                        actor=principal.actor, party=principal.party_code,
                                        today=today)
        return InvoiceOut.model_validate(_invoice_out(invoice, today))


@router.post("/invoices/{seq}/credit-notes", status_code=201,
             responses=documented(401, 403, 404, 422))
def issue_credit_note(seq: Seq, body: CreditNoteIn, write: Writer, principal: Issuer
                      ) -> CreditNoteOut:
    """Credit lines of an invoice, with a reason: corrections are never edits."""
    credits: dict[int, int] = {}
    for c in body.lines:
        credits[c.line] = credits.get(c.line, 0) + c.amount_minor
    with write() as db:
        return _note(credit_notes.issue_credit_note(db, seq, credits, body.reason,
                                                    actor=principal.actor,
                                                    party=principal.party_code,
                                                    today=utcnow().date()))


@router.post("/invoices/{seq}/payments", status_code=201,
             responses=documented(401, 403, 404, 422))
def record_payment(seq: Seq, body: PaymentIn, write: Writer, principal: Payer) -> PaymentOut:
    """Record a payment: partial allowed, never more than the balance."""
    with write() as db:
        return _payment(payments.record_payment(
            db, seq, body.amount_minor, paid_on=body.paid_on, reference=body.reference,
            actor=principal.actor, party=principal.party_code))


@router.post("/disputes", status_code=201, responses=documented(401, 403, 404, 409, 422))
def open_dispute(body: DisputeIn, write: Writer, principal: Disputer) -> DisputeOut:
    """Dispute one invoice line, with a reason (the sending state)."""
    with write() as db:
        return _dispute(disputes.open_dispute(db, body.document, body.line, body.reason,
                                              actor=principal.actor,
                                              party=principal.party_code,
                                              today=utcnow().date()))


@router.post("/disputes/{seq}/decision", responses=documented(401, 403, 404, 409, 422))
def decide_dispute(seq: Seq, body: DecisionIn, write: Writer, principal: Decider
                   ) -> DisputeOut:
    """Accept (a credit note for the line) or reject a dispute, with a reason."""
    with write() as db:
        return _dispute(disputes.decide_dispute(
            db, seq, accept=body.decision == "accepted", reason=body.reason,
            actor=principal.actor, party=principal.party_code, today=utcnow().date()))


class ChargeIn(BaseModel):
    agreement_ref: str = Field(max_length=64)
    public_id: str = Field(min_length=1, max_length=16)
    kind: Literal["medical", "repatriation"]
    incurred_on: date
    amount_minor: int = Field(gt=0, le=MAX_CHARGE_MINOR, description="integer minor units")
    description: str = Field(min_length=1, max_length=900)
    reference: str = Field(default="", max_length=200,
                           description="the bill or receipt it passes through")


class ChargeOut(BaseModel):
    seq: int
    agreement_ref: str
    public_id: str
    kind: str
    incurred_on: date
    amount_minor: int
    description: str
    reference: str
    recorded_by: str


@router.post("/charges", status_code=201, responses=documented(401, 403, 404, 409, 422))
def record_charge(body: ChargeIn, write: Writer, principal: Charger) -> ChargeOut:
    """Record a pass-through charge (medical, repatriation), billed capped in its month."""
    with write() as db:
        charge = charges.record_charge(
            db, body.agreement_ref, body.public_id, kind=body.kind,
            incurred_on=body.incurred_on, amount_minor=body.amount_minor,
            description=body.description, reference=body.reference,
            actor=principal.actor, party=principal.party_code)
        return ChargeOut.model_validate(charge, from_attributes=True)


@router.get("/charges", responses=documented(401, 403, 404, 422))
def list_charges(db: ReadDB, principal: Reader, agreement: Annotated[str, Query(max_length=64)],
                 public_id: Annotated[str | None, Query(max_length=16)] = None
                 ) -> list[ChargeOut]:
    """Pass-through charges recorded under an agreement (optionally for one person)."""
    reads.get_agreement_for(db, agreement, scope=principal.scope)
    return [ChargeOut.model_validate(c, from_attributes=True)
            for c in reads.charges_of(db, agreement, public_id=public_id)]


class DocumentOut(BaseModel):
    seq: int
    type: str
    payload: dict[str, Any]
    salt: str
    payload_sha256: str


@router.get("/invoices/{seq}/document", responses=documented(401, 403, 404))
def invoice_document(seq: Seq, db: ReadDB, principal: Reader) -> DocumentOut:
    """The issued invoice as the ledger committed to it: payload and salt, so that
    SHA-256(salt ‖ JCS(payload)) equals the leaf's payload_sha256. Feed it to
    `habeas billing reconcile`."""
    invoice = reads.get_invoice(db, seq, scope=principal.scope)
    return DocumentOut.model_validate(reads.invoice_document(db, invoice))
