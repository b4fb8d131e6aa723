"""Synthetic domestic population for the demo and benchmarks: deterministic for a seed.

Shaped on public reporting about CECOT (June 2024: 14,532 people held): men
only, most held under the state of exception without trial, most classified as
MS-13 or Barrio 18 — many of them on tattoos alone, which the records show as
such (DESIGN.md §7).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from habeas.nominations.synthetic import FAMILY, GIVEN

CECOT_POPULATION_JUNE_2024 = 14_532

# (group, share); None is unaffiliated.
GROUPS: tuple[tuple[str | None, float], ...] = (("MS-13", 0.55), ("Barrio 18", 0.30),
                                                 (None, 0.15))
BASES = (("conviction", 0.35), ("intelligence", 0.25), ("self_declared", 0.10),
         ("tattoo", 0.30))
UNTRIED_SHARE = 0.55  # detained under the régimen de excepción, not convicted
# Each gang has its own modules; Module 8 is kept for arrivals (in 2025, the transferees).
MODULES = {"MS-13": ("M1", "M2", "M3", "M4"), "Barrio 18": ("M5", "M6", "M7"),
           None: ("M1", "M2", "M3", "M4", "M5", "M6", "M7")}


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    roll = rng.random()
    for value, share in weighted:
        roll -= share
        if roll < 0:
            return value
    return weighted[-1][0]


def domestic_prisoner(rng: random.Random, index: int) -> dict[str, Any]:
    """domestic_prisoner is one adult man as a population-file row: his module, not his cell
    (habeas places him)."""
    admitted = date(2023, 2, 24) + timedelta(days=rng.randrange(0, 480))
    born = admitted - timedelta(days=rng.randrange(19 * 365, 55 * 365))
    group = _pick(rng, GROUPS)
    basis = _pick(rng, BASES) if group else "none"
    source = {"conviction": "court record", "intelligence": "PNC intelligence unit",
              "self_declared": "intake interview", "tattoo": "visual inspection at arrest",
              "none": None}[basis]
    return {
        "local_ref": f"DGCP-{index:06d}",
        "family_name": f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}",
        "given_names": rng.choice(GIVEN),
        "date_of_birth": born.isoformat(),
        "sex": "M",
        "legal_status": "untried" if rng.random() < UNTRIED_SHARE else "convicted",
        "affiliation": {"group": group, "basis": basis, "source": source} if group else {},
        "security_level": rng.choice(("high", "maximum", "maximum")),
        "admitted_on": admitted.isoformat(),
        "building": rng.choice(MODULES[group]),
    }


def population(count: int = CECOT_POPULATION_JUNE_2024, *, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    return [domestic_prisoner(rng, i + 1) for i in range(count)]
