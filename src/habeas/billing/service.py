"""Billing use cases (DESIGN.md §8): monthly invoices, credit notes, payments, disputes.

Services validate, record events through habeas.events, and never commit.
The arithmetic (days, rates, rounding, ageing) is billing/arithmetic.py's.
"""

from __future__ import annotations

import hashlib
import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement, FeeSchedule
from habeas.billing import arithmetic
from habeas.billing.arithmetic import BillingError, Fee
from habeas.billing.models import CreditNote, Dispute, Invoice, Payment
from habeas.billing.projections import (
    CreditLine,
    CreditNoteIssued,
    DisputeDecided,
    DisputeOpened,
    InvoiceIssued,
    InvoiceLine,
    PaymentRecorded,
)
from habeas.custody.models import Prisoner
from habeas.errors import Conflict, ErrorCode, Forbidden, NotFound, field_error
from habeas.events import NewEvent, canonical_json, lock_log, record, record_many
from habeas.facilities.models import Facility
from habeas.nominations.models import NominationRecord
from habeas.transfers.models import Manifest, ManifestPerson

PAYMENT_TERMS_DAYS = 30  # due date = issue date + 30 days
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass
class InvoiceDraft:
    """InvoiceDraft is an invoice as computed, before (or without) issuing it."""

    agreement_ref: str
    period: str
    currency: str
    facility_code: str
    timezone: str
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    def as_json(self) -> dict[str, Any]:
        return {"agreement_ref": self.agreement_ref, "period": self.period,
                "currency": self.currency, "facility_code": self.facility_code,
                "timezone": self.timezone,
                "lines": [line.model_dump(mode="json") for line in self.lines],
                "total_minor": self.total_minor}


