"""An invoice as computed, before (or without) issuing it: the month's facts read from
the database (stays, escapes, charges, earlier lines), the lines computed by the pure
billing/invoicing.py, the same computation a reconciliation runs on a ledger export.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from habeas.agreements.models import FeeSchedule
from habeas.billing import arithmetic, invoicing
from habeas.billing.arithmetic import BillingError, Fee
from habeas.billing.lines import credited
from habeas.billing.models import Charge, Invoice
from habeas.billing.reads import get_agreement
from habeas.billing.schemas import InvoiceLine
from habeas.custody.models import Prisoner
from habeas.errors import field_error
from habeas.facilities.models import Facility
from habeas.ledger.models import Event
from habeas.transfers.models import Manifest, ManifestPerson


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
    taken = credited(session, [inv.seq for inv in invoices])
    for _, line in mine:
        if line.kind == "credit" and line.credits_invoice and line.credits_line:
            key = (line.credits_invoice, line.credits_line)
            taken[key] = taken.get(key, 0) + line.amount_minor
    return [invoicing.Earlier(inv.number, line,
                              max(0, line.amount_minor + taken.get((inv.number, line.line), 0)))
            for inv, line in mine]


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
