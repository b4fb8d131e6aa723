"""Sending states' working days (pure): public holidays from the `holidays` package.

A release that falls on a day the sending state's offices are closed moves
earlier to its last working day, never later (DESIGN.md §5). Which days are
closed is the sending state's calendar: its weekend and its public holidays,
national only. For `US` that is the federal calendar (5 U.S.C. § 6103), never
a state's: no subdivision is ever asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from typing import Protocol

import holidays

ALPHA_2 = re.compile(r"^[A-Z]{2}$")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@cache
def _supported() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def is_known_calendar(code: str) -> bool:
    """is_known_calendar: CODE is an alpha-2 country code the holidays package has."""
    return bool(ALPHA_2.match(code)) and code in _supported()


class HolidayCalendar:
    """HolidayCalendar says why a day is not a working day in one sending state."""

    def __init__(self, code: str, years: Iterable[int]) -> None:
        # subdiv=None: the national calendar (for US, the federal holidays of 5 U.S.C. § 6103,
        # with their observed Friday/Monday), public holidays only (the package's default).
        self.code = code
        self._days = holidays.country_holidays(code, subdiv=None, years=list(years))

    def closed_because(self, day: date) -> str | None:
        """closed_because names why DAY is not a working day ('a Saturday'), or None."""
        names = self._days.get_list(day)
        if names:
            return " and ".join(names)
        if self._days.is_weekend(day):
            return f"a {DAY_NAMES[day.weekday()]} ({self.code} weekend)"
        return None


def calendar_for(code: str, around: date) -> HolidayCalendar:
    """calendar_for is CODE's calendar for the year of AROUND and the one before."""
    return HolidayCalendar(code, range(around.year - 1, around.year + 1))


class WorkingDays(Protocol):
    code: str

    def closed_because(self, day: date) -> str | None: ...


def last_working_day(day: date, not_before: date, calendar: WorkingDays
                     ) -> tuple[date, list[str]]:
    """last_working_day is DAY, or the last working day before it, with the days passed over.

    A release moves earlier, never later (DESIGN.md §5), and never before
    NOT_BEFORE (custody under the sentences cannot end before it began).
    """
    passed: list[str] = []
    while day > not_before and (why := calendar.closed_because(day)) is not None:
        passed.append(f"{day} is {why}: one day earlier")
        day -= timedelta(days=1)
    return day, passed
