"""Credit notes: the receiving state gives back part of invoice lines, never more than
what remains of a line; numbered without gaps per agreement.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.billing.authority import acts_for
from habeas.billing.issuing import document_sha256
from habeas.billing.lines import line_of, uncredited
from habeas.billing.models import CreditNote, Invoice
from habeas.billing.projections import CreditLine, CreditNoteIssued
from habeas.billing.reads import get_invoice
from habeas.errors import field_error
from habeas.events import NewEvent, lock_log, record


def credit_note_event(session: Session, invoice: Invoice, credits: dict[int, int],
                       reason: str, *, actor: str, today: date,
                       dispute_seq: int | None = None) -> NewEvent:
    if not reason.strip():
        raise field_error("reason", "a credit note gives its reason")
    if not credits:
        raise field_error("lines", "credit at least one line")
    lines = []
    for number, amount in sorted(credits.items()):
        left = uncredited(session, invoice, number)
        if not 0 < amount <= left:
            raise field_error("amount_minor", f"line {number}: credit {amount} must be "
                              f"more than 0 and at most the {left} not yet credited")
        original = line_of(invoice, number)
        lines.append(CreditLine(line=number, amount_minor=-amount,
                                description=f"credit of line {number} "
                                            f"({original['name']}, {original['kind']})"))
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    count = session.scalar(select(func.count()).select_from(CreditNote).join(
        Invoice, Invoice.seq == CreditNote.invoice_seq).where(
        Invoice.agreement_ref == agreement.ref)) or 0
    document = {"number": f"{agreement.ref}/CN-{count + 1:04d}", "invoice": invoice.number,
                "invoice_seq": invoice.seq, "issued_on": today.isoformat(), "reason": reason,
                "lines": [c.model_dump(mode="json") for c in lines],
                "total_minor": sum(c.amount_minor for c in lines), "dispute_seq": dispute_seq}
    payload = CreditNoteIssued.model_validate(
        {k: v for k, v in document.items() if k != "invoice"}
        | {"document_sha256": document_sha256(document)})
    return NewEvent(type="credit_note.issued", payload=payload, actor=actor,
                    party=agreement.receiving_party, facility=agreement.facility_code)


def issue_credit_note(session: Session, invoice_seq: int, credits: dict[int, int],
                      reason: str, *, actor: str, party: str | None,
                      today: date) -> CreditNote:
    """issue_credit_note credits invoice lines (line → positive amount to credit)."""
    invoice = get_invoice(session, invoice_seq)
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    acts_for(party, agreement, "receiving", "issuing credit notes",
             not_found=f"invoice {invoice_seq} not found")
    lock_log(session)
    event = record(session, credit_note_event(session, invoice, credits, reason,
                                               actor=actor, today=today))
    return session.get_one(CreditNote, event.seq)
