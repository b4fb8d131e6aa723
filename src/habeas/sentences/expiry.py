"""Sentence expiry (pure): DESIGN.md §5, without good-conduct credit (as screening needs it).

Sentence expiry = start + term (calendar arithmetic: years, then months, then
days), minus one day, minus credited days. A sentence keeps running under the
sending state's law (ETS 112 art. 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from habeas.agreements.terms import add_months


@dataclass(frozen=True)
class Expiry:
    """Expiry is a computed date with the working that produced it."""

    date: date
    working: tuple[str, ...]


def add_term(start: date, years: int, months: int, days: int) -> date:
    """add_term adds years, then months, then days (a month-end start clamps: 31 Jan + 1 m)."""
    return add_months(start, years * 12 + months) + timedelta(days=days)


def sentence_expiry(start: date, years: int, months: int, days: int,
                    credited_days: int) -> Expiry:
    """sentence_expiry is the last day of a determinate sentence, with its working."""
    end = add_term(start, years, months, days)
    last_day = end - timedelta(days=1)
    expiry = last_day - timedelta(days=credited_days)
    return Expiry(expiry, (
        f"start {start.isoformat()} + {years}y {months}m {days}d = {end.isoformat()}",
        f"minus 1 day = {last_day.isoformat()} (the term includes its first day)",
        f"minus {credited_days} credited day(s) = {expiry.isoformat()}",
    ))
