"""Capacity against the ICRC and CPT space standards (pure)."""

from __future__ import annotations

import pytest

from habeas.facilities.capacity import CPT, ICRC, compliant_places, space_per_person, summarise


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
        summary = summarise(40_000, population=14_532, cell_areas=[100.0] * 256)
        assert summary.space_at_signed_m2 == pytest.approx(0.64)
        assert summary.space_now_m2 == pytest.approx(25_600 / 14_532)
        assert summary.compliant == {"ICRC": 7_424, "CPT": 6_400}

    def test_empty_facility_has_no_space_per_person(self) -> None:
        assert space_per_person(100.0, 0) is None
        assert summarise(10, 0, []).space_at_signed_m2 is None
