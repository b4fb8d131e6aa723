"""A world for the locator: transferees in every state, a domestic namesake, a nomination
that never left — built once on SQLite through the services, then copied for each test
(on PostgreSQL: replayed there once, reactions and all, and copied by the server)."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from habeas.custody import records
from habeas.db import make_engine, unit_of_work
from habeas.facilities import housing
from habeas.holds import service as holds
from habeas.transfers import service as transfers
from tests.conftest import shared_template
from tests.custody.test_intake import intake, take_in
from tests.custody.test_population import admit, row
from tests.factories import with_demo
from tests.transfers.factories import (
    accepted_people,
    approved,
    departed,
    hand_back_both,
    handed_over,
    handover,
    manifest_body,
)

RELEASED_RECENTLY = date(2025, 8, 1)  # handed back at 18:00 UTC: noon in San Salvador
RELEASED_LONG_AGO = date(2025, 6, 1)
AFTER_RELEASES = date(2025, 9, 15)  # 45 and 106 days after them


@dataclass(frozen=True)
class World:
    """World names the public ids of the people the locator tests look for."""

    rivera: str  # José Antonio Rivera López, the DESIGN.md example: in custody, in a cell
    namesake: str  # José Antonio Rivera Lopes: same birth day and country, in custody
    transit: str  # María José Hernández Cruz: on a flight that has not landed
    stopped: str  # stopped by a court order in flight and flown back: returned
    released_recently: str
    released_long_ago: str
    died: str
    escaped: str
    recaptured: str
    accepted: str  # accepted, never flown: not findable


def moment(day: date, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day.isoformat()}T{hour:02d}:00:00+00:00")


def person(engine: Engine, ref: str, family: str, given: str, born: str = "1985-07-14",
           passport: str | None = None, **changes: object) -> str:
    [public_id] = accepted_people(engine, ref, **{
        "person.family_name": family, "person.given_names": given,
        "person.date_of_birth": born,
        "person.documents.0.number": passport or f"P{zlib.crc32(ref.encode()) % 10**7:07d}",
        **changes})
    return public_id


def release(engine: Engine, public_id: str, on: date) -> None:
    body = manifest_body([public_id], departs=f"{on}T13:00:00+00:00",
                         lands=f"{on}T17:00:00+00:00")
    with unit_of_work(engine) as s:
        manifest = transfers.plan_return(s, body, outcome="released", actor="x", party="SLV")
        transfers.approve(s, manifest.id, actor="x", party="USA")
        transfers.depart(s, manifest.id, departed_at=moment(on, 13), actor="x", party="USA")
        transfers.arrive(s, manifest.id, arrived_at=moment(on, 17), actor="x", party="SLV")
        hand_back_both(s, manifest.id, handover(
            public_id, handed_over_at=f"{on}T18:00:00+00:00"))


def build_world(engine: Engine) -> World:
    with_demo(engine)
    rivera = accepted_people(engine, "US-2025-000123")[0]
    namesake = person(engine, "US-2025-000124", "Rivera Lopes", "José Antonio",
                      born="1994-03-02", passport="A7777777")
    others = {name: person(engine, f"US-2025-{n:06d}", family, given)
              for n, (name, family, given) in enumerate((
                  ("released_recently", "Martínez", "Carlos"),
                  ("released_long_ago", "Gómez", "Luis Alberto"),
                  ("died", "Flores", "Oscar"), ("escaped", "Castro", "Wilber"),
                  ("recaptured", "Mejía", "Kevin")), start=200)}
    handed_over(engine, [rivera, namesake, *others.values()])
    take_in(engine, rivera, intake())
    with unit_of_work(engine) as s:
        housing.house(s, "CECOT", on=date(2025, 4, 10), actor="x", public_ids=[rivera])
    release(engine, others["released_recently"], RELEASED_RECENTLY)
    release(engine, others["released_long_ago"], RELEASED_LONG_AGO)
    with unit_of_work(engine) as s:
        records.record_death(s, others["died"], died_at=moment(date(2025, 5, 2)),
                             place="M8", circumstances="found unresponsive", actor="x", party="SLV")
        records.record_escape(s, others["escaped"], at=moment(date(2025, 5, 3)),
                              circumstances="", actor="x", party="SLV")
        records.record_escape(s, others["recaptured"], at=moment(date(2025, 5, 3)),
                              circumstances="", actor="x", party="SLV")
        records.record_recapture(s, others["recaptured"], at=moment(date(2025, 5, 20)),
                                 circumstances="", actor="x", party="SLV")
    transit = person(engine, "US-2025-000300", "Hernández Cruz", "María José",
                     born="1990-05-05", passport="B7654321", **{"person.sex": "F"})
    departed(engine, [transit])
    stopped = person(engine, "US-2025-000301", "Ramírez", "Jonathan")
    manifest_id, _, _ = departed(engine, [stopped])
    with unit_of_work(engine) as s:
        holds.register(s, holds.parse_hold({
            "hold_ref": "1:25-cv-STOP", "court": "D.D.C.", "kind": "tro",
            "issued": "2025-04-10", "expires": None, "scope": {"external_ref": "US-2025-000301"},
            "bars_removal_to": "any"}), actor="x", party=None, as_of=date(2025, 4, 10))
        transfers.arrive(s, manifest_id, arrived_at=moment(date(2025, 4, 10), 19), actor="x",
                         party="SLV")
        transfers.return_from_transit(s, manifest_id, stopped,
                                      returned_at=moment(date(2025, 4, 11), 9),
                                      officer="Officer Castillo", actor="x", party="USA")
    accepted = person(engine, "US-2025-000302", "Rivera López", "Ana")
    approved(engine, [accepted])  # on a manifest, but it never leaves
    # A domestic prisoner with the example's very name: never in the locator.
    admit(engine, row("D-1", family_name="Rivera López", given_names="José Antonio",
                      date_of_birth="1994-03-02"))
    return World(rivera=rivera, namesake=namesake, transit=transit, stopped=stopped,
                 accepted=accepted, **others)


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, World]]:
    """world_template: the world, built once per run (tests/conftest.py's shared_template)."""
    path, ids = shared_template(tmp_path_factory, "locator-world",
                                lambda engine: dataclasses.asdict(build_world(engine)))
    engine = make_engine(f"sqlite:///{path}")
    yield engine, World(**ids)
    engine.dispose()


@pytest.fixture
def world(engine: Engine, world_template: tuple[Engine, World]) -> World:
    """world: the locator's people; ENGINE's database is a copy of the template (made by
    tests/conftest.py's database_url, which sees that the test asks for the world)."""
    return world_template[1]
