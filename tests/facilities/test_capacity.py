"""Capacity against the ICRC and CPT space standards (pure)."""

from __future__ import annotations

import pytest

from habeas.facilities.capacity import (
    CPT,
    ICRC,
    CellLoad,
    compliant_places,
    forecast_free_places,
    meets,
    space_per_person,
    summarise,
)


class TestCompliantPlaces:
    @pytest.mark.parametrize(("area", "icrc", "cpt"), [
        (100.0, 29, 25),   # a CECOT cell: 100 / 3.4 = 29.4; 100 / 4 = 25
        (6.8, 2, 1),       # two people at exactly 3.4 m² each; CPT: 6 m² single only
        (5.4, 1, 0),       # ICRC single-cell minimum met; CPT's 6 m² not
        (4.0, 0, 0),       # below both single-cell minimums
        (12.0, 3, 3),
    ])
    def test_places_meeting_each_standard(self, area: float, icrc: int, cpt: int) -> None:
        assert (compliant_places(area, ICRC), compliant_places(area, CPT)) == (icrc, cpt)


class TestSummary:
    def test_cecot_at_claimed_capacity(self) -> None:
        cells = [CellLoad(100.0, 57 if i < 196 else 56, 156) for i in range(256)]
        summary = summarise(40_000, cells)
        assert summary.population == 14_532
        assert summary.max_capacity == 156 * 256
        assert summary.space_at_signed_m2 == pytest.approx(0.64)
        assert summary.space_now_m2 == pytest.approx(25_600 / 14_532)
        assert summary.compliant == {"ICRC": 7_424, "CPT": 6_400}
        # 100 m² for 56 or 57 people is under 2 m² each: every cell fails both standards.
        assert summary.cells_below == {"ICRC": 256, "CPT": 256}

    def test_empty_facility_has_no_space_per_person(self) -> None:
        assert space_per_person(100.0, 0) is None
        assert summarise(10, []).space_at_signed_m2 is None


class TestMeets:
    @pytest.mark.parametrize(("area", "people", "icrc", "cpt"), [
        (10.0, 0, True, True),     # an empty room meets everything
        (5.4, 1, True, False),     # a single cell at the ICRC minimum, under CPT's 6 m²
        (6.0, 1, True, True),
        (8.0, 2, True, True),      # 4 m² each: CPT's shared minimum exactly
        (7.9, 2, True, False),
        (6.7, 2, False, False),    # 3.35 m² each: under ICRC's 3.4
        (100.0, 57, False, False),
    ])
    def test_space_against_each_standard(self, area: float, people: int, icrc: bool,
                                         cpt: bool) -> None:
        assert (meets(area, people, ICRC), meets(area, people, CPT)) == (icrc, cpt)


def test_forecast_adds_departures_and_subtracts_arrivals() -> None:
    assert forecast_free_places(40_000, 14_532, 10, 300) == 40_000 - 14_532 + 10 - 300
