"""Billing use cases (DESIGN.md §8): monthly invoices, credit notes, payments, disputes.

Services validate, record events through habeas.events, and never commit.
The arithmetic (days, rates, rounding, ageing) is billing/arithmetic.py's.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, defer

from habeas import clock, faults
from habeas.agreements.authority import Side, require_side
from habeas.agreements.models import Agreement, FeeSchedule
from habeas.billing import arithmetic, invoicing
from habeas.billing.arithmetic import BillingError, Fee
from habeas.billing.models import Charge, CreditNote, Dispute, Invoice, Payment
from habeas.billing.projections import (
    ChargeRecorded,
    CreditLine,
    CreditNoteIssued,
    DisputeDecided,
    DisputeOpened,
    InvoiceIssued,
    PaymentRecorded,
)
from habeas.billing.schemas import InvoiceLine
from habeas.custody.models import Prisoner
from habeas.errors import Conflict, ErrorCode, NotFound, field_error
from habeas.events import NewEvent, lock_log, record, record_many
from habeas.facilities.models import Facility
from habeas.ledger.leaf import canonical_json
from habeas.ledger.models import Event
from habeas.transfers.models import Manifest, ManifestPerson

Columns = TypeVarTuple("Columns")  # what a query selects

PAYMENT_TERMS_DAYS = 30  # due date = issue date + 30 days
# The most one pass-through charge may be (1,000,000,000.00 in any currency): a care or
# return cost is never near it, and a figure past it is a typing slip (10^15 was accepted).
MAX_CHARGE_MINOR = 10**11


@dataclass
class InvoiceDraft:
    """InvoiceDraft is an invoice as computed, before (or without) issuing it."""

    agreement_ref: str
    period: str
    currency: str
    facility_code: str
    timezone: str
    fees: list[Fee] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # InvoiceLine, as JSON

    @property
    def total_minor(self) -> int:
        return sum(line["amount_minor"] for line in self.lines)

    def as_json(self) -> dict[str, Any]:
        return {"agreement_ref": self.agreement_ref, "period": self.period,
                "currency": self.currency, "facility_code": self.facility_code,
                "timezone": self.timezone, "fees": [fee_json(f) for f in self.fees],
                "lines": self.lines, "total_minor": self.total_minor}


def fee_json(fee: Fee) -> dict[str, Any]:
    """fee_json is a fee schedule as an invoice document states it."""
    return {"effective_from": fee.effective_from.isoformat(), "currency": fee.currency,
            "annual_rate_minor": fee.annual_rate_minor, "per_diem_minor": fee.per_diem_minor,
            "proration": fee.proration, "intake_fee_minor": fee.intake_fee_minor,
            "medical_cap_minor": fee.medical_cap_minor,
            "repatriation_cap_minor": fee.repatriation_cap_minor,
            "convention": fee.convention}


def period_bounds(period: str) -> tuple[date, date]:
    """period_bounds are the first and last dates of PERIOD ("YYYY-MM")."""
    try:
        return arithmetic.month_bounds(period)
    except BillingError as exc:
        raise field_error("period", exc.problem) from None


def document_sha256(document: dict[str, Any]) -> str:
    """document_sha256 is the hex SHA-256 of the document's canonical JSON (RFC 8785)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


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


def fees_of(session: Session, ref: str) -> list[Fee]:
    rows = session.scalars(select(FeeSchedule).where(FeeSchedule.agreement_ref == ref)
                           .order_by(FeeSchedule.effective_from))
    return [Fee(effective_from=r.effective_from, currency=r.currency,
                annual_rate_minor=r.annual_rate_minor, per_diem_minor=r.per_diem_minor,
                proration=r.proration, intake_fee_minor=r.intake_fee_minor,
                medical_cap_minor=r.medical_cap_minor,
                repatriation_cap_minor=r.repatriation_cap_minor, convention=r.convention)
            for r in rows]


def _no_schedule(ref: str, period: str, problem: str) -> Exception:
    return field_error("period", f"{period} cannot be billed under {ref}: {problem}")


# A stay is fetched if it may touch the month in any time zone (UTC−14 to UTC+14);
# the pure computation clips it to the month's local dates exactly.
_ZONE_SLACK = timedelta(days=2)


