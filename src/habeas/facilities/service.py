"""Facility use cases: register and load layouts, change signed capacity by approval,
show occupancy and capacity against the standards, forecast free places."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.agreements.schemas import FacilityInfo
from habeas.custody.models import Prisoner
from habeas.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    NotFound,
    ValidationFailed,
    field_error,
)
from habeas.events import NewEvent, record, record_many
from habeas.facilities import capacity as standards
from habeas.facilities.capacity import CapacitySummary, CellLoad, summarise
from habeas.facilities.models import Building, CapacityChange, Cell, Facility
from habeas.facilities.projections import (
    BuildingChange,
    CapacityChangeDecided,
    CapacityChangeRequested,
    FacilityRegistered,
    FacilityUpdated,
    LayoutChanged,
    PlacedCell,
)
from habeas.facilities.rules import FACILITY_NUMBER, SEPARATION_NUMBER
from habeas.facilities.schemas import BuildingIn, CellIn, FacilityFile, Separation
from habeas.nominations.models import NominationRecord
from habeas.validation import parse_or_422

# People physically at a facility (DESIGN.md §3): handed over, taken in, housed, or held
# there awaiting a court-ordered return.
PRESENT = ("handed_over", "taken_in", "in_custody", "return_required")
# Accepted people not yet handed over hold a booked place (DESIGN.md §7).
BOOKED = ("accepted", "in_transit")


def rule_error(code: ErrorCode, message: str, **details: Any) -> ValidationFailed:
    """rule_error is a breach of a numbered facility rule: 422, its number first."""
    number = FACILITY_NUMBER[code]
    return ValidationFailed(f"{number}: {message}", code=code,
                            details={"rule": number, **details})


def ensure_registered(session: Session, info: FacilityInfo, *, actor: str) -> bool:
    """ensure_registered registers facility INFO unless its code is known; True if it was new.

    A known facility keeps its recorded details: its signed capacity changes
    only through an approval, never by re-registering (DESIGN.md §7).
    """
    if session.get(Facility, info.code) is not None:
        return False
    record(session, NewEvent(
        type="facility.registered", payload=FacilityRegistered(facility=info),
        actor=actor, party=info.country, facility=info.code,
    ))
    return True


def parse_facility_file(path: Path) -> FacilityFile:
    """parse_facility_file reads a TOML or JSON facility file, naming the first bad key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise field_error("file", f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise field_error("file", f"{path.name} is not valid "
                          f"{'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}"
                          ) from None
    return parse_facility(data)


def parse_facility(data: object) -> FacilityFile:
    return parse_or_422(FacilityFile, data)


def _check_cell(building: str, cell: CellIn, occupants: int) -> None:
    where = f"buildings.{building}.cells.{cell.code}"
    if cell.area_m2 <= 0:
        raise rule_error(ErrorCode.AREA_NOT_POSITIVE,
                         f"{where}: area_m2 is {cell.area_m2}; a cell's floor area must be "
                         "more than 0 m²", field=f"{where}.area_m2")
    if cell.working_capacity > cell.max_capacity:
        raise rule_error(ErrorCode.WORKING_ABOVE_MAX,
                         f"{where}: working capacity {cell.working_capacity} exceeds max "
                         f"capacity {cell.max_capacity}", field=f"{where}.working_capacity")
    if cell.max_capacity < occupants:
        raise rule_error(ErrorCode.MAX_BELOW_OCCUPANCY,
                         f"{where}: max capacity {cell.max_capacity} is below the "
                         f"{occupants} people in the cell", field=f"{where}.max_capacity")
    if not cell.active and occupants:
        raise rule_error(ErrorCode.OCCUPIED_CELL_DEACTIVATED,
                         f"{where}: {occupants} people are in the cell; move them before "
                         "deactivating it", field=f"{where}.active")


def _cell_in(cell: Cell) -> CellIn:
    return CellIn(code=cell.code, area_m2=cell.area_m2, cna=cell.cna,
                  working_capacity=cell.working_capacity, max_capacity=cell.max_capacity,
                  active=cell.active, attributes=cell.attributes)


@dataclass(frozen=True)
class LoadReport:
    facility: str
    outcome: str  # registered | updated | unchanged
    buildings_added: int = 0
    buildings_updated: int = 0
    cells_added: int = 0
    cells_updated: int = 0


def load_facility(session: Session, doc: FacilityFile, *, actor: str) -> LoadReport:
    """load_facility registers a facility or brings its layout up to the file, all or nothing.

    Cells are added and changed, never removed (a cell out of use is deactivated,
    which FAC-003 refuses while people are in it). The signed capacity in the file
    must equal the recorded one: it changes only by approval (FAC-005).
    """
    info = doc.facility
    existing = session.get(Facility, info.code)
    occupancy = occupancy_by_cell(session, info.code) if existing else {}
    for building in doc.buildings:
        for cell in building.cells:
            _check_cell(building.code, cell, occupancy.get((building.code, cell.code), 0))
    _check_building_sexes(session, info.code, doc.buildings)
    events: list[NewEvent] = []
    new = existing is None
    if existing is None:
        events.append(NewEvent(type="facility.registered", actor=actor, party=info.country,
                               facility=info.code, payload=FacilityRegistered(
                                   facility=info, separation=doc.separation)))
    else:
        if existing.signed_capacity != info.signed_capacity:
            raise rule_error(
                ErrorCode.SIGNED_CAPACITY_NEEDS_APPROVAL,
                f"facility.signed_capacity: the file says {info.signed_capacity}, the record "
                f"{existing.signed_capacity}; request a change and have it approved",
                field="facility.signed_capacity")
        if _details(existing) != (info, doc.separation):
            events.append(NewEvent(type="facility.updated", actor=actor, party=info.country,
                                   facility=info.code, payload=FacilityUpdated(
                                       facility=info, separation=doc.separation)))
    layout = _layout_change(session, info.code, doc.buildings)
    if layout is not None:
        events.append(NewEvent(type="facility.layout_changed", actor=actor, party=info.country,
                               facility=info.code, payload=layout))
    if not events:
        return LoadReport(info.code, "unchanged")
    record_many(session, events)
    return LoadReport(
        info.code, "registered" if new else "updated",
        buildings_added=len(layout.buildings_added) if layout else 0,
        buildings_updated=len(layout.buildings_updated) if layout else 0,
        cells_added=(len(layout.cells_added) + sum(len(b.cells) for b in layout.buildings_added)
                     if layout else 0),
        cells_updated=len(layout.cells_updated) if layout else 0)


def _details(row: Facility) -> tuple[FacilityInfo, Separation]:
    return (FacilityInfo(code=row.code, name=row.name, country=row.country,
                         timezone=row.timezone, address=row.address, phone=row.phone,
                         signed_capacity=row.signed_capacity),
            Separation.model_validate(row.separation or {}))


def _check_building_sexes(session: Session, facility: str, buildings: list[BuildingIn]) -> None:
    """A building designated for one sex may not already hold people of another (SEP-002)."""
    for building in buildings:
        if building.sex is None:
            continue
        others = session.scalar(select(func.count()).select_from(Prisoner).where(
            Prisoner.facility_code == facility, Prisoner.building_code == building.code,
            Prisoner.status.in_(PRESENT), Prisoner.sex != building.sex)) or 0
        if others:
            raise Conflict(
                f"{SEPARATION_NUMBER['sex']}: buildings.{building.code}.sex: {others} people of "
                f"another sex are housed there; move them first",
                code=ErrorCode.SEPARATION_VIOLATION,
                details={"field": f"buildings.{building.code}.sex",
                         "rule": SEPARATION_NUMBER["sex"]})


def _layout_change(session: Session, facility: str, buildings: list[BuildingIn]
                   ) -> LayoutChanged | None:
    known_buildings = {b.code: b for b in session.scalars(
        select(Building).where(Building.facility_code == facility))}
    known_cells = {(c.building_code, c.code): c for c in session.scalars(
        select(Cell).where(Cell.facility_code == facility))}
    change = LayoutChanged(facility_code=facility)
    for building in buildings:
        known = known_buildings.get(building.code)
        if known is None:
            change.buildings_added.append(building)
            continue
        if (known.name, known.sex, known.attributes) != (building.name, building.sex,
                                                         dict(building.attributes)):
            change.buildings_updated.append(BuildingChange(
                code=building.code, name=building.name, sex=building.sex,
                attributes=building.attributes))
        for cell in building.cells:
            old = known_cells.get((building.code, cell.code))
            if old is None:
                change.cells_added.append(PlacedCell(building=building.code, cell=cell))
            elif _cell_in(old) != cell:
                change.cells_updated.append(PlacedCell(building=building.code, cell=cell))
    if not (change.buildings_added or change.buildings_updated or change.cells_added
            or change.cells_updated):
        return None
    return change


def get_facility(session: Session, code: str) -> Facility:
    """get_facility returns facility CODE or raises NotFound."""
    facility = session.get(Facility, code)
    if facility is None:
        raise NotFound(f"facility {code!r} not found")
    return facility


def list_facilities(session: Session) -> list[Facility]:
    """list_facilities returns every facility by code."""
    return list(session.scalars(select(Facility).order_by(Facility.code)))


def building_count(session: Session, code: str) -> int:
    """building_count is the number of buildings of facility CODE."""
    return session.scalar(
        select(func.count()).select_from(Building).where(Building.facility_code == code)) or 0


def occupancy_by_cell(session: Session, code: str) -> dict[tuple[str, str], int]:
    """occupancy_by_cell: how many people are in each (building, cell) of facility CODE."""
    rows = session.execute(
        select(Prisoner.building_code, Prisoner.cell_code, func.count())
        .where(Prisoner.facility_code == code, Prisoner.status.in_(PRESENT),
               Prisoner.cell_code.is_not(None))
        .group_by(Prisoner.building_code, Prisoner.cell_code))
    return {(b, c): n for b, c, n in rows if b is not None and c is not None}


def population(session: Session, code: str) -> int:
    """population: everyone physically at facility CODE, housed or not."""
    return session.scalar(select(func.count()).select_from(Prisoner).where(
        Prisoner.facility_code == code, Prisoner.status.in_(PRESENT))) or 0


@dataclass(frozen=True)
class CellView:
    """CellView is a cell with its people counted and its space judged against the standards."""

    building: str
    code: str
    area_m2: float
    cna: int
    working_capacity: int
    max_capacity: int
    active: bool
    attributes: dict[str, Any]
    occupants: int

    @property
    def utilisation(self) -> float | None:
        return self.occupants / self.max_capacity if self.max_capacity else None

    @property
    def space_per_person_m2(self) -> float | None:
        return standards.space_per_person(self.area_m2, self.occupants)

    @property
    def meets(self) -> dict[str, bool]:
        return {s.name: standards.meets(self.area_m2, self.occupants, s)
                for s in standards.STANDARDS}


def cells(session: Session, code: str, building: str | None = None) -> list[CellView]:
    """cells lists the cells of facility CODE (or one building) with their occupancy."""
    counts = occupancy_by_cell(session, code)
    query = select(Cell).where(Cell.facility_code == code)
    if building is not None:
        query = query.where(Cell.building_code == building)
    return [CellView(c.building_code, c.code, c.area_m2, c.cna, c.working_capacity,
                     c.max_capacity, c.active, c.attributes,
                     counts.get((c.building_code, c.code), 0))
            for c in session.scalars(query.order_by(Cell.building_code, Cell.code))]


def capacity(session: Session, code: str) -> CapacitySummary:
    """capacity summarises facility CODE against the ICRC and CPT space standards."""
    facility = get_facility(session, code)
    views = [v for v in cells(session, code) if v.active]
    # People handed over but not yet in a cell are part of the population too.
    return summarise(facility.signed_capacity,
                     [CellLoad(v.area_m2, v.occupants, v.max_capacity) for v in views],
                     population=population(session, code))


@dataclass(frozen=True)
class Forecast:
    facility: str
    on: date
    signed_capacity: int
    population: int
    scheduled_arrivals: int
    scheduled_departures: int

    @property
    def free_places(self) -> int:
        return standards.forecast_free_places(self.signed_capacity, self.population,
                                              self.scheduled_departures,
                                              self.scheduled_arrivals)


def forecast(session: Session, code: str, on: date) -> Forecast:
    """forecast: free places at facility CODE on date ON (DESIGN.md §7).

    Every accepted person not yet handed over holds a booked place whatever
    their date (a booking is kept until it is used or released); people whose
    release date falls on or before ON leave a place (docs/adr/0009).
    """
    facility = get_facility(session, code)
    agreements = select(Agreement.ref).where(Agreement.facility_code == code)
    arrivals = session.scalar(select(func.count()).select_from(NominationRecord).where(
        NominationRecord.agreement_ref.in_(agreements),
        NominationRecord.status.in_(BOOKED))) or 0
    departures = session.scalar(select(func.count()).select_from(Prisoner).where(
        Prisoner.facility_code == code, Prisoner.status.in_(PRESENT),
        Prisoner.release_date.is_not(None), Prisoner.release_date <= on)) or 0
    return Forecast(code, on, facility.signed_capacity, population(session, code),
                    scheduled_arrivals=arrivals, scheduled_departures=departures)


def require_operator(facility: Facility, party: str | None, *, act: str) -> None:
    """require_operator: ACT on FACILITY belongs to the state that runs it (its country;
    DESIGN.md §12.1: housing and custody are the receiving state's). None — the operator
    or an admin, whose role the permission table already limits — passes. The facility
    is shared and readable by every staff role, so another state is told it is the wrong
    party (403), not that the facility does not exist."""
    if party is not None and party != facility.country:
        raise Forbidden(f"{act} at {facility.code} belongs to {facility.country}, the state "
                        f"that runs it, not to {party}", code=ErrorCode.WRONG_PARTY,
                        details={"facility": facility.code, "owner": facility.country})


def request_capacity_change(session: Session, code: str, capacity: int, reason: str, *,
                            actor: str, party: str | None = None) -> int:
    """request_capacity_change files a change of signed capacity for a second person to decide."""
    facility = get_facility(session, code)
    require_operator(facility, party, act="requesting a capacity change")
    if not reason.strip():
        raise field_error("reason", "say why the signed capacity should change")
    if capacity < 1:
        raise field_error("capacity", "must be at least 1")
    if capacity == facility.signed_capacity:
        raise field_error("capacity", f"the signed capacity is already {capacity}")
    pending = session.scalar(select(CapacityChange.seq).where(
        CapacityChange.facility_code == code, CapacityChange.status == "pending"))
    if pending is not None:
        raise Conflict(f"capacity change {pending} for {code} is still pending; decide it first")
    event = record(session, NewEvent(
        type="facility.capacity_change_requested", actor=actor, facility=code,
        party=facility.country, payload=CapacityChangeRequested(
            facility_code=code, previous_capacity=facility.signed_capacity,
            requested_capacity=capacity, reason=reason.strip())))
    return event.seq


def decide_capacity_change(session: Session, seq: int, *, approve: bool, reason: str,
                           actor: str) -> CapacityChange:
    """decide_capacity_change approves or refuses a pending request; never its requester's."""
    change = session.get(CapacityChange, seq)
    if change is None:
        raise NotFound(f"capacity change {seq} not found")
    if change.status != "pending":
        raise Conflict(f"capacity change {seq} was already {change.status}")
    if change.requested_by == actor:
        raise Forbidden(f"FAC-006: {actor} requested capacity change {seq}; another person "
                        "must decide it", code=ErrorCode.SAME_PERSON_APPROVAL,
                        details={"rule": "FAC-006"})
    if not reason.strip():
        raise field_error("reason", "say why the change is approved or refused")
    if approve and change.requested_capacity < population(session, change.facility_code):
        raise field_error("capacity", "the requested capacity is below today's population")
    facility = get_facility(session, change.facility_code)
    record(session, NewEvent(
        type="facility.capacity_change_decided", actor=actor, facility=facility.code,
        party=facility.country, payload=CapacityChangeDecided(
            request_seq=seq, facility_code=facility.code, approved=approve,
            capacity=change.requested_capacity, reason=reason.strip())))
    return change


def capacity_changes(session: Session, code: str) -> Sequence[CapacityChange]:
    return list(session.scalars(select(CapacityChange).where(
        CapacityChange.facility_code == code).order_by(CapacityChange.seq.desc())))
