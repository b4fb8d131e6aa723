"""Calendar arithmetic on an agreement's term (pure)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(start: date, months: int) -> date:
    """add_months moves START by MONTHS, clamping to the month's end (31 Jan + 1 → 28/29 Feb)."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def term_end(starts_on: date, term_months: int) -> date:
    """term_end is the last day of a term: a one-year term from 15 March ends on 14 March."""
    return add_months(starts_on, term_months) - timedelta(days=1)