def stays_query(agreement_ref: str, start: date, end: date) -> Select[*tuple[Any, ...]]:
    """stays_query selects the handovers under the agreement that may touch [START, END]."""
    first = datetime.combine(start, time(), UTC) - _ZONE_SLACK
    last = datetime.combine(end, time(), UTC) + _ZONE_SLACK
    return (
        select(ManifestPerson.public_id, ManifestPerson.handed_over_at,
               ManifestPerson.handed_over_seq, Prisoner.given_names, Prisoner.family_name,
               Prisoner.left_at, Prisoner.left_seq, Prisoner.return_flagged_at,
               Prisoner.erroneous_seq)
        .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
        .join(Prisoner, Prisoner.public_id == ManifestPerson.public_id)
        .where(Manifest.agreement_ref == agreement_ref, Manifest.direction == "outbound",
               ManifestPerson.handed_over_at.is_not(None), ManifestPerson.handed_over_at < last,
               or_(Prisoner.left_at.is_(None), Prisoner.left_at >= first,
                   Prisoner.erroneous_seq.is_not(None),
                   Prisoner.return_flagged_at.is_not(None)))
        .order_by(ManifestPerson.handed_over_seq))


def stays_of(session: Session, agreement_ref: str, start: date, end: date,
             timezone: str) -> list[invoicing.Stay]:
    """stays_of are the agreement's transferees' stays that may touch [START, END], in
    handover order, each bounded by its ledger events (handover, escape, recapture,
    departure) and marked where days stop being billable."""
    # A Core query (no ORM identity map): 40,000 rows a month are read, not loaded.
    rows = session.connection().execute(stays_query(agreement_ref, start, end)).all()
    breaks = _escapes(session, {r[0] for r in rows}) if rows else {}
    zone = ZoneInfo(timezone)
    Interval, Stay = invoicing.Interval, invoicing.Stay
    stays = []
    for public_id, came, came_seq, given, family, left, left_seq, flagged, erroneous_seq in rows:
        assert came is not None and came_seq is not None  # the query takes handovers only
        if public_id in breaks:
            intervals = _with_escapes(Interval(came, came_seq), breaks[public_id], left, left_seq)
        else:
            intervals = [Interval(came, came_seq, left, left_seq)]
        erroneous = erroneous_seq is not None
        if erroneous:
            cut: date | None = came.astimezone(zone).date()
        elif flagged is not None:
            cut = invoicing.not_billable_after_flag(flagged, timezone)
        else:
            cut = None
        stays.append(Stay(public_id, f"{given} {family}", intervals, not_billable_from=cut,
                          erroneous=erroneous))
    return stays


def _with_escapes(first: invoicing.Interval, breaks: list[tuple[str, datetime, int]],
                  left: datetime | None, left_seq: int | None) -> list[invoicing.Interval]:
    # An escape ends an interval, a recapture starts the next (days away are not billed).
    intervals = [first]
    for kind, at, seq in breaks:
        if kind == "custody.escape" and intervals[-1].end is None:
            intervals[-1] = replace(intervals[-1], end=at, end_seq=seq)
        elif kind == "custody.recaptured" and intervals[-1].end is not None:
            intervals.append(invoicing.Interval(at, seq))
    if left is not None and intervals[-1].end is None:
        intervals[-1] = replace(intervals[-1], end=left, end_seq=left_seq)
    return intervals


def _escapes(session: Session, people: set[str]) -> dict[str, list[tuple[str, datetime, int]]]:
    # Escapes are rare: read them from the log rather than keep a history table.
    found: dict[str, list[tuple[str, datetime, int]]] = {}
    for e in session.execute(select(Event.subject, Event.type, Event.occurred_at, Event.seq)
                             .where(Event.type.in_(("custody.escape", "custody.recaptured")))
                             .order_by(Event.seq)):
        if e.subject in people:
            found.setdefault(e.subject, []).append((e.type, e.occurred_at, e.seq))
    return found


def charges_in(session: Session, agreement_ref: str, start: date, end: date
               ) -> list[invoicing.Charge]:
    return [invoicing.Charge(c.seq, c.public_id, c.kind, c.incurred_on, c.amount_minor)
            for c in session.scalars(select(Charge).where(
                Charge.agreement_ref == agreement_ref, Charge.incurred_on >= start,
                Charge.incurred_on <= end).order_by(Charge.seq))]


def earlier_lines(session: Session, agreement_ref: str, period: str, people: set[str]
                  ) -> list[invoicing.Earlier]:
    """earlier_lines are PEOPLE's lines on the agreement's invoices before PERIOD, each with
    what remains of it after credit notes and credit lines of later invoices."""
    if not people:
        return []
    invoices = list(session.scalars(select(Invoice).where(
        Invoice.agreement_ref == agreement_ref, Invoice.period < period)
        .order_by(Invoice.seq)))
    mine = [(inv, InvoiceLine.model_validate(line)) for inv in invoices
            for line in inv.lines if line["public_id"] in people]
    taken = _credited(session, [inv.seq for inv in invoices])
    for _, line in mine:
        if line.kind == "credit" and line.credits_invoice and line.credits_line:
            key = (line.credits_invoice, line.credits_line)
            taken[key] = taken.get(key, 0) + line.amount_minor
    return [invoicing.Earlier(inv.number, line,
                              max(0, line.amount_minor + taken.get((inv.number, line.line), 0)))
            for inv, line in mine]


