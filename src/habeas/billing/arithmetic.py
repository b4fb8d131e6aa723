"""Billing arithmetic: fee schedules, custody days, line amounts, ageing (pure; DESIGN.md §8).

Money is in integer minor units of one ISO 4217 currency. A day's rate is an
exact Fraction; a line's amount is the sum of its days' exact rates, rounded
half-up once (never per day, never on intermediate sums). Custody days are
local dates in the facility's time zone, so a DST transition changes the
length of a day but never the number of days. The clock is the caller's.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

PRORATIONS = ("actual", "365")
CONVENTIONS = ("arrival_not_departure", "both", "midnight")
BUCKETS = ("current", "0-30", "31-60", "61-90", "90+")
DAYS_PER_YEAR = 365  # a reported annual figure is read as 365 days, leap year or not


class BillingError(Exception):
    """BillingError is bad billing input: FIELD names what is wrong, PROBLEM says how."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _amount(field: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise BillingError(field, f"must be an integer number of minor units, not {value!r}")
    if value < 0:
        raise BillingError(field, f"must not be negative ({value})")


@dataclass(frozen=True)
class Fee:
    """Fee is one fee schedule of an agreement, in force from EFFECTIVE_FROM (DESIGN.md §8).

    Exactly one of ANNUAL_RATE_MINOR (prorated per custody day) and
    PER_DIEM_MINOR. CURRENCY is checked for shape only; the caller checks it
    against ISO 4217.
    """

    effective_from: date
    currency: str
    annual_rate_minor: int | None
    per_diem_minor: int | None
    proration: str = "actual"
    intake_fee_minor: int = 0
    medical_cap_minor: int | None = None
    repatriation_cap_minor: int | None = None
    convention: str = "arrival_not_departure"

    def __post_init__(self) -> None:
        if not isinstance(self.effective_from, date) or isinstance(self.effective_from, datetime):
            raise BillingError("effective_from", f"must be a date, not {self.effective_from!r}")
        c = self.currency
        if not (isinstance(c, str) and len(c) == 3 and c.isascii() and c.isalpha()
                and c.isupper()):
            raise BillingError("currency", f"must be three upper-case letters, not {c!r}")
        if (self.annual_rate_minor is None) == (self.per_diem_minor is None):
            raise BillingError("annual_rate_minor",
                               "give exactly one of annual_rate_minor and per_diem_minor")
        _amount("annual_rate_minor", self.annual_rate_minor, optional=True)
        _amount("per_diem_minor", self.per_diem_minor, optional=True)
        _amount("intake_fee_minor", self.intake_fee_minor)
        _amount("medical_cap_minor", self.medical_cap_minor, optional=True)
        _amount("repatriation_cap_minor", self.repatriation_cap_minor, optional=True)
        if self.convention not in CONVENTIONS:
            raise BillingError("convention",
                               f"must be one of {CONVENTIONS}, not {self.convention!r}")
        if self.proration not in PRORATIONS:
            raise BillingError("proration", f"must be one of {PRORATIONS}, not {self.proration!r}")


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Years a billing period may fall in: any real agreement's, and far enough from the
# calendar's ends that a period's day before and after exist (`0001` was a 500).
BILLING_YEARS = range(1900, 2200)


def month_bounds(period: str) -> tuple[date, date]:
    """month_bounds are the first and last dates of PERIOD ("YYYY-MM")."""
    match = _MONTH.match(period)
    if match is None or int(match[1]) not in BILLING_YEARS:
        raise BillingError("period", f"must be YYYY-MM (1900-2199), not {period!r}")
    year, month = int(match[1]), int(match[2])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def schedule_on(schedules: Sequence[Fee], day: date) -> Fee:
    """schedule_on is the schedule in force on DAY: the latest effective_from on or before it.

    No schedule in force, or two taking effect on the same day, is an error:
    a period is never billed at a guessed rate.
    """
    in_force = [s for s in schedules if s.effective_from <= day]
    if not in_force:
        raise BillingError("effective_from", f"no fee schedule is in force on {day.isoformat()}")
    latest = max(s.effective_from for s in in_force)
    chosen = [s for s in in_force if s.effective_from == latest]
    if len(chosen) > 1:
        raise BillingError("effective_from",
                           f"{len(chosen)} fee schedules take effect on {latest.isoformat()}")
    return chosen[0]


