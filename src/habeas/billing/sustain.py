"""Sustainability arithmetic beside arithmetic.sustainability (pure; DESIGN.md §1, §8).

Report periods, person-days of a stay, prorating an annual figure and shares.
Dates in, numbers out: no database, no clock. Money is integer minor units,
rounded once with arithmetic.round_half_up; shares are exact Fractions.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from habeas.billing.arithmetic import BILLING_YEARS, DAYS_PER_YEAR, BillingError, round_half_up

# The offer as reported (DESIGN.md §1): ~US$6 million for ~300 people for one year
# (AP; Salvadoran foreign ministry memo, March 2025).
REPORTED_FEE_MINOR = 6_000_000_00
REPORTED_FEE_PEOPLE = 300
# El Salvador's prison system: ~US$200 million a year (President Bukele, March 2025),
# over ~110,000 people held (approximate, World Prison Brief, 2024).
REPORTED_SYSTEM_COST_MINOR = 200_000_000_00
REPORTED_SYSTEM_POPULATION = 110_000
REPORTED_CURRENCY = "USD"

_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    """Period is a report's span: one calendar month ("YYYY-MM") or one year ("YYYY")."""

    label: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> list[str]:
        """months are the invoice periods ("YYYY-MM") the period spans."""
        first, last = (self.start.year, self.start.month), (self.end.year, self.end.month)
        found = []
        year, month = first
        while (year, month) <= last:
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


def parse_period(text: str) -> Period:
    """parse_period reads "YYYY-MM" (a month) or "YYYY" (a calendar year)."""
    match = _PERIOD.match(text)
    if match is None or int(match[1]) not in BILLING_YEARS:
        raise BillingError("period", f"must be YYYY-MM or YYYY (1900-2199), not {text!r}")
    year = int(match[1])
    if match[2] is None:
        return Period(text, date(year, 1, 1), date(year, 12, 31))
    month = int(match[2])
    return Period(text, date(year, month, 1), date(year, month, monthrange(year, month)[1]))


def month_period(month: str) -> Period:
    """month_period is the Period of one "YYYY-MM"."""
    period = parse_period(month)
    if period.start.month != period.end.month:
        raise BillingError("period", f"must be one month YYYY-MM, not {month!r}")
    return period


def stay_days(arrived: date, departed: date | None, start: date, end: date) -> int:
    """stay_days counts the custody days of one stay within [START, END].

    The billing convention (DESIGN.md §8; arithmetic.custody_days' default): the
    arrival date counts, the departure date does not, and a stay that begins
    and ends on one date counts that date. DEPARTED None means still held.
    """
    if end < start:
        raise BillingError("end", "the period ends before it starts")
    if departed is None:
        last = end
    elif departed < arrived:
        raise BillingError("departed", "departure is before arrival")
    elif departed == arrived:
        last = departed
    else:
        last = departed - timedelta(days=1)
    first, last = max(arrived, start), min(last, end)
    return (last - first).days + 1 if first <= last else 0


def prorated(annual_minor: int, days: int) -> int:
    """prorated is an annual amount's share for DAYS days, a year read as 365 days."""
    if annual_minor < 0 or days < 0:
        raise BillingError("annual_minor", "an annual amount and its days are not negative")
    return round_half_up(Fraction(annual_minor * days, DAYS_PER_YEAR))


def per_person_year(amount_minor: int, person_days: int) -> int | None:
    """per_person_year is AMOUNT over PERSON_DAYS, scaled to one person for 365 days."""
    if person_days < 0:
        raise BillingError("person_days", "must not be negative")
    if person_days == 0:
        return None
    return round_half_up(Fraction(amount_minor * DAYS_PER_YEAR, person_days))


def reported_price_per_person_year(fee_minor: int = REPORTED_FEE_MINOR,
                                   people: int = REPORTED_FEE_PEOPLE) -> int:
    """reported_price_per_person_year is a yearly fee for PEOPLE, per person
    (~US$6 million / ~300 = ~US$20,000, DESIGN.md §1)."""
    if people <= 0:
        raise BillingError("people", "must be at least one person")
    return round_half_up(Fraction(fee_minor, people))


def share(part: int, whole: int) -> Fraction | None:
    """share is PART / WHOLE exactly, None when WHOLE is 0."""
    return Fraction(part, whole) if whole else None
