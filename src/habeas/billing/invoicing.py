"""A month's invoice lines from custody facts (pure; DESIGN.md §8).

One computation serves both sides of the agreement: the receiving state's
database (billing/drafting.py) and the sending state's reconciliation from a
ledger export alone (billing/reconcile.py). Each gathers the same facts —
stays bounded by ledger events, pass-through charges, earlier invoices'
lines — and this module turns them into lines. It never reads a clock or a
database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from habeas.billing import arithmetic
from habeas.billing.arithmetic import BillingError, Fee
from habeas.billing.schemas import InvoiceLine, Range

PASS_THROUGH = ("medical", "repatriation")


@dataclass(frozen=True, slots=True)
class Interval:
    """Interval is an unbroken time in custody: from a handover (or a recapture) to a
    departure, death or escape (END None: still held). The seqs are the bounding events."""

    start: datetime
    start_seq: int
    end: datetime | None = None
    end_seq: int | None = None


@dataclass(slots=True)
class Stay:
    """Stay is one transferee's custody under the agreement.

    NOT_BILLABLE_FROM is the first local date that is not billable: the day
    after a return_required flag, or the arrival date of an erroneous transfer
    (ERRONEOUS: the person should never have been sent, so no intake fee either).
    """

    public_id: str
    name: str
    intervals: list[Interval]
    not_billable_from: date | None = None
    erroneous: bool = False

    @property
    def handover_seq(self) -> int:
        return self.intervals[0].start_seq

    @property
    def left_seq(self) -> int | None:
        return self.intervals[-1].end_seq


@dataclass(frozen=True)
class Charge:
    """Charge is a pass-through cost (medical, repatriation) recorded on the ledger at SEQ."""

    seq: int
    public_id: str
    kind: str
    incurred_on: date
    amount_minor: int


@dataclass(frozen=True)
class Earlier:
    """Earlier is a line of an earlier invoice under the same agreement, and what of its
    amount is not yet credited (REMAINING_MINOR, ≥ 0, for lines that charge)."""

    invoice: str
    line: InvoiceLine
    remaining_minor: int


@dataclass
class Terms:
    """Terms are what prices a day: the fee schedules and the facility's time zone."""

    fees: Sequence[Fee]
    timezone: str
    _zone: ZoneInfo | None = field(default=None, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        if self._zone is None:
            try:
                self._zone = ZoneInfo(self.timezone)
            except (ValueError, KeyError, OSError):
                raise BillingError("timezone", f"{self.timezone!r} is not an IANA time zone"
                                   ) from None
        return self._zone


def rate_description(fee: Fee) -> str:
    """rate_description says how a day is priced under FEE, in minor units."""
    if fee.per_diem_minor is not None:
        return f"per diem {fee.per_diem_minor} {fee.currency} minor units " \
               f"(from {fee.effective_from.isoformat()})"
    per = "365 days" if fee.proration == "365" else "the days of the year"
    return f"annual {fee.annual_rate_minor} {fee.currency} minor units / {per} " \
           f"(from {fee.effective_from.isoformat()})"


def _merge(ranges: Iterable[Range]) -> list[Range]:
    merged: list[Range] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _before(ranges: list[Range], cut: date | None) -> tuple[list[Range], list[Range]]:
    """_before splits RANGES into the days before CUT and the days from CUT on."""
    if cut is None:
        return ranges, []
    kept: list[Range] = []
    cut_off: list[Range] = []
    for lo, hi in ranges:
        if hi < cut:
            kept.append((lo, hi))
        elif lo >= cut:
            cut_off.append((lo, hi))
        else:
            kept.append((lo, cut - timedelta(days=1)))
            cut_off.append((cut, hi))
    return kept, cut_off


def _minus(ranges: list[Range], taken: list[Range]) -> list[Range]:
    days = {lo + timedelta(days=i) for lo, hi in ranges for i in range((hi - lo).days + 1)}
    for lo, hi in taken:
        days -= {lo + timedelta(days=i) for i in range((hi - lo).days + 1)}
    return arithmetic.day_ranges(days)


def _count(ranges: Sequence[Range]) -> int:
    return sum((hi - lo).days + 1 for lo, hi in ranges)


class _Pricer:
    """_Pricer prices runs of days, remembering answers: most people in a month share
    one run (the whole month), so 40,000 lines cost a handful of Fraction sums."""

    def __init__(self, fees: Sequence[Fee]) -> None:
        self.fees = fees
        self._priced: dict[tuple[Range, ...], tuple[int, str, int]] = {}

    def price(self, ranges: Sequence[Range]) -> tuple[int, str, int]:
        """price is (amount in minor units, how a day is priced, number of days)."""
        key = tuple(ranges)
        found = self._priced.get(key)
        if found is None:
            used: dict[Fee, None] = {}
            for lo, hi in key:
                used[arithmetic.schedule_on(self.fees, lo)] = None
                for fee in self.fees:
                    if lo < fee.effective_from <= hi:
                        used[fee] = None
            found = self._priced[key] = (
                arithmetic.ranges_amount(self.fees, key),
                "; ".join(rate_description(f) for f in used), _count(key))
        return found

    def amount(self, ranges: Sequence[Range]) -> int:
        return self.price(ranges)[0]

class _Calendar:
    """_Calendar gives the facility's local date of an instant around one month.

    Where the zone's offset is the same at every local midnight from the day before
    the month to two days after it (no transition inside), a date is one addition;
    otherwise each instant is converted by zoneinfo. Both give astimezone's date for
    every instant that can matter to the month (outside it, any date before or after
    the month bills the same days).
    """

    def __init__(self, zone: ZoneInfo, start: date, end: date) -> None:
        self.zone = zone
        midnights = [datetime.combine(start + timedelta(days=i), time(), zone)
                     for i in range(-1, (end - start).days + 3)]
        offsets = {m.utcoffset() for m in midnights}
        self.fixed = offsets.pop() if len(offsets) == 1 else None

    def date(self, moment: datetime) -> date:
        if moment.tzinfo is None:
            raise BillingError("handed_over_at", "a naive datetime has no place on the clock")
        if self.fixed is not None:
            return (moment.astimezone(UTC) + self.fixed).date()
        return moment.astimezone(self.zone).date()


def _ranges(stay: Stay, calendar: _Calendar, start: date, end: date, convention: str
            ) -> list[Range]:
    runs = []
    for interval in stay.intervals:
        first = calendar.date(interval.start)
        if interval.end is None:
            last = end
        else:
            if interval.end < interval.start:
                raise BillingError("left", "departure is before arrival")
            departure = calendar.date(interval.end)
            both = departure == first or convention == "both"
            last = departure if both else departure - _DAY
        lo, hi = max(first, start), min(last, end)
        if lo <= hi:
            runs.append((lo, hi))
    merged = runs if len(runs) < 2 else _merge(runs)
    if stay.not_billable_from is None:
        return merged
    return _before(merged, stay.not_billable_from)[0]


_DAY = timedelta(days=1)


def compute_lines(terms: Terms, period_start: date, period_end: date, stays: Sequence[Stay],
                  charges: Sequence[Charge] = (), earlier: Sequence[Earlier] = ()
                  ) -> list[dict[str, Any]]:
    """compute_lines are the lines of the invoice for [PERIOD_START, PERIOD_END], in the
    JSON form an issued invoice holds (InvoiceLine.model_dump(mode="json")).

    In order: a custody line per person with billable days (stays in handover
    order), an intake line per person admitted in the month, one line per
    person and kind of pass-through charge (capped per the schedule in force at
    the month's end), and credit lines for what EARLIER invoices billed that is
    now not billable. Raises BillingError for a month no schedule covers.

    Tens of thousands of lines a month: the custody and intake lines are built as
    plain dicts (validated once, when issued), dates formatted once each, and the
    price of a run of days computed once per distinct run.
    """
    fees = terms.fees
    closing = arithmetic.schedule_on(fees, period_end)
    convention = closing.convention
    calendar = _Calendar(terms.zone, period_start, period_end)
    pricer = _Pricer(fees)
    # Billed days lie in the period: each date is formatted once.
    iso = {period_start + timedelta(days=i): (period_start + timedelta(days=i)).isoformat()
           for i in range((period_end - period_start).days + 1)}
    custody: list[dict[str, Any]] = []
    intakes: list[dict[str, Any]] = []
    for stay in stays:
        billed = _ranges(stay, calendar, period_start, period_end, convention)
        if billed:
            amount, rate, days = pricer.price(billed)
            intervals = stay.intervals
            custody.append({
                "line": 0, "kind": "custody", "public_id": stay.public_id, "name": stay.name,
                "days": days, "first_day": iso[billed[0][0]], "last_day": iso[billed[-1][1]],
                "rate": rate, "amount_minor": amount, "handover_seq": intervals[0].start_seq,
                "left_seq": intervals[-1].end_seq,
                "ranges": [[iso[lo], iso[hi]] for lo, hi in billed],
                "charges": None, "credits_invoice": None, "credits_line": None})
        arrived = calendar.date(stay.intervals[0].start)
        if period_start <= arrived <= period_end and not stay.erroneous:
            fee = arithmetic.intake_fee(fees, arrived, period_start, period_end)
            if fee:
                intakes.append(InvoiceLine(
                    line=0, kind="intake", public_id=stay.public_id, name=stay.name, days=0,
                    first_day=arrived, last_day=arrived,
                    rate=f"intake fee {fee} {closing.currency} minor units", amount_minor=fee,
                    handover_seq=stay.handover_seq, left_seq=stay.left_seq,
                ).model_dump(mode="json"))
    others = _pass_through(closing, period_start, period_end, stays, charges)
    others += _credits(pricer, stays, earlier)
    lines = custody + intakes + [line.model_dump(mode="json") for line in others]
    for number, line in enumerate(lines, 1):
        line["line"] = number
    return lines


def _pass_through(closing: Fee, start: date, end: date, stays: Sequence[Stay],
                  charges: Sequence[Charge]) -> list[InvoiceLine]:
    by_person = {stay.public_id: stay for stay in stays}
    grouped: dict[tuple[str, str], list[Charge]] = {}
    for charge in charges:
        if start <= charge.incurred_on <= end:
            if charge.kind not in PASS_THROUGH:
                raise BillingError("kind", f"{charge.kind!r} is not one of {PASS_THROUGH}")
            grouped.setdefault((charge.public_id, charge.kind), []).append(charge)
    lines = []
    for (public_id, kind), group in sorted(grouped.items(), key=lambda g: g[1][0].seq):
        stay = by_person.get(public_id)
        if stay is None:
            raise BillingError("public_id", f"{public_id} has no stay under this agreement")
        cap = closing.medical_cap_minor if kind == "medical" else closing.repatriation_cap_minor
        total = arithmetic.capped([c.amount_minor for c in group], cap)
        days = sorted(c.incurred_on for c in group)
        capped_note = f", capped at {cap}" if cap is not None and total == cap else ""
        lines.append(InvoiceLine(
            line=0, kind=kind, public_id=public_id, name=stay.name, days=0,
            first_day=days[0], last_day=days[-1],
            rate=f"{kind} pass-through, {len(group)} charge(s){capped_note}",
            amount_minor=total, handover_seq=stay.handover_seq, left_seq=stay.left_seq,
            charges=[c.seq for c in group]))
    return lines


def _credits(pricer: _Pricer, stays: Sequence[Stay], earlier: Sequence[Earlier]
             ) -> list[InvoiceLine]:
    """_credits: days (and, for an erroneous transfer, intake fees) that earlier invoices
    billed and that are now not billable, less what earlier credit lines gave back;
    never more than what remains of the original line."""
    cut = {s.public_id: s for s in stays if s.not_billable_from is not None}
    if not cut:
        return []
    credited: dict[tuple[str, int], list[Range]] = {}
    credited_fees: set[tuple[str, int]] = set()
    for e in earlier:
        if e.line.kind == "credit" and e.line.credits_invoice and e.line.credits_line:
            key = (e.line.credits_invoice, e.line.credits_line)
            if e.line.ranges:
                credited.setdefault(key, []).extend(e.line.ranges)
            else:
                credited_fees.add(key)
    lines = []
    for e in earlier:
        stay = cut.get(e.line.public_id)
        if stay is None or e.remaining_minor <= 0:
            continue
        key = (e.invoice, e.line.line)
        common = {"public_id": stay.public_id, "name": stay.name,
                  "handover_seq": stay.handover_seq, "left_seq": stay.left_seq,
                  "credits_invoice": e.invoice, "credits_line": e.line.line}
        if e.line.kind == "custody" and e.line.ranges:
            _, late = _before(list(e.line.ranges), stay.not_billable_from)
            owed = _minus(late, credited.get(key, []))
            if owed:
                amount = min(pricer.amount(owed), e.remaining_minor)
                reason = "erroneous transfer" if stay.erroneous else "return required"
                lines.append(InvoiceLine(
                    line=0, kind="credit", days=_count(owed), first_day=owed[0][0],
                    last_day=owed[-1][1], rate=f"credit of {e.invoice} line {e.line.line}: "
                    f"not billable ({reason})", amount_minor=-amount, ranges=owed, **common))
        elif e.line.kind == "intake" and stay.erroneous and key not in credited_fees:
            lines.append(InvoiceLine(
                line=0, kind="credit", days=0, first_day=e.line.first_day,
                last_day=e.line.last_day, rate=f"credit of {e.invoice} line {e.line.line}: "
                "intake fee of an erroneous transfer", amount_minor=-e.remaining_minor,
                **common))
    return lines


def not_billable_after_flag(flagged_at: datetime, tz: str) -> date:
    """not_billable_after_flag: the first unbillable date after a return_required flag —
    the day after the flag's local date (the person was lawfully held until the flag)."""
    return arithmetic.local_date(flagged_at, tz) + timedelta(days=1)
