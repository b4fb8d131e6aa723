"""Capacity arithmetic against international space standards (pure; DESIGN.md §7).

ICRC, "Water, sanitation, hygiene and habitat in prisons" (2012): 3.4 m² per
person in shared accommodation, 5.4 m² in a single cell. CPT, "Living space per
prisoner in prison establishments" (CPT/Inf(2015)44): 4 m² per person in a
multiple-occupancy cell (plus sanitary annex), 6 m² in a single cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ICRC_SHARED_M2 = 3.4
ICRC_SINGLE_M2 = 5.4
CPT_SHARED_M2 = 4.0
CPT_SINGLE_M2 = 6.0


@dataclass(frozen=True)
class Standard:
    name: str
    shared_m2: float
    single_m2: float


ICRC = Standard("ICRC", ICRC_SHARED_M2, ICRC_SINGLE_M2)
CPT = Standard("CPT", CPT_SHARED_M2, CPT_SINGLE_M2)
STANDARDS = (ICRC, CPT)


def space_per_person(area_m2: float, people: int) -> float | None:
    """space_per_person is floor area divided by people; None when nobody is there."""
    return area_m2 / people if people > 0 else None


def compliant_places(area_m2: float, standard: Standard) -> int:
    """compliant_places is how many people a room holds under STANDARD.

    A room smaller than the single-cell minimum holds nobody; one person needs
    the single-cell minimum; two or more each need the shared minimum.
    """
    if area_m2 < standard.single_m2:
        return 0
    shared = math.floor(area_m2 / standard.shared_m2 + 1e-9)
    return shared if shared >= 2 else 1


@dataclass(frozen=True)
class CapacitySummary:
    """CapacitySummary is the figure set shown wherever capacity is shown."""

    signed_capacity: int
    population: int
    total_area_m2: float
    cells: int
    space_at_signed_m2: float | None
    space_now_m2: float | None
    compliant: dict[str, int]


def summarise(
    signed_capacity: int, population: int, cell_areas: list[float]
) -> CapacitySummary:
    """summarise computes space per person and standard-compliant capacity for a facility."""
    total = sum(cell_areas)
    return CapacitySummary(
        signed_capacity=signed_capacity,
        population=population,
        total_area_m2=total,
        cells=len(cell_areas),
        space_at_signed_m2=space_per_person(total, signed_capacity) if cell_areas else None,
        space_now_m2=space_per_person(total, population),
        compliant={s.name: sum(compliant_places(a, s) for a in cell_areas) for s in STANDARDS},
    )
