"""Moves and non-associations: the same hard constraints as every placement; admin override."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from habeas.custody.models import Prisoner
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError
from habeas.facilities import housing
from tests.custody.test_population import admit, row
from tests.factories import event_count

ON = date(2025, 3, 1)


def ids(engine: Engine) -> dict[str, Prisoner]:
    with read_session(engine) as s:
        return {p.local_ref: p for p in s.scalars(select(Prisoner))}


def move(engine: Engine, public_id: str, cell: str, **kw: Any) -> Any:
    with unit_of_work(engine) as s:
        return housing.move(s, public_id, building=cell.split("/")[0], cell=cell.split("/")[1],
                            reason="cell search", on=ON, actor="x", **kw)


@pytest.fixture
def rivals(demo_engine: Engine) -> dict[str, Prisoner]:
    admit(demo_engine,
          row("MS", building="M1", cell="1-01", affiliation={"group": "MS-13",
                                                             "basis": "conviction"}),
          row("B18", building="M5", cell="5-01", affiliation={"group": "Barrio 18",
                                                              "basis": "tattoo"}),
          row("N1", building="M1", cell="1-02"))
    return ids(demo_engine)


class TestMove:
    def test_a_move_that_breaks_separation_is_refused_and_nothing_changes(
            self, demo_engine: Engine, rivals: dict[str, Prisoner]) -> None:
        before = event_count(demo_engine)
        with pytest.raises(DomainError) as caught:
            move(demo_engine, rivals["B18"].public_id, "M1/1-03", may_override=False)
        assert caught.value.code == "separation_violation"
        assert caught.value.details["rule"] == "SEP-004"
        assert event_count(demo_engine) == before
        assert ids(demo_engine)["B18"].cell_code == "5-01"

    def test_an_allowed_move_is_recorded(self, demo_engine: Engine,
                                         rivals: dict[str, Prisoner]) -> None:
        moved = move(demo_engine, rivals["N1"].public_id, "M5/5-01", may_override=False)
        assert (moved.from_cell, moved.cell, moved.override) == ("1-02", "5-01", None)
        assert ids(demo_engine)["N1"].cell_code == "5-01"

    def test_only_an_admin_overrides_and_the_override_is_on_the_record(
            self, demo_engine: Engine, rivals: dict[str, Prisoner]) -> None:
        with pytest.raises(DomainError) as caught:
            move(demo_engine, rivals["B18"].public_id, "M1/1-03", may_override=False,
                 override_reason="protective custody")
        assert caught.value.code == "forbidden"
        moved = move(demo_engine, rivals["B18"].public_id, "M1/1-03", may_override=True,
                     override_reason="protective custody ordered by the director")
        assert moved.override.reason == "protective custody ordered by the director"
        assert [b.rule for b in moved.override.broken] == ["SEP-004"]


class TestNonAssociation:
    def test_keeps_two_people_apart_until_closed(self, demo_engine: Engine,
                                                 rivals: dict[str, Prisoner]) -> None:
        ms, other = rivals["MS"].public_id, rivals["N1"].public_id
        move(demo_engine, other, "M6/6-01", may_override=False)
        with unit_of_work(demo_engine) as s:
            seq = housing.open_non_association(
                s, person_a=ms, role_a="witness", person_b=other, role_b="accused",
                level="BUILDING", reason="testified against him", actor="x")
        with pytest.raises(DomainError) as caught:
            move(demo_engine, other, "M1/1-05", may_override=False)
        assert caught.value.details["rule"] == "SEP-005"
        with unit_of_work(demo_engine) as s:
            housing.close_non_association(s, seq, reason="witness released", actor="x")
        move(demo_engine, other, "M1/1-05", may_override=False)

    def test_a_pair_already_together_is_refused(self, demo_engine: Engine,
                                                rivals: dict[str, Prisoner]) -> None:
        with pytest.raises(DomainError) as caught, unit_of_work(demo_engine) as s:
            housing.open_non_association(
                s, person_a=rivals["MS"].public_id, role_a="", person_b=rivals["N1"].public_id,
                role_b="", level="BUILDING", reason="threats", actor="x")
        assert caught.value.code == "separation_violation"
