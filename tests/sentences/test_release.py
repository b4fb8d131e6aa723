"""Release dates (DESIGN.md §5): golden files worked out by hand, then the rules one by one."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habeas.sentences.calendars import calendar_for, is_known_calendar, last_working_day
from habeas.sentences.release import compute_document, compute_release, us_federal_credit
from habeas.sentences.schemas import PersonIn

CASES = Path(__file__).parent / "cases"
COMPARED = ("id", "sentence_expiry", "projected_release", "release_date", "good_conduct_days",
            "flags", "errors", "steps")


@cache
def computed(name: str) -> list[dict[str, Any]]:
    case = json.loads((CASES / name).read_text(encoding="utf-8"))
    results: list[dict[str, Any]] = compute_document(case["input"]).model_dump(
        mode="json")["results"]
    return results


def golden() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        for index, expected in enumerate(case["expected"]["results"]):
            params.append(pytest.param(path.name, index, expected,
                                       id=f"{path.stem}:{expected['id']}"))
    return params


def assert_in_order(needles: list[str], steps: list[str]) -> None:
    position = 0
    for needle in needles:
        assert needle in steps[position:], f"{needle!r} not among the steps (in order):\n" + \
            "\n".join(steps)
        position = steps.index(needle, position) + 1


class TestGoldenFiles:
    @pytest.mark.parametrize("path", sorted(CASES.glob("*.json")), ids=lambda p: p.stem)
    def test_every_case_says_why_and_covers_every_person(self, path: Path) -> None:
        case = json.loads(path.read_text(encoding="utf-8"))
        assert set(case) == {"explanation", "input", "expected"}
        assert case["explanation"].strip()
        expected = case["expected"]["results"]
        assert len(expected) == len(case["input"]["people"])
        for result in expected:
            assert result["explanation"].strip(), result["id"]
            assert {"id", "sentence_expiry", "release_date", "errors"} <= set(result)
            assert "steps" in result or "steps_include" in result or result["errors"]

    @pytest.mark.parametrize(("name", "index", "expected"), golden())
    def test_computed_as_worked_by_hand(self, name: str, index: int,
                                        expected: dict[str, Any]) -> None:
        actual = computed(name)[index]
        for key in COMPARED:
            if key in expected:
                assert actual[key] == expected[key], f"{key}: {expected['explanation']}"
        assert_in_order(expected.get("steps_include", []), actual["steps"])


class TestGoodConductCredit:
    """18 U.S.C. § 3624(b)(1): 54 days per year imposed, more than a year, partial year prorated."""

    @pytest.mark.parametrize(("start", "end", "credit"), [
        (date(2020, 1, 15), date(2025, 1, 15), 270),  # five years
        (date(2021, 3, 1), date(2022, 3, 1), 0),  # one year is not more than one year
        (date(2021, 3, 1), date(2022, 3, 2), 54),  # a year and a day: ⌊54/365⌋ = 0 more
        (date(2021, 3, 1), date(2022, 9, 1), 81),  # ⌊54 × 184 / 365⌋ = 27
        (date(2015, 1, 1), date(2016, 7, 1), 80),  # ⌊54 × 182 / 366⌋ = 26 (leap year)
        (date(2023, 1, 1), date(2024, 12, 31), 107),  # ⌊54 × 365 / 366⌋ = 53, never a full 54
        (date(2010, 1, 1), date(2030, 1, 1), 1080),  # twenty years
    ])
    def test_credit(self, start: date, end: date, credit: int) -> None:
        assert us_federal_credit(start, end, "conviction 1")[0] == credit

    def test_a_partial_year_never_earns_a_whole_years_credit(self) -> None:
        start = date(2023, 3, 1)
        for days in range(1, 366):
            end = date(2024, 3, 1) + timedelta(days=days)
            if end < date(2025, 3, 1):
                assert us_federal_credit(start, end, "c")[0] < 108


class TestWorkingDays:
    def test_us_is_the_federal_calendar_not_a_states(self) -> None:
        us = calendar_for("US", date(2024, 6, 1))
        assert us.closed_because(date(2024, 6, 19)) == "Juneteenth National Independence Day"
        # Patriots' Day (Massachusetts, Maine) and Cesar Chavez Day (California): state only.
        assert us.closed_because(date(2024, 4, 15)) is None
        assert us.closed_because(date(2024, 4, 1)) is None

    def test_a_states_own_weekend(self) -> None:
        saudi = calendar_for("SA", date(2024, 6, 1))
        assert saudi.closed_because(date(2024, 6, 7)) == "a Friday (SA weekend)"
        assert saudi.closed_because(date(2024, 6, 9)) is None  # Sunday is a working day

    @pytest.mark.parametrize(("code", "known"), [
        ("US", True), ("SV", True), ("GB", True), ("XX", False), ("us", False),
        ("USA", False), ("", False)])
    def test_known_calendars(self, code: str, known: bool) -> None:
        assert is_known_calendar(code) is known

    def test_never_before_the_floor(self) -> None:
        us = calendar_for("US", date(2024, 9, 2))
        assert last_working_day(date(2024, 9, 2), date(2024, 9, 1), us)[0] == date(2024, 9, 1)


class ClosedEveryDay:
    code = "ZZ"

    def closed_because(self, day: date) -> str | None:
        return "closed"


def test_the_calendar_is_passed_in() -> None:
    person = PersonIn.model_validate({"id": "P", "calendar": "US", "convictions": [
        {"sentence": {"kind": "determinate", "years": 1}, "sentence_start": "2021-03-01"}]})
    result = compute_release(person, lambda code, around: ClosedEveryDay())
    assert result.sentence_expiry == date(2022, 2, 28)
    assert result.release_date == date(2021, 3, 1)  # back to the start, never before it


terms = st.fixed_dictionaries({
    "sentence": st.fixed_dictionaries({
        "kind": st.just("determinate"), "years": st.integers(0, 12),
        "months": st.integers(0, 30), "days": st.integers(0, 400)}).filter(
        lambda s: (s["years"], s["months"], s["days"]) != (0, 0, 0)),
    "sentence_start": st.dates(date(1990, 1, 1), date(2040, 12, 31)),
    "credited_days": st.integers(0, 2000),
    "relation": st.sampled_from(["concurrent", "consecutive"]),
})


@st.composite
def people(draw: st.DrawFn) -> dict[str, Any]:
    convictions = draw(st.lists(terms, min_size=1, max_size=4))
    convictions[0]["relation"] = "concurrent"
    for previous, conviction in pairwise(convictions):
        if conviction["relation"] == "consecutive":  # imposed before the previous one ended
            conviction["sentence_start"] = previous["sentence_start"]
    return {"id": "P", "calendar": draw(st.sampled_from(["US", "SV", "SA", "GB"])),
            "good_conduct": draw(st.sampled_from(["none", "us-federal"])),
            "good_conduct_withheld_days": draw(st.integers(0, 300)),
            "convictions": [{**c, "sentence_start": str(c["sentence_start"])}
                            for c in convictions]}


@settings(max_examples=150, deadline=None)
@given(people())
def test_a_release_moves_earlier_never_later(raw: dict[str, Any]) -> None:
    person = PersonIn.model_validate(raw)
    result = compute_release(person)
    assert result.release_date and result.projected_release and result.sentence_expiry
    as_of = max(c.sentence_start for c in person.convictions)
    assert as_of <= result.release_date <= result.projected_release
    assert result.projected_release <= max(result.sentence_expiry, as_of)
    days = calendar_for(person.calendar, result.projected_release)
    day = result.release_date + timedelta(days=1)
    while day <= result.projected_release:  # every day passed over is a closed day
        assert days.closed_because(day) is not None, day
        day += timedelta(days=1)


def test_the_core_imports_no_web_or_database_code() -> None:
    probe = ("import sys, habeas.sentences.release, habeas.sentences.calendars; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'fastapi', 'starlette', 'sqlalchemy', 'typer', 'rich'}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
