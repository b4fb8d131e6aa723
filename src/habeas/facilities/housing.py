"""Housing use cases: place arriving people, move one person, keep people apart.

The database side of the assignment engine: it reads who is where, hands the
pure engine (habeas.facilities.assign) plain data, and records what it decides as
events. Every placement and move passes the same hard constraints (DESIGN.md §7);
only an admin may override them, with a reason that goes on the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from habeas.custody.models import Prisoner
from habeas.errors import Conflict, ErrorCode, Forbidden, NotFound, field_error
from habeas.events import NewEvent, record, record_many
from habeas.facilities import assign
from habeas.facilities.models import Building, Cell, Facility, NonAssociation
from habeas.facilities.projections import (
    BrokenRule,
    HousingAssigned,
    HousingMoved,
    NonAssociationClosed,
    NonAssociationOpened,
    Override,
)
from habeas.facilities.rules import SEPARATION_NUMBER
from habeas.facilities.service import PRESENT, get_facility, require_operator
from habeas.screening.rules import eighteenth_birthday


def cell_key(facility: str, building: str, cell: str) -> str:
    return f"{facility}/{building}/{cell}"


def split_key(key: str) -> tuple[str, str]:
    """split_key: (building, cell) of an engine cell key."""
    _, building, cell = key.split("/", 2)
    return building, cell


def is_minor(born: date, on: date) -> bool:
    return eighteenth_birthday(born) > on


def engine_person(p: Prisoner, on: date) -> assign.Person:
    """engine_person is what the engine may know of a prisoner: no name, no file."""
    return assign.Person(id=p.public_id, sex=p.sex, status=p.legal_status,
                         group=p.affiliation_group, minor=is_minor(p.date_of_birth, on))


@dataclass
class HousingState:
    """HousingState is a facility as the engine sees it: cells with their occupants, rules."""

    facility: Facility
    cells: list[assign.Cell]
    rules: assign.Rules
    by_id: dict[str, Prisoner]

    def cell(self, building: str, code: str) -> assign.Cell:
        key = cell_key(self.facility.code, building, code)
        for cell in self.cells:
            if cell.key == key:
                return cell
        raise NotFound(f"cell {building}/{code} not found in {self.facility.code}",
                       details={"field": "cell"})


def rules_for(session: Session, facility: Facility, people: Iterable[str] = ()) -> assign.Rules:
    """rules_for: the facility's rival groups and every open non-association."""
    separation = facility.separation or {}
    rivalries = frozenset(frozenset(pair) for pair in separation.get("rivalries", []))
    query = select(NonAssociation).where(NonAssociation.status == "open")
    wanted = set(people)
    if wanted and len(wanted) < 500:
        query = query.where(or_(NonAssociation.person_a.in_(wanted),
                                NonAssociation.person_b.in_(wanted)))
    pairs = tuple(assign.NonAssociation(n.person_a, n.person_b, n.level)  # type: ignore[arg-type]
                  for n in session.scalars(query.order_by(NonAssociation.seq)))
    return assign.Rules(rivalries=rivalries,
                        rival_level=separation.get("rival_level", "CELL"),
                        non_associations=pairs)


def housing_state(session: Session, facility_code: str, on: date,
                  people: Iterable[str] = ()) -> HousingState:
    """housing_state reads the facility's cells and who is in each, for the engine."""
    facility = get_facility(session, facility_code)
    sexes = {code: sex for code, sex in session.execute(
        select(Building.code, Building.sex).where(Building.facility_code == facility_code))}
    present = list(session.scalars(select(Prisoner).where(
        Prisoner.facility_code == facility_code, Prisoner.status.in_(PRESENT))))
    occupants: dict[tuple[str, str], list[assign.Person]] = {}
    for p in present:
        if p.cell_code is not None and p.building_code is not None:
            occupants.setdefault((p.building_code, p.cell_code), []).append(engine_person(p, on))
    cells = [assign.Cell(key=cell_key(facility_code, c.building_code, c.code),
                         building=f"{facility_code}/{c.building_code}",
                         max_capacity=c.max_capacity, sex=sexes.get(c.building_code),
                         active=c.active,
                         occupants=tuple(occupants.get((c.building_code, c.code), ())))
             for c in session.scalars(select(Cell).where(Cell.facility_code == facility_code)
                                      .order_by(Cell.building_code, Cell.code))]
    return HousingState(facility, cells, rules_for(session, facility, people),
                        {p.public_id: p for p in present})