def _credited(session: Session, invoice_seqs: list[int]) -> dict[tuple[str, int], int]:
    """_credited: the (negative) sums credit notes gave back, by (invoice number, line)."""
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A month's invoice allocates a few hundred thousand short-lived, acyclic objects;
    # the cyclic collector would otherwise walk them hundreds of times (a third of the
    # time at 40,000 people, bench/billing.py). Reference counting still frees them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def invoice_for(session: Session, agreement_ref: str, period: str) -> InvoiceDraft:
    """invoice_for computes (without recording) AGREEMENT_REF's invoice for PERIOD.

    The facts come from the database; the lines from billing/invoicing.py, the
    same computation a reconciliation runs on a ledger export.
    """
    start, end = period_bounds(period)
    agreement = get_agreement(session, agreement_ref)
    facility = session.get_one(Facility, agreement.facility_code)
    fees = [f for f in fees_of(session, agreement.ref) if f.effective_from <= end]
    with _collector_paused():
        stays = stays_of(session, agreement.ref, start, end, facility.timezone)
        cut = {s.public_id for s in stays if s.not_billable_from is not None}
        try:
            lines = invoicing.compute_lines(
                invoicing.Terms(fees, facility.timezone), start, end, stays,
                charges_in(session, agreement.ref, start, end),
                earlier_lines(session, agreement.ref, period, cut))
        except BillingError as exc:
            raise _no_schedule(agreement.ref, period, exc.problem) from None
    return InvoiceDraft(agreement.ref, period, agreement.currency, facility.code,
                        facility.timezone, fees, lines)


def _acts_for(party: str | None, agreement: Agreement, side: Literal["sending", "receiving"],
              what: str, *, not_found: str | None = None) -> None:
    # None: a caller without a party (the CLI operator); otherwise the state must own the
    # act (DESIGN.md §12.1). A state that is no party to the agreement learns nothing of
    # it, not even that the object exists: NOT_FOUND, the object's own 404 text.
    if party is None:
        return
    require_side(agreement, party, Side(side), act=what,
                 not_found=not_found or f"agreement {agreement.ref!r} not found")


def issue_invoice(session: Session, agreement_ref: str, period: str, *, actor: str,
                  party: str | None, today: date) -> Invoice:
    """issue_invoice records the month's invoice, numbered without gaps per agreement.

    The log head is locked first, so the number and the one-invoice-per-period
    check are decided under the same lock that orders the events.
    """
    _, end = period_bounds(period)
    agreement = get_agreement(session, agreement_ref)
    _acts_for(party, agreement, "receiving", "issuing invoices")
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


def _line(invoice: Invoice, number: int) -> dict[str, Any]:
    for line in invoice.lines:
        if line["line"] == number:
            return line
    raise field_error("line", f"invoice {invoice.number} has no line {number}")


def uncredited(session: Session, invoice: Invoice, number: int) -> int:
    """uncredited is what remains of line NUMBER after the credit notes so far and the
    credit lines of later invoices (days found not billable)."""
    amount = int(_line(invoice, number)["amount_minor"])
    amount += _credited(session, [invoice.seq]).get((invoice.number, number), 0)
    for later in session.scalars(select(Invoice).where(
            Invoice.agreement_ref == invoice.agreement_ref, Invoice.seq > invoice.seq)):
        amount += sum(int(c["amount_minor"]) for c in later.lines
                      if c.get("credits_invoice") == invoice.number
                      and c.get("credits_line") == number)
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
    _acts_for(party, agreement, "receiving", "issuing credit notes",
              not_found=f"invoice {invoice_seq} not found")
    lock_log(session)
    event = record(session, _credit_note_event(session, invoice, credits, reason,
                                               actor=actor, today=today))
    return session.get_one(CreditNote, event.seq)


def record_payment(session: Session, invoice_seq: int, amount_minor: int, *, paid_on: date,
                   reference: str, actor: str, party: str | None) -> Payment:
    """record_payment records money received; partial allowed, never more than the balance.
    Paying is the sending state's act (DESIGN.md §12.1): the receiving state issues, it never
    records a payment in the debtor's name."""
    invoice = get_invoice(session, invoice_seq)
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    _acts_for(party, agreement, "sending", "paying", not_found=f"invoice {invoice_seq} not found")
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


