"""Who is in a cell, as each state may see them (habeas.facilities.cell_reads): another
state's officer reads neither the names nor the bonds of people it does not hold, only how
many there are (DESIGN.md §2)."""

from __future__ import annotations

from sqlalchemy import Engine

from habeas import demo
from habeas.custody import service as custody
from habeas.db import read_session, unit_of_work
from habeas.facilities import cell_reads, housing
from habeas.nominations.service import Row


def _admit(engine: Engine, family: str, place: str | None = None) -> tuple[str, str]:
    building, cell = place.split("/") if place else (None, None)
    row = {"local_ref": family, "family_name": family, "given_names": "Test", "sex": "M",
           "date_of_birth": "1990-01-01", "legal_status": "convicted",
           "security_level": "maximum", "admitted_on": "2024-06-11",
           "building": building, "cell": cell}
    with unit_of_work(engine) as db:
        [result] = custody.import_population(db, "CECOT", [Row(1, row)],
                                             actor="user:sv.warden", on=demo.DEMO_AS_OF)
    assert result.public_id is not None and result.cell is not None, result.errors
    return result.public_id, result.cell


def test_a_sending_state_sees_only_its_own_people_in_a_cell(demo_engine: Engine) -> None:
    first, place = _admit(demo_engine, "Primero")
    second, _ = _admit(demo_engine, "Segundo", place)
    building, cell = place.split("/")
    with read_session(demo_engine) as db:
        everyone = housing.occupants(db, "CECOT", building, cell)
        held = {p.legal_custodian for p in everyone}
        ours = {first, second}
        assert {p.legal_custodian for p in everyone if p.public_id in ours} == {"SLV"}
        seen = cell_reads.occupants_seen(db, "CECOT", building, cell, None, limit=50,
                                         offset=0)
        assert [p.public_id for p in seen] == [p.public_id for p in everyone]
        assert cell_reads.seen_among(db, "CECOT", building, cell, None, ours) == ours
        assert cell_reads.hidden_in(db, "CECOT", building, cell, None) == 0

        for other in (held | {"USA"}) - {"SLV"}:
            theirs = cell_reads.occupants_seen(db, "CECOT", building, cell, other, limit=50,
                                               offset=0)
            assert all(p.legal_custodian == other for p in theirs)
            assert cell_reads.seen_among(db, "CECOT", building, cell, other, ours) == set()
            assert cell_reads.hidden_in(db, "CECOT", building, cell, other) == \
                len(everyone) - len(theirs)
