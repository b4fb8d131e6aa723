"""Issuing a month's invoice: numbered without gaps per agreement, once per month,
after the month is over; the document's SHA-256 committed in the ledger.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas import faults
from habeas.billing.authority import acts_for
from habeas.billing.drafting import invoice_for, period_bounds
from habeas.billing.models import Invoice
from habeas.billing.projections import InvoiceIssued
from habeas.billing.reads import get_agreement
from habeas.errors import Conflict, ErrorCode, field_error
from habeas.events import NewEvent, lock_log, record
from habeas.ledger.leaf import canonical_json

PAYMENT_TERMS_DAYS = 30  # due date = issue date + 30 days


def document_sha256(document: dict[str, Any]) -> str:
    """document_sha256 is the hex SHA-256 of the document's canonical JSON (RFC 8785)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def issue_invoice(session: Session, agreement_ref: str, period: str, *, actor: str,
                  party: str | None, today: date) -> Invoice:
    """issue_invoice records the month's invoice, numbered without gaps per agreement.

    The log head is locked first, so the number and the one-invoice-per-period
    check are decided under the same lock that orders the events.
    """
    _, end = period_bounds(period)
    agreement = get_agreement(session, agreement_ref)
    acts_for(party, agreement, "receiving", "issuing invoices")
    if today <= end:
        raise field_error("period", f"{period} is not over until {end.isoformat()}; "
                          "invoice it afterwards (use invoice_for for a preview)")
    lock_log(session)
    existing = session.scalar(select(Invoice).where(
        Invoice.agreement_ref == agreement.ref, Invoice.period == period))
    if existing is not None:
        raise Conflict(f"period: {period} is already invoiced ({existing.number}); "
                       "correct it with a credit note", code=ErrorCode.ALREADY_INVOICED,
                       details={"field": "period", "invoice": existing.number})
    draft = invoice_for(session, agreement.ref, period)
    count = session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.agreement_ref == agreement.ref)) or 0
    document = {"number": f"{agreement.ref}/{count + 1:04d}", **draft.as_json(),
                "issued_on": today.isoformat(),
                "due_on": (today + timedelta(days=PAYMENT_TERMS_DAYS)).isoformat()}
    payload = InvoiceIssued.model_validate(
        document | {"document_sha256": document_sha256(document)})
    event = record(session, NewEvent(type="invoice.issued", payload=payload, actor=actor,
                                     party=agreement.receiving_party,
                                     subject=document["number"],
                                     facility=agreement.facility_code))
    faults.crash_point("billing.invoice")
    return session.get_one(Invoice, event.seq)
