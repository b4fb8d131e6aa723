"""Payments: the sending state records money received against an invoice.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from habeas import clock
from habeas.agreements.models import Agreement
from habeas.billing.authority import acts_for
from habeas.billing.models import Payment
from habeas.billing.projections import PaymentRecorded
from habeas.billing.reads import get_invoice
from habeas.errors import field_error
from habeas.events import NewEvent, lock_log, record


def record_payment(session: Session, invoice_seq: int, amount_minor: int, *, paid_on: date,
                   reference: str, actor: str, party: str | None) -> Payment:
    """record_payment records money received; partial allowed, never more than the balance.
    Paying is the sending state's act (DESIGN.md §12.1): the receiving state issues, it never
    records a payment in the debtor's name."""
    invoice = get_invoice(session, invoice_seq)
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    acts_for(party, agreement, "sending", "paying", not_found=f"invoice {invoice_seq} not found")
    lock_log(session)
    session.refresh(invoice)
    if paid_on > clock.today():
        # Money is recorded once received: a payment dated ahead settles nothing yet.
        raise field_error("paid_on", f"{paid_on} is in the future")
    if amount_minor <= 0:
        raise field_error("amount_minor", "a payment is more than 0")
    if amount_minor > invoice.balance_minor:
        raise field_error("amount_minor", f"{amount_minor} is more than the balance "
                          f"{invoice.balance_minor} of {invoice.number}")
    if paid_on < invoice.issued_on:
        raise field_error("paid_on", f"{paid_on} is before the invoice was issued")
    event = record(session, NewEvent(
        type="payment.recorded", actor=actor, party=party or agreement.sending_party,
        payload=PaymentRecorded(invoice_seq=invoice.seq, amount_minor=amount_minor,
                                paid_on=paid_on, reference=reference)))
    return session.get_one(Payment, event.seq)
