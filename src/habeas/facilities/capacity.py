"""Capacity arithmetic against international space standards (pure; DESIGN.md §7).

ICRC, "Water, sanitation, hygiene and habitat in prisons" (2012): 3.4 m² per
person in shared accommodation, 5.4 m² in a single cell. CPT, "Living space per
prisoner in prison establishments" (CPT/Inf(2015)44): 4 m² per person in a
multiple-occupancy cell (plus sanitary annex), 6 m² in a single cell.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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


def meets(area_m2: float, people: int, standard: Standard) -> bool:
    """meets says whether PEOPLE in a room of AREA_M2 have the space STANDARD requires.

    An empty room meets every standard; one person needs the single-cell minimum;
    two or more each need the shared minimum.
    """
    if people == 0:
        return True
    if people == 1:
        return area_m2 + 1e-9 >= standard.single_m2
    return area_m2 / people + 1e-9 >= standard.shared_m2


def forecast_free_places(signed_capacity: int, population: int, scheduled_departures: int,
                         scheduled_arrivals: int) -> int:
    """forecast_free_places for a date (DESIGN.md §7): signed capacity − population
    + scheduled departures − scheduled arrivals."""
    return signed_capacity - population + scheduled_departures - scheduled_arrivals


@dataclass(frozen=True)
class CellLoad:
    """CellLoad is what capacity needs of a cell: its floor, its people, its max capacity."""

    area_m2: float
    occupants: int
    max_capacity: int


@dataclass(frozen=True)
class CapacitySummary:
    """CapacitySummary is the figure set shown wherever capacity is shown."""

    signed_capacity: int
    population: int
    total_area_m2: float
    cells: int
    max_capacity: int
    space_at_signed_m2: float | None
    space_now_m2: float | None
    compliant: dict[str, int]
    cells_below: dict[str, int]  # occupied cells giving less space than the standard


def summarise(signed_capacity: int, cells: Sequence[CellLoad],
              population: int | None = None) -> CapacitySummary:
    """summarise computes space per person and standard-compliant capacity for a facility.

    POPULATION defaults to the people in the cells; pass the facility's whole
    population when some of it is not (yet) in a cell.
    """
    total = sum(c.area_m2 for c in cells)
    if population is None:
        population = sum(c.occupants for c in cells)
    return CapacitySummary(
        signed_capacity=signed_capacity,
        population=population,
        total_area_m2=total,
        cells=len(cells),
        max_capacity=sum(c.max_capacity for c in cells),
        space_at_signed_m2=space_per_person(total, signed_capacity) if cells else None,
        space_now_m2=space_per_person(total, population),
        compliant={s.name: sum(compliant_places(c.area_m2, s) for c in cells)
                   for s in STANDARDS},
        cells_below={s.name: sum(1 for c in cells if not meets(c.area_m2, c.occupants, s))
                     for s in STANDARDS},
    )
