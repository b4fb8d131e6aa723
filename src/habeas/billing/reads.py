"""Billing reads: agreements, invoices and what hangs off them (credit notes, payments,
disputes, charges), each scoped as its caller may see it (DESIGN.md §2): a sending state
reads only its own agreements' invoices and disputes, as if the others did not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, defer

from habeas.agreements.models import Agreement
from habeas.billing import arithmetic
from habeas.billing.models import Charge, CreditNote, Dispute, Invoice, Payment
from habeas.errors import NotFound
from habeas.ledger.models import Event

Columns = TypeVarTuple("Columns")  # what a query selects


def get_agreement(session: Session, ref: str) -> Agreement:
    agreement = session.get(Agreement, ref)
    if agreement is None:
        raise NotFound(f"agreement {ref!r} not found")
    return agreement


def get_agreement_for(session: Session, ref: str, *, scope: str | None) -> Agreement:
    """get_agreement_for: agreement REF, if a caller limited to the party SCOPE may see it."""
    agreement = get_agreement(session, ref)
    if scope is not None and scope not in (agreement.sending_party,
                                           agreement.receiving_party):
        raise NotFound(f"agreement {ref!r} not found")
    return agreement


def agreements_billed(session: Session, *, scope: str | None) -> list[Agreement]:
    """agreements_billed: the agreements whose invoices SCOPE may see, by reference: a
    sending state its own, anyone else all."""
    query = select(Agreement).order_by(Agreement.ref)
    if scope is not None:
        query = query.where(Agreement.sending_party == scope)
    return list(session.scalars(query))


def billed_facilities(session: Session) -> list[str]:
    """billed_facilities: the codes of the facilities any agreement bills for, sorted."""
    return sorted(set(session.scalars(select(Agreement.facility_code))))


def get_invoice(session: Session, seq: int, *, scope: str | None = None) -> Invoice:
    invoice = session.get(Invoice, seq)
    if invoice is None or (scope is not None and session.get_one(
            Agreement, invoice.agreement_ref).sending_party != scope):
        raise NotFound(f"invoice {seq} not found")
    return invoice


def invoice_by_number(session: Session, number: str) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.number == number))


def visible_invoices(query: Select[*Columns], agreement: str | None, scope: str | None
                     ) -> Select[*Columns]:
    """visible_invoices narrows QUERY (over Invoice) to AGREEMENT's invoices and to those
    SCOPE may see: a sending state only its own agreements'."""
    if agreement is not None:
        query = query.where(Invoice.agreement_ref == agreement)
    if scope is not None:
        query = query.join(Agreement, Agreement.ref == Invoice.agreement_ref).where(
            Agreement.sending_party == scope)
    return query


def list_invoices(session: Session, *, agreement: str | None = None,
                  scope: str | None = None, limit: int | None = None, offset: int = 0,
                  with_lines: bool = True) -> list[Invoice]:
    """list_invoices: the invoices SCOPE may see, oldest first, LIMIT from OFFSET; without
    their lines when a list shows none (an invoice may bill hundreds of people)."""
    query = select(Invoice).order_by(Invoice.seq)
    if not with_lines:
        query = query.options(defer(Invoice.lines))
    query = visible_invoices(query, agreement, scope).limit(limit).offset(offset)
    return list(session.scalars(query))


def owed_by_currency(session: Session, *, agreement: str | None = None,
                     scope: str | None = None) -> dict[str, int]:
    """owed_by_currency: what every invoice SCOPE may see still owes, by currency."""
    balance = func.sum(Invoice.total_minor + Invoice.credited_minor - Invoice.paid_minor)
    query = select(Invoice.currency, balance).group_by(Invoice.currency) \
        .order_by(Invoice.currency)
    return {currency: int(owed) for currency, owed in session.execute(
        visible_invoices(query, agreement, scope)).all()}


def credit_notes_of(session: Session, invoice_seq: int) -> list[CreditNote]:
    return list(session.scalars(select(CreditNote).where(
        CreditNote.invoice_seq == invoice_seq).order_by(CreditNote.seq)))


def payments_of(session: Session, invoice_seq: int) -> list[Payment]:
    return list(session.scalars(select(Payment).where(
        Payment.invoice_seq == invoice_seq).order_by(Payment.seq)))


def disputes_of(session: Session, invoice_seq: int) -> list[Dispute]:
    return list(session.scalars(select(Dispute).where(
        Dispute.invoice_seq == invoice_seq).order_by(Dispute.seq)))


def ageing(invoice: Invoice, on: date) -> str:
    """ageing is the invoice's ageing bucket ON a date ("paid" once nothing is owed)."""
    if invoice.balance_minor <= 0:
        return "paid"
    return arithmetic.ageing_bucket(invoice.due_on, on)


def get_dispute(session: Session, seq: int, *, scope: str | None = None) -> Dispute:
    """get_dispute: dispute SEQ; a sending state SCOPE reads only its own (else as missing)."""
    dispute = session.get(Dispute, seq)
    if dispute is None or (scope is not None and session.get_one(
            Agreement, session.get_one(Invoice, dispute.invoice_seq).agreement_ref
    ).sending_party != scope):
        raise NotFound(f"dispute {seq} not found")
    return dispute


def charges_of(session: Session, agreement_ref: str, *, public_id: str | None = None
               ) -> list[Charge]:
    query = select(Charge).where(Charge.agreement_ref == agreement_ref).order_by(Charge.seq)
    if public_id is not None:
        query = query.where(Charge.public_id == public_id)
    return list(session.scalars(query))


def invoice_document(session: Session, invoice: Invoice) -> dict[str, Any]:
    """invoice_document opens the ledger's commitment to an issued invoice: the event's
    seq, payload and salt, so anyone holding the ledger checks SHA-256(salt ‖ JCS(payload))
    against the leaf's payload_sha256 (DESIGN.md §6) and reconciles the lines."""
    event = session.get_one(Event, invoice.seq)
    return {"seq": event.seq, "type": event.type, "payload": event.payload,
            "salt": event.salt, "payload_sha256": event.payload_sha256}
