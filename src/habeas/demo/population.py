"""Chapter 3: CECOT's domestic population, admitted before the transferees arrive."""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from habeas.facilities import service as facilities
from habeas.nominations.service import PUBLIC_ID_ALPHABET

from .nominating import DEMO_AS_OF
from .story import on_day, story

DEMO_POPULATION_CHUNK = 5_000


def populate(session: Session, *, seed: int = 2025, count: int | None = None) -> list[str]:
    """populate admits CECOT's reported domestic population (14,532, June 2024), or COUNT."""
    with story(session, on_day(DEMO_AS_OF, 8)):
        return _populate(session, seed, count)


def _populate(session: Session, seed: int, count: int | None) -> list[str]:
    from habeas.custody import service as custody
    from habeas.custody.synthetic import CECOT_POPULATION_JUNE_2024, population
    from habeas.nominations.service import Row

    rng = random.Random(seed + 2)  # noqa: S311 - reproducible demo ids, not secrets
    rows = [Row(i + 1, p) for i, p in enumerate(population(
        CECOT_POPULATION_JUNE_2024 if count is None else count, seed=seed))]
    counts: dict[str, int] = {}
    for start in range(0, len(rows), DEMO_POPULATION_CHUNK):
        for result in custody.import_population(
                session, "CECOT", rows[start:start + DEMO_POPULATION_CHUNK],
                actor="user:sv.warden", on=DEMO_AS_OF,
                id_source=lambda n: "".join(rng.choice(PUBLIC_ID_ALPHABET) for _ in range(n))):
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
    summary = facilities.capacity(session, "CECOT")
    return [f"population: {len(rows):,} domestic prisoners read: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
            + (f"; {summary.space_now_m2:.2f} m² per person" if summary.space_now_m2 else "")]