def period_bounds(period: str) -> tuple[date, date]:
    """period_bounds are the first and last dates of PERIOD ("YYYY-MM")."""
    match = _PERIOD.match(period)
    if match is None:
        raise field_error("period", f"must be YYYY-MM, not {period!r}")
    year, month = int(match[1]), int(match[2])
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def document_sha256(document: dict[str, Any]) -> str:
    """document_sha256 is the hex SHA-256 of the document's canonical JSON (RFC 8785)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def get_agreement(session: Session, ref: str) -> Agreement:
    agreement = session.get(Agreement, ref)
    if agreement is None:
        raise NotFound(f"agreement {ref!r} not found")
    return agreement


def fees_of(session: Session, ref: str) -> list[Fee]:
    rows = session.scalars(select(FeeSchedule).where(FeeSchedule.agreement_ref == ref)
                           .order_by(FeeSchedule.effective_from))
    return [Fee(effective_from=r.effective_from, currency=r.currency,
                annual_rate_minor=r.annual_rate_minor, per_diem_minor=r.per_diem_minor,
                proration=r.proration, intake_fee_minor=r.intake_fee_minor,
                medical_cap_minor=r.medical_cap_minor) for r in rows]


def rate_description(fee: Fee) -> str:
    """rate_description says how a day is priced under FEE, in minor units."""
    if fee.per_diem_minor is not None:
        return f"per diem {fee.per_diem_minor} {fee.currency} minor units " \
               f"(from {fee.effective_from.isoformat()})"
    per = "365 days" if fee.proration == "365" else "the days of the year"
    return f"annual {fee.annual_rate_minor} {fee.currency} minor units / {per} " \
           f"(from {fee.effective_from.isoformat()})"


def _no_schedule(ref: str, period: str, problem: str) -> Exception:
    return field_error("period", f"{period} cannot be billed under {ref}: {problem}")


def invoice_for(session: Session, agreement_ref: str, period: str) -> InvoiceDraft:
    """invoice_for computes (without recording) AGREEMENT_REF's invoice for PERIOD.

    A line per transferee in custody at any time in the month, from handover to
    leaving (still held: through the month's end), days in the facility's time
    zone under the default convention (arrival billed, departure not); an intake
    line per person handed over in the month when the schedule has an intake fee.
    """
    start, end = period_bounds(period)
    agreement = get_agreement(session, agreement_ref)
    facility = session.get_one(Facility, agreement.facility_code)
    fees = fees_of(session, agreement.ref)
    try:
        arithmetic.schedule_on(fees, end)
    except BillingError as exc:
        raise _no_schedule(agreement.ref, period, exc.problem) from None
    draft = InvoiceDraft(agreement.ref, period, agreement.currency, facility.code,
                         facility.timezone)
    stays = session.execute(
        select(ManifestPerson).join(Manifest, Manifest.id == ManifestPerson.manifest_id)
        .where(Manifest.agreement_ref == agreement.ref, Manifest.direction == "outbound",
               ManifestPerson.handed_over_at.is_not(None))
        .order_by(ManifestPerson.handed_over_seq)).scalars().all()
    intakes: list[InvoiceLine] = []
    for stay in stays:
        assert stay.handed_over_at is not None and stay.handed_over_seq is not None
        prisoner = session.get(Prisoner, stay.public_id)
        left_at = prisoner.left_at if prisoner else None
        left_seq = prisoner.left_seq if prisoner else None
        if prisoner is not None:
            name = f"{prisoner.given_names} {prisoner.family_name}"
        else:
            nomination = session.get_one(NominationRecord, stay.public_id)
            name = f"{nomination.given_names} {nomination.family_name}"
        try:
            days = arithmetic.custody_days(stay.handed_over_at, left_at, start, end,
                                           facility.timezone)
            amount = arithmetic.line_amount(fees, days)
            used = list(dict.fromkeys(arithmetic.schedule_on(fees, d) for d in days))
            arrived = arithmetic.local_date(stay.handed_over_at, facility.timezone)
            intake = arithmetic.intake_fee(fees, arrived, start, end)
        except BillingError as exc:
            raise _no_schedule(agreement.ref, period, exc.problem) from None
        common = {"public_id": stay.public_id, "name": name,
                  "handover_seq": stay.handed_over_seq, "left_seq": left_seq}
        if days:
            draft.lines.append(InvoiceLine(
                line=len(draft.lines) + 1, kind="custody", days=len(days),
                first_day=days[0], last_day=days[-1],
                rate="; ".join(rate_description(f) for f in used), amount_minor=amount,
                **common))
        if intake:
            intakes.append(InvoiceLine(
                line=0, kind="intake", days=0, first_day=arrived, last_day=arrived,
                rate=f"intake fee {intake} {agreement.currency} minor units",
                amount_minor=intake, **common))
    for line in intakes:
        draft.lines.append(line.model_copy(update={"line": len(draft.lines) + 1}))
    return draft


def _acts_for(party: str | None, expected: str, what: str) -> None:
    # None: a caller without a party (the CLI operator); otherwise the state must match.
    if party is not None and party != expected:
        raise Forbidden(f"only {expected} {what}")


def issue_invoice(session: Session, agreement_ref: str, period: str, *, actor: str,
                  party: str | None, today: date) -> Invoice:
    """issue_invoice records the month's invoice, numbered without gaps per agreement.

    The log head is locked first, so the number and the one-invoice-per-period
    check are decided under the same lock that orders the events.
    """
    _, end = period_bounds(period)
    agreement = get_agreement(session, agreement_ref)
    _acts_for(party, agreement.receiving_party, "issues invoices under " + agreement.ref)
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
    payload = InvoiceIssued.model_validate({
        k: document[k] for k in ("number", "agreement_ref", "period", "currency",
                                 "issued_on", "due_on", "lines", "total_minor")}
        | {"document_sha256": document_sha256(document)})
    event = record(session, NewEvent(type="invoice.issued", payload=payload, actor=actor,
                                     party=agreement.receiving_party,
                                     facility=agreement.facility_code))
    return session.get_one(Invoice, event.seq)


def get_invoice(session: Session, seq: int, *, scope: str | None = None) -> Invoice:
    invoice = session.get(Invoice, seq)
    if invoice is None or (scope is not None and session.get_one(
            Agreement, invoice.agreement_ref).sending_party != scope):
        raise NotFound(f"invoice {seq} not found")
    return invoice


def invoice_by_number(session: Session, number: str) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.number == number))


def list_invoices(session: Session, *, agreement: str | None = None,
                  scope: str | None = None) -> list[Invoice]:
    query = select(Invoice).order_by(Invoice.seq)
    if agreement is not None:
        query = query.where(Invoice.agreement_ref == agreement)
    if scope is not None:
        query = query.join(Agreement, Agreement.ref == Invoice.agreement_ref).where(
            Agreement.sending_party == scope)
    return list(session.scalars(query))


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


def _line(invoice: Invoice, number: int) -> dict[str, Any]:
    for line in invoice.lines:
        if line["line"] == number:
            return line
    raise field_error("line", f"invoice {invoice.number} has no line {number}")


def uncredited(session: Session, invoice: Invoice, number: int) -> int:
    """uncredited is what remains of line NUMBER after the credit notes so far."""
    amount = int(_line(invoice, number)["amount_minor"])
    for note in credit_notes_of(session, invoice.seq):
        amount += sum(int(c["amount_minor"]) for c in note.lines if c["line"] == number)
    return amount


def _credit_note_event(session: Session, invoice: Invoice, credits: dict[int, int],
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
        original = _line(invoice, number)
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
    _acts_for(party, agreement.receiving_party, "issues credit notes under " + agreement.ref)
    lock_log(session)
    event = record(session, _credit_note_event(session, invoice, credits, reason,
                                               actor=actor, today=today))
    return session.get_one(CreditNote, event.seq)


def record_payment(session: Session, invoice_seq: int, amount_minor: int, *, paid_on: date,
                   reference: str, actor: str, party: str | None) -> Payment:
    """record_payment records money received; partial allowed, never more than the balance."""
    invoice = get_invoice(session, invoice_seq)
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    if party is not None and party not in (agreement.sending_party, agreement.receiving_party):
        raise Forbidden(f"only {agreement.sending_party} or {agreement.receiving_party} "
                        f"record payments under {agreement.ref}")
    lock_log(session)
    session.refresh(invoice)
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


def open_dispute(session: Session, document: str, line: int, reason: str, *, actor: str,
                 party: str | None, today: date) -> Dispute:
    """open_dispute: the sending state contests one line of an invoice (DOCUMENT's number).

    A credit note's line is not disputed, nor a line already under (or after) dispute.
    """
    invoice = invoice_by_number(session, document)
    if invoice is None:
        if session.scalar(select(CreditNote).where(CreditNote.number == document)):
            raise Conflict(f"document: {document} is a credit note; dispute the invoice "
                           "line it corrects", code=ErrorCode.NOT_DISPUTABLE,
                           details={"field": "document"})
        raise NotFound(f"invoice {document!r} not found")
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    _acts_for(party, agreement.sending_party, "disputes invoices under " + agreement.ref)
    if not reason.strip():
        raise field_error("reason", "a dispute gives its reason")
    _line(invoice, line)
    lock_log(session)
    earlier = session.scalar(select(Dispute).where(
        Dispute.invoice_seq == invoice.seq, Dispute.line == line,
        Dispute.status.in_(("open", "accepted"))))
    if earlier is not None:
        raise Conflict(f"line: line {line} of {invoice.number} is already disputed "
                       f"({earlier.status})", code=ErrorCode.NOT_DISPUTABLE,
                       details={"field": "line"})
    event = record(session, NewEvent(
        type="dispute.opened", actor=actor, party=agreement.sending_party,
        payload=DisputeOpened(invoice_seq=invoice.seq, line=line, reason=reason,
                              opened_on=today)))
    return session.get_one(Dispute, event.seq)


def get_dispute(session: Session, seq: int) -> Dispute:
    dispute = session.get(Dispute, seq)
    if dispute is None:
        raise NotFound(f"dispute {seq} not found")
    return dispute


def decide_dispute(session: Session, seq: int, *, accept: bool, reason: str, actor: str,
                   party: str | None, today: date) -> Dispute:
    """decide_dispute: the receiving state accepts (a credit note for what remains of the
    line) or rejects, with a reason."""
    dispute = get_dispute(session, seq)
    invoice = session.get_one(Invoice, dispute.invoice_seq)
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    _acts_for(party, agreement.receiving_party, "decides disputes under " + agreement.ref)
    if not reason.strip():
        raise field_error("reason", "a decision gives its reason")
    lock_log(session)
    if dispute.status != "open":
        raise Conflict(f"dispute {seq} was {dispute.status} on {dispute.decided_on}",
                       code=ErrorCode.DISPUTE_DECIDED)
    batch = [NewEvent(type="dispute.decided", actor=actor, party=agreement.receiving_party,
                      payload=DisputeDecided(
                          dispute_seq=seq, decision="accepted" if accept else "rejected",
                          reason=reason, decided_on=today))]
    if accept:
        batch.append(_credit_note_event(
            session, invoice, {dispute.line: uncredited(session, invoice, dispute.line)},
            f"dispute {seq} accepted: {reason}", actor=actor, today=today, dispute_seq=seq))
    record_many(session, batch)
    session.refresh(dispute)
    return dispute
