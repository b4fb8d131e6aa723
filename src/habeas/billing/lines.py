"""An invoice's lines and what remains of each after the credit notes and the credit
lines of later invoices (days found not billable).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.billing.models import CreditNote, Invoice
from habeas.errors import field_error


def line_of(invoice: Invoice, number: int) -> dict[str, Any]:
    """line_of is line NUMBER of INVOICE, or the error naming the field `line`."""
    for line in invoice.lines:
        if line["line"] == number:
            return line
    raise field_error("line", f"invoice {invoice.number} has no line {number}")


def credited(session: Session, invoice_seqs: list[int]) -> dict[tuple[str, int], int]:
    """credited: the (negative) sums credit notes gave back, by (invoice number, line)."""
    taken: dict[tuple[str, int], int] = {}
    if not invoice_seqs:
        return taken
    for note, number in session.execute(
            select(CreditNote, Invoice.number).join(Invoice, Invoice.seq == CreditNote.invoice_seq)
            .where(CreditNote.invoice_seq.in_(invoice_seqs))):
        for c in note.lines:
            key = (number, int(c["line"]))
            taken[key] = taken.get(key, 0) + int(c["amount_minor"])
    return taken


def uncredited(session: Session, invoice: Invoice, number: int) -> int:
    """uncredited is what remains of line NUMBER after the credit notes so far and the
    credit lines of later invoices (days found not billable)."""
    amount = int(line_of(invoice, number)["amount_minor"])
    amount += credited(session, [invoice.seq]).get((invoice.number, number), 0)
    for later in session.scalars(select(Invoice).where(
            Invoice.agreement_ref == invoice.agreement_ref, Invoice.seq > invoice.seq)):
        amount += sum(int(c["amount_minor"]) for c in later.lines
                      if c.get("credits_invoice") == invoice.number
                      and c.get("credits_line") == number)
    return amount