def day_rate(fee: Fee, day: date) -> Fraction:
    """day_rate is FEE's exact charge for one custody DAY, in minor units.

    A per-diem is charged as is. An annual rate is divided by the days of
    DAY's year under proration "actual" (366 in a leap year, else 365) and
    by 365 always under proration "365".
    """
    if fee.per_diem_minor is not None:
        return Fraction(fee.per_diem_minor)
    assert fee.annual_rate_minor is not None  # Fee.__post_init__: exactly one rate
    leap = fee.proration == "actual" and calendar.isleap(day.year)
    return Fraction(fee.annual_rate_minor, 366 if leap else 365)


def round_half_up(x: Fraction) -> int:
    """round_half_up rounds X to whole minor units, halves away from zero.

    For a charge that is half-up; for a credit (negative) it is half-down in
    value, so that a credit for the same days is exactly the negated charge.
    """
    x = Fraction(x)
    magnitude = (2 * abs(x.numerator) + x.denominator) // (2 * x.denominator)
    return magnitude if x >= 0 else -magnitude


def day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """day_ranges are DAYS as sorted runs of consecutive dates (first, last), both included."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _exact_charge(fees: Sequence[Fee], first: date, last: date, currencies: set[str]
                  ) -> Fraction:
    # Runs of days priced alike: one schedule, one year (a leap year's days cost less
    # under proration "actual"), so a month costs a few multiplications, not 31 additions.
    starts = sorted({f.effective_from for f in fees})
    total = Fraction(0)
    day = first
    while day <= last:
        fee = schedule_on(fees, day)
        currencies.add(fee.currency)
        end = min(last, date(day.year, 12, 31))
        later = [s for s in starts if s > day]
        if later:
            end = min(end, later[0] - timedelta(days=1))
        total += day_rate(fee, day) * ((end - day).days + 1)
        day = end + timedelta(days=1)
    return total


def ranges_amount(fees: Sequence[Fee], ranges: Sequence[tuple[date, date]]) -> int:
    """ranges_amount is the charge for the days of RANGES (first, last), rounded once.

    The same sum as line_amount over the same days; ranges must not overlap.
    """
    ordered = sorted(ranges)
    for (_, last), (first, _) in pairwise(ordered):
        if first <= last:
            raise BillingError("days", "a custody day is listed twice")
    currencies: set[str] = set()
    exact = sum((_exact_charge(fees, a, b, currencies) for a, b in ordered), Fraction(0))
    if len(currencies) > 1:
        raise BillingError("currency", f"one line cannot mix {', '.join(sorted(currencies))}")
    return round_half_up(exact)


def line_amount(fees: Sequence[Fee], days: Sequence[date]) -> int:
    """line_amount is an invoice line's charge for DAYS, rounded once (DESIGN.md §8).

    Each day is priced by the schedule in force on it and by its own year, so
    a line may span a rate change or a year boundary. All those schedules
    must share one currency; a day listed twice is an error.
    """
    if len(set(days)) != len(days):
        raise BillingError("days", "a custody day is listed twice")
    return ranges_amount(fees, day_ranges(days))


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        raise BillingError("tz", f"{tz!r} is not an IANA time zone") from None


def _local(instant: datetime, zone: ZoneInfo, field: str) -> date:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise BillingError(field, "a naive datetime has no place on the clock; give a zone")
    return instant.astimezone(zone).date()


def local_date(instant: datetime, tz: str) -> date:
    """local_date is the calendar date of INSTANT (aware) in time zone TZ."""
    return _local(instant, _zone(tz), "instant")


def _dates(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=i) for i in range((last - first).days + 1))


def custody_days(arrived: datetime, left: datetime | None, period_start: date,
                 period_end: date, tz: str,
                 convention: str = "arrival_not_departure") -> list[date]:
    """custody_days are the local dates in [PERIOD_START, PERIOD_END] billed for one stay.

    Dates are taken in the facility's zone TZ, so DST never adds or drops a
    day. LEFT None means still held: billed through PERIOD_END. A stay that
    begins and ends on one local date is billed that one date under every
    convention. Otherwise, with A the arrival date and D the departure date:

    - "arrival_not_departure" (DESIGN.md §8, the default): A up to D, D excluded;
    - "both": A up to D, both included;
    - "midnight": each date whose closing local midnight the person was in
      custody at (arrived before it, not left before it). The closing midnight
      of a date falls after arrival from A on, and at or before departure
      up to the date before D, so it bills exactly the dates of the default;
      it is kept so an agreement worded as a midnight count can say so.
    """
    if convention not in CONVENTIONS:
        raise BillingError("convention", f"must be one of {CONVENTIONS}, not {convention!r}")
    if period_end < period_start:
        raise BillingError("period_end", "the period ends before it starts")
    zone = _zone(tz)
    first = _local(arrived, zone, "arrived")
    if left is None:
        last = period_end
    else:
        departure = _local(left, zone, "left")
        if left < arrived:
            raise BillingError("left", "departure is before arrival")
        if departure == first or convention == "both":
            last = departure
        else:
            last = departure - timedelta(days=1)
    start, end = max(first, period_start), min(last, period_end)
    return list(_dates(start, end)) if start <= end else []


def billable_days(days: Sequence[date],
                  not_billable_from: date | None) -> tuple[list[date], list[date]]:
    """billable_days splits DAYS into (billed, credited) at NOT_BILLABLE_FROM.

    Days on or after a return_required flag, or of an erroneous transfer, are
    not billable: if already invoiced they are credited (a credit note, never
    an edit, DESIGN.md §8). None means every day is billable.
    """
    if not_billable_from is None:
        return list(days), []
    return ([d for d in days if d < not_billable_from],
            [d for d in days if d >= not_billable_from])


def intake_fee(fees: Sequence[Fee], admitted_on: date, period_start: date,
               period_end: date) -> int:
    """intake_fee is the intake fee for a person admitted on local date ADMITTED_ON,
    charged in the period containing it (once per admission), else 0."""
    if not period_start <= admitted_on <= period_end:
        return 0
    return schedule_on(fees, admitted_on).intake_fee_minor


def capped(charges: Sequence[int], cap: int | None) -> int:
    """capped is the total of a person's pass-through charges in a period, at most CAP.

    CAP None means uncapped. A negative charge is an error: refunds are credit notes.
    """
    for c in charges:
        _amount("charges", c)
    _amount("cap", cap, optional=True)
    total = sum(charges)
    return total if cap is None else min(total, cap)


def ageing_bucket(due: date, on: date) -> str:
    """ageing_bucket is the ageing bucket ON a date of an amount DUE on another.

    "current" is not yet due (before the due date). Then days past due, with
    the due date itself day 0, as the issue lists them: "0-30" (0 to 30),
    "31-60", "61-90", and "90+" for more than 90.
    """
    late = (on - due).days
    if late < 0:
        return "current"
    if late <= 30:
        return "0-30"
    if late <= 60:
        return "31-60"
    if late <= 90:
        return "61-90"
    return "90+"


def reported_cost_per_person_day(annual_cost_minor: int, population: int) -> Fraction:
    """reported_cost_per_person_day is a reported annual cost spread over a population:
    annual cost / (population × 365), exact.

    El Salvador's prison system is reported to cost about US$200 million a
    year; divide by the whole population held (domestic included).
    """
    _amount("annual_cost_minor", annual_cost_minor)
    if population <= 0:
        raise BillingError("population", "must be at least one person")
    return Fraction(annual_cost_minor, population * DAYS_PER_YEAR)


def sustainability(revenue_minor: int, cost_per_person_day_minor: Fraction | int,
                   person_days: int, agreement_people: int) -> dict[str, int | Fraction | None]:
    """sustainability sets fee revenue against operating cost (DESIGN.md §8).

    PERSON_DAYS are the custody days of the facility's whole population in the
    period (domestic included), so cost = cost per person-day × person-days is
    the facility's operating cost and share_covered = revenue / cost is the
    share of it the fees pay: the offer's claim, measured. Per-person-year
    figures use 365 days; per-person figures divide by AGREEMENT_PEOPLE.
    Shares are exact Fractions (None when undefined); money is rounded once.
    """
    _amount("revenue_minor", revenue_minor)
    _amount("person_days", person_days)
    _amount("agreement_people", agreement_people)
    rate = Fraction(cost_per_person_day_minor)
    if rate < 0:
        raise BillingError("cost_per_person_day_minor", "must not be negative")
    cost = rate * person_days
    return {
        "revenue_minor": revenue_minor,
        "cost_minor": round_half_up(cost),
        "share_covered": Fraction(revenue_minor) / cost if cost else None,
        "person_years": Fraction(person_days, DAYS_PER_YEAR),
        "cost_per_person_year_minor": round_half_up(rate * DAYS_PER_YEAR),
        "revenue_per_person_year_minor":
            round_half_up(Fraction(revenue_minor * DAYS_PER_YEAR, person_days))
            if person_days else None,
        "revenue_per_agreement_person_minor":
            round_half_up(Fraction(revenue_minor, agreement_people))
            if agreement_people else None,
    }
