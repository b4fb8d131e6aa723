"""Reads for the facility map and a cell's page: the buildings' names, who is in a cell as
the reader may see them, and the non-associations binding them.

Who is in which cell is personal data: a sending state sees only the people in its legal
custody (SCOPE, DESIGN.md §2), and of the others only how many there are.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from habeas.custody.models import Prisoner
from habeas.facilities.models import Building, NonAssociation
from habeas.facilities.service import PRESENT


def building_names(db: Session, code: str) -> dict[str, str]:
    """building_names: each building of facility CODE by its code (one query)."""
    return {b: name for b, name in db.execute(
        select(Building.code, Building.name).where(Building.facility_code == code))}


def _in_cell(code: str, building: str, cell: str) -> ColumnElement[bool]:
    """_in_cell: the condition for a person present in the cell (as housing.occupants)."""
    return and_(Prisoner.facility_code == code, Prisoner.building_code == building,
                Prisoner.cell_code == cell, Prisoner.status.in_(PRESENT))


def _seen_by(place: ColumnElement[bool], scope: str | None) -> ColumnElement[bool]:
    """_seen_by: the people of PLACE that SCOPE may see: a sending state only the people in
    its legal custody."""
    return place if scope is None else and_(place, Prisoner.legal_custodian == scope)


def occupants_seen(db: Session, code: str, building: str, cell: str, scope: str | None, *,
                   limit: int, offset: int) -> list[Prisoner]:
    """occupants_seen: one page of the people in a cell that SCOPE may see."""
    return list(db.scalars(select(Prisoner).where(_seen_by(_in_cell(code, building, cell),
                                                           scope))
                           .order_by(Prisoner.public_id).limit(limit).offset(offset)))


def seen_among(db: Session, code: str, building: str, cell: str, scope: str | None,
               people: set[str]) -> set[str]:
    """seen_among: which of PEOPLE are in the cell as SCOPE may see them (one query)."""
    if not people:
        return set()
    return set(db.scalars(select(Prisoner.public_id).where(
        _seen_by(_in_cell(code, building, cell), scope), Prisoner.public_id.in_(people))))


def hidden_in(db: Session, code: str, building: str, cell: str, scope: str | None) -> int:
    """hidden_in: how many people in the cell SCOPE may not see (another state's)."""
    if scope is None:
        return 0
    return db.scalar(select(func.count()).select_from(Prisoner).where(
        _in_cell(code, building, cell), Prisoner.legal_custodian != scope)) or 0


def open_bonds(db: Session, people: list[str]) -> list[NonAssociation]:
    """open_bonds: the open non-associations naming any of PEOPLE, in one query."""
    if not people:
        return []
    return list(db.scalars(select(NonAssociation).where(
        NonAssociation.status == "open",
        or_(NonAssociation.person_a.in_(people), NonAssociation.person_b.in_(people)))
        .order_by(NonAssociation.seq)))