def broken(violations: Sequence[assign.Violation]) -> list[BrokenRule]:
    return [BrokenRule(rule=SEPARATION_NUMBER[v.constraint.value], constraint=v.constraint.value,
                       message=v.message) for v in violations]


def separation_error(who: str, violations: Sequence[assign.Violation]) -> Conflict:
    rules = broken(violations)
    first = rules[0]
    return Conflict(f"{first.rule}: {who}: {first.message}", code=ErrorCode.SEPARATION_VIOLATION,
                    details={"field": "cell", "rule": first.rule,
                             "violations": [r.model_dump() for r in rules]})


@dataclass(frozen=True)
class HousingReport:
    placed: dict[str, str]  # public id → "building/cell"
    unplaced: list[dict[str, str]]
    max_utilisation: float


def house(session: Session, facility_code: str, *, on: date, actor: str,
          public_ids: Sequence[str] | None = None, party: str | None = None) -> HousingReport:
    """house places everyone taken in and not yet in a cell (or PUBLIC_IDS) at once.

    The engine places the whole group honouring every hard constraint and
    balancing occupancy; each person it cannot place is reported with the rule
    that blocked them, and stays unhoused.
    """
    state = housing_state(session, facility_code, on, public_ids or ())
    require_operator(state.facility, party, act="housing people")
    waiting = [p for p in state.by_id.values() if p.status == "taken_in" and p.cell_code is None]
    if public_ids is not None:
        wanted = set(public_ids)
        missing = sorted(wanted - {p.public_id for p in waiting})
        if missing:
            raise Conflict(f"people: {', '.join(missing)} are not taken in and waiting for a "
                           f"cell at {facility_code}", code=ErrorCode.INTAKE_REQUIRED,
                           details={"field": "people", "public_ids": missing})
        waiting = [p for p in waiting if p.public_id in wanted]
    plan = assign.assign([engine_person(p, on) for p in waiting], state.cells, state.rules)
    events = []
    placed = {}
    for public_id, key in sorted(plan.placements.items()):
        building, cell = split_key(key)
        placed[public_id] = f"{building}/{cell}"
        events.append(NewEvent(
            type="housing.assigned", actor=actor, subject=public_id, facility=facility_code,
            party=state.facility.country, payload=HousingAssigned(
                public_id=public_id, facility_code=facility_code, building=building, cell=cell)))
    record_many(session, events)
    return HousingReport(placed, [
        {"public_id": u.person, "rule": SEPARATION_NUMBER[u.constraint.value],
         "constraint": u.constraint.value, "reason": u.reason} for u in plan.unplaced],
        plan.max_utilisation)


def move(session: Session, public_id: str, *, building: str, cell: str, reason: str, on: date,
         actor: str, may_override: bool, override_reason: str | None = None,
         party: str | None = None) -> HousingMoved:
    """move puts one person in another cell, under the same checks as every placement.

    A move that breaks a hard constraint is refused, unless an admin overrides it
    with a reason: the override and the rules it breaks go on the record.
    """
    missing = f"person {public_id!r} is not held at any facility"
    if party is not None:
        # Housing is the receiving state's act on a person of its agreement (§12.1).
        from habeas.custody.records import in_custody_of

        in_custody_of(session, public_id, party, act="moving a person", missing=missing)
    prisoner = session.get(Prisoner, public_id)
    if prisoner is None or prisoner.status not in PRESENT:
        raise NotFound(missing)
    if prisoner.status == "handed_over":
        raise Conflict(f"{public_id} must be taken in (intake) before being housed",
                       code=ErrorCode.INTAKE_REQUIRED)
    if not reason.strip():
        raise field_error("reason", "say why the person is moved")
    if (prisoner.building_code, prisoner.cell_code) == (building, cell):
        raise field_error("cell", f"{public_id} is already in {building}/{cell}")
    state = housing_state(session, prisoner.facility_code, on, [public_id])
    target = state.cell(building, cell)
    violations = assign.check_placement(engine_person(prisoner, on), target, state.cells,
                                        state.rules)
    override = None
    if violations:
        if not (override_reason and override_reason.strip()):
            raise separation_error(f"{public_id} → {building}/{cell}", violations)
        if not may_override:
            raise Forbidden("only an admin may override a separation rule",
                            details={"field": "override_reason",
                                     "violations": [r.model_dump() for r in broken(violations)]})
        override = Override(reason=override_reason.strip(), broken=broken(violations))
    payload = HousingMoved(public_id=public_id, facility_code=prisoner.facility_code,
                           from_building=prisoner.building_code, from_cell=prisoner.cell_code,
                           building=building, cell=cell, reason=reason.strip(),
                           override=override)
    record(session, NewEvent(type="housing.moved", actor=actor, subject=public_id,
                             facility=prisoner.facility_code, party=state.facility.country,
                             payload=payload))
    return payload


