"""Sentence expiry (DESIGN.md §5): calendar arithmetic, minus a day, minus credit."""

from __future__ import annotations

from datetime import date

import pytest

from habeas.sentences.expiry import sentence_expiry


@pytest.mark.parametrize(("start", "term", "credit", "expected", "why"), [
    (date(2020, 1, 15), (5, 0, 0), 0, date(2025, 1, 14), "five years end the day before"),
    (date(2022, 11, 1), (8, 0, 0), 190, date(2030, 4, 24), "DESIGN.md example: 190 credited"),
    (date(2024, 1, 31), (0, 1, 0), 0, date(2024, 2, 28), "31 Jan + 1 month clamps to 29 Feb"),
    (date(2024, 2, 29), (1, 0, 0), 0, date(2025, 2, 27), "29 Feb + 1 year clamps to 28 Feb"),
    (date(2025, 1, 1), (0, 0, 30), 0, date(2025, 1, 30), "30 days include the first"),
])
def test_expiry(start: date, term: tuple[int, int, int], credit: int, expected: date,
                why: str) -> None:
    result = sentence_expiry(start, *term, credited_days=credit)
    assert result.date == expected, why
    assert result.working[-1].endswith(expected.isoformat())