def open_dispute(session: Session, document: str, line: int, reason: str, *, actor: str,
                 party: str | None, today: date) -> Dispute:
    """open_dispute: the sending state contests one line of an invoice (DOCUMENT's number).

    A credit note's line is not disputed, nor a line already under (or after) dispute.
    """
    invoice = invoice_by_number(session, document)
    if invoice is None:
        note = session.scalar(select(CreditNote).where(CreditNote.number == document))
        if note is not None and _is_party(session, note.invoice_seq, party):
            raise Conflict(f"document: {document} is a credit note; dispute the invoice "
                           "line it corrects", code=ErrorCode.NOT_DISPUTABLE,
                           details={"field": "document"})
        raise NotFound(f"invoice {document!r} not found")
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    _acts_for(party, agreement, "sending", "disputing invoices",
              not_found=f"invoice {document!r} not found")
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


def _is_party(session: Session, invoice_seq: int, party: str | None) -> bool:
    """_is_party: PARTY (None: no state) may know of the invoice INVOICE_SEQ."""
    agreement = session.get_one(Agreement, session.get_one(Invoice, invoice_seq).agreement_ref)
    return party is None or party in (agreement.sending_party, agreement.receiving_party)


def get_dispute(session: Session, seq: int, *, scope: str | None = None) -> Dispute:
    """get_dispute: dispute SEQ; a sending state SCOPE reads only its own (else as missing)."""
    dispute = session.get(Dispute, seq)
    if dispute is None or (scope is not None and session.get_one(
            Agreement, session.get_one(Invoice, dispute.invoice_seq).agreement_ref
    ).sending_party != scope):
        raise NotFound(f"dispute {seq} not found")
    return dispute


def decide_dispute(session: Session, seq: int, *, accept: bool, reason: str, actor: str,
                   party: str | None, today: date) -> Dispute:
    """decide_dispute: the receiving state accepts (a credit note for what remains of the
    line) or rejects, with a reason."""
    dispute = get_dispute(session, seq)
    invoice = session.get_one(Invoice, dispute.invoice_seq)
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    _acts_for(party, agreement, "receiving", "deciding disputes",
              not_found=f"dispute {seq} not found")
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


def record_charge(session: Session, agreement_ref: str, public_id: str, *, kind: str,
                  incurred_on: date, amount_minor: int, description: str, reference: str,
                  actor: str, party: str | None) -> Charge:
    """record_charge records a pass-through cost for a transferee, billed (capped) on the
    invoice of the month it was incurred in; a month already invoiced takes no more."""
    agreement = get_agreement(session, agreement_ref)
    _acts_for(party, agreement, "receiving", "recording charges")
    if kind not in invoicing.PASS_THROUGH:
        raise field_error("kind", f"must be one of {', '.join(invoicing.PASS_THROUGH)}")
    if amount_minor <= 0:
        raise field_error("amount_minor", "a charge is more than 0; refunds are credit notes")
    if amount_minor > MAX_CHARGE_MINOR:
        raise field_error("amount_minor", f"{amount_minor} is more than one charge can be "
                          f"({MAX_CHARGE_MINOR} minor units); split it, or check the figure")
    if incurred_on > clock.today():
        # A pass-through cost is what the facility *spent*: it cannot be spent ahead.
        raise field_error("incurred_on", f"{incurred_on} is in the future")
    if not description.strip():
        raise field_error("description", "say what the charge is for")
    facility = session.get_one(Facility, agreement.facility_code)
    stay = session.execute(
        select(ManifestPerson.handed_over_at, Prisoner.left_at)
        .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
        .join(Prisoner, Prisoner.public_id == ManifestPerson.public_id)
        .where(Manifest.agreement_ref == agreement.ref, Manifest.direction == "outbound",
               ManifestPerson.public_id == public_id,
               ManifestPerson.handed_over_at.is_not(None))).first()
    if stay is None:
        raise NotFound(f"{public_id} was not handed over under {agreement.ref}")
    arrived = arithmetic.local_date(stay.handed_over_at, facility.timezone)
    left = arithmetic.local_date(stay.left_at, facility.timezone) if stay.left_at else None
    if incurred_on < arrived or (left is not None and incurred_on > left):
        raise field_error("incurred_on", f"{incurred_on} is outside {public_id}'s stay "
                          f"({arrived} to {left or 'now'})")
    lock_log(session)
    period = incurred_on.strftime("%Y-%m")
    invoiced = session.scalar(select(Invoice.number).where(
        Invoice.agreement_ref == agreement.ref, Invoice.period == period))
    if invoiced is not None:
        raise Conflict(f"incurred_on: {period} is already invoiced ({invoiced})",
                       code=ErrorCode.ALREADY_INVOICED, details={"field": "incurred_on"})
    event = record(session, NewEvent(
        type="charge.recorded", actor=actor, party=agreement.receiving_party,
        subject=public_id, facility=agreement.facility_code, payload=ChargeRecorded(
            agreement_ref=agreement.ref, public_id=public_id, kind=kind,
            incurred_on=incurred_on, amount_minor=amount_minor,
            description=description.strip(), reference=reference.strip())))
    return session.get_one(Charge, event.seq)


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