def open_non_association(session: Session, *, person_a: str, role_a: str, person_b: str,
                         role_b: str, level: str, reason: str, actor: str,
                         party: str | None = None) -> int:
    """open_non_association keeps two people apart from now on; they must not be together now.

    Two people already together at the level are refused: move one first, so
    no recorded constraint is ever broken silently.
    """
    if person_a == person_b:
        raise field_error("person_b", "a person cannot be kept apart from themselves")
    if level not in ("CELL", "BUILDING", "FACILITY"):
        raise field_error("level", "must be CELL, BUILDING or FACILITY")
    if not reason.strip():
        raise field_error("reason", "say why the two are kept apart")
    a, b = session.get(Prisoner, person_a), session.get(Prisoner, person_b)
    for field, who in (("person_a", a), ("person_b", b)):
        if who is None:
            raise field_error(field, "no such person in custody")
        if party is not None:
            # Both people must be held for the user's state under its agreements (§12.1);
            # another agreement's person reads as one who does not exist.
            from habeas.custody.records import in_custody_of

            try:
                in_custody_of(session, who.public_id, party, act="keeping people apart")
            except NotFound:
                raise field_error(field, "no such person in custody") from None
    assert a is not None and b is not None
    together = (a.facility_code == b.facility_code and (
        level == "FACILITY"
        or (level == "BUILDING" and a.building_code is not None
            and a.building_code == b.building_code)
        or (level == "CELL" and a.cell_code is not None
            and (a.building_code, a.cell_code) == (b.building_code, b.cell_code))))
    if together and a.status in PRESENT and b.status in PRESENT:
        raise Conflict(f"{SEPARATION_NUMBER['non_association']}: {person_a} and {person_b} are "
                       f"together at {level} level now; move one of them first",
                       code=ErrorCode.SEPARATION_VIOLATION,
                       details={"field": "level", "rule": SEPARATION_NUMBER["non_association"]})
    event = record(session, NewEvent(
        type="separation.non_association_opened", actor=actor, subject=person_a,
        facility=a.facility_code, payload=NonAssociationOpened(
            person_a=person_a, role_a=role_a.strip() or "unspecified", person_b=person_b,
            role_b=role_b.strip() or "unspecified", level=level,
            reason=reason.strip())))
    return event.seq


def close_non_association(session: Session, seq: int, *, reason: str, actor: str,
                          party: str | None = None) -> None:
    """close_non_association ends a non-association, with the reason on the record."""
    row = session.get(NonAssociation, seq)
    if row is None:
        raise NotFound(f"non-association {seq} not found")
    if party is not None:
        from habeas.custody.records import in_custody_of

        in_custody_of(session, row.person_a, party, act="ending a non-association",
                      missing=f"non-association {seq} not found")
    if row.status != "open":
        raise Conflict(f"non-association {seq} is already closed")
    if not reason.strip():
        raise field_error("reason", "say why the two no longer need to be kept apart")
    record(session, NewEvent(type="separation.non_association_closed", actor=actor,
                             subject=row.person_a, payload=NonAssociationClosed(
                                 non_association=seq, reason=reason.strip())))


def non_associations_of(session: Session, public_id: str) -> list[NonAssociation]:
    return list(session.scalars(select(NonAssociation).where(
        or_(NonAssociation.person_a == public_id, NonAssociation.person_b == public_id))
        .order_by(NonAssociation.seq)))


def occupants(session: Session, facility_code: str, building: str, cell: str) -> list[Prisoner]:
    return list(session.scalars(select(Prisoner).where(
        Prisoner.facility_code == facility_code, Prisoner.building_code == building,
        Prisoner.cell_code == cell, Prisoner.status.in_(PRESENT)).order_by(Prisoner.public_id)))
