"""How facility, separation and housing events change state. The only writer of the facility,
capacity-change and non-association tables, and of where a prisoner is housed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from habeas.agreements.schemas import FacilityInfo
from habeas.custody.models import Prisoner
from habeas.events import EventFacts, projector, stage, staged
from habeas.facilities.models import Building, CapacityChange, Cell, Facility, NonAssociation
from habeas.facilities.schemas import Attributes, BuildingIn, CellIn, Separation


class FacilityRegistered(BaseModel):
    facility: FacilityInfo
    separation: Separation = Separation()


class FacilityUpdated(BaseModel):
    """FacilityUpdated: new details and separation; never the signed capacity (FAC-005)."""

    facility: FacilityInfo
    separation: Separation


class BuildingChange(BaseModel):
    code: str
    name: str
    sex: Literal["M", "F"] | None
    attributes: Attributes


class PlacedCell(BaseModel):
    building: str
    cell: CellIn


class LayoutChanged(BaseModel):
    facility_code: str
    buildings_added: list[BuildingIn] = []
    buildings_updated: list[BuildingChange] = []
    cells_added: list[PlacedCell] = []
    cells_updated: list[PlacedCell] = []


class CapacityChangeRequested(BaseModel):
    facility_code: str
    previous_capacity: int
    requested_capacity: int = Field(ge=1)
    reason: str


class CapacityChangeDecided(BaseModel):
    request_seq: int
    facility_code: str
    approved: bool
    capacity: int
    reason: str


class NonAssociationOpened(BaseModel):
    person_a: str
    role_a: str
    person_b: str
    role_b: str
    level: Literal["CELL", "BUILDING", "FACILITY"]
    reason: str


class NonAssociationClosed(BaseModel):
    non_association: int
    reason: str


class BrokenRule(BaseModel):
    rule: str
    constraint: str
    message: str


class Override(BaseModel):
    """Override: an admin's recorded decision to place someone despite broken rules."""

    reason: str
    broken: list[BrokenRule]


class HousingAssigned(BaseModel):
    public_id: str
    facility_code: str
    building: str
    cell: str
    override: Override | None = None


class HousingMoved(BaseModel):
    public_id: str
    facility_code: str
    from_building: str | None
    from_cell: str | None
    building: str
    cell: str
    reason: str
    override: Override | None = None


def _set_facility_details(row: Facility, info: FacilityInfo, separation: Separation) -> None:
    row.name, row.country, row.timezone = info.name, info.country, info.timezone
    row.address, row.phone = info.address, info.phone
    row.separation = separation.model_dump(mode="json")


@projector("facility.registered", FacilityRegistered)
def apply_facility_registered(session: Session, p: FacilityRegistered, event: EventFacts) -> None:
    row = Facility(code=p.facility.code, signed_capacity=p.facility.signed_capacity)
    _set_facility_details(row, p.facility, p.separation)
    stage(session, row, p.facility.code)


@projector("facility.updated", FacilityUpdated)
def apply_facility_updated(session: Session, p: FacilityUpdated, event: EventFacts) -> None:
    row = staged(session, Facility, p.facility.code)
    assert row is not None, "a facility is registered before it is updated"
    _set_facility_details(row, p.facility, p.separation)


def _new_cell(facility: str, building: str, cell: CellIn) -> Cell:
    return Cell(facility_code=facility, building_code=building, code=cell.code,
                area_m2=cell.area_m2, cna=cell.cna, working_capacity=cell.working_capacity,
                max_capacity=cell.max_capacity, active=cell.active,
                attributes=dict(cell.attributes))


@projector("facility.layout_changed", LayoutChanged)
def apply_layout_changed(session: Session, p: LayoutChanged, event: EventFacts) -> None:
    session.flush()  # a facility registered earlier in the batch goes first (foreign keys)
    for b in p.buildings_added:
        session.add(Building(facility_code=p.facility_code, code=b.code, name=b.name, sex=b.sex,
                             attributes=dict(b.attributes)))
    for change in p.buildings_updated:
        building = session.get_one(Building, (p.facility_code, change.code))
        building.name, building.sex = change.name, change.sex
        building.attributes = dict(change.attributes)
    session.flush()  # cells refer to their building
    session.add_all(_new_cell(p.facility_code, b.code, c) for b in p.buildings_added
                    for c in b.cells)
    session.add_all(_new_cell(p.facility_code, placed.building, placed.cell)
                    for placed in p.cells_added)
    for placed in p.cells_updated:
        cell = session.get_one(Cell, (p.facility_code, placed.building, placed.cell.code))
        new = placed.cell
        cell.area_m2, cell.cna = new.area_m2, new.cna
        cell.working_capacity, cell.max_capacity = new.working_capacity, new.max_capacity
        cell.active, cell.attributes = new.active, dict(new.attributes)


@projector("facility.capacity_change_requested", CapacityChangeRequested)
def apply_capacity_requested(session: Session, p: CapacityChangeRequested,
                             event: EventFacts) -> None:
    stage(session, CapacityChange(
        seq=event.seq, facility_code=p.facility_code, previous_capacity=p.previous_capacity,
        requested_capacity=p.requested_capacity, reason=p.reason, requested_by=event.actor,
        requested_at=event.recorded_at, status="pending", decided_by=None, decided_at=None,
        decision_reason=None), event.seq)


@projector("facility.capacity_change_decided", CapacityChangeDecided)
def apply_capacity_decided(session: Session, p: CapacityChangeDecided, event: EventFacts) -> None:
    change = staged(session, CapacityChange, p.request_seq)
    assert change is not None, "a capacity change is requested before it is decided"
    change.status = "approved" if p.approved else "refused"
    change.decided_by, change.decided_at = event.actor, event.recorded_at
    change.decision_reason = p.reason
    if p.approved:
        facility = staged(session, Facility, p.facility_code)
        assert facility is not None
        facility.signed_capacity = p.capacity


@projector("separation.non_association_opened", NonAssociationOpened)
def apply_non_association_opened(session: Session, p: NonAssociationOpened,
                                 event: EventFacts) -> None:
    stage(session, NonAssociation(
        seq=event.seq, person_a=p.person_a, role_a=p.role_a, person_b=p.person_b,
        role_b=p.role_b, level=p.level, reason=p.reason, opened_by=event.actor, status="open",
        closed_reason=None), event.seq)


@projector("separation.non_association_closed", NonAssociationClosed)
def apply_non_association_closed(session: Session, p: NonAssociationClosed,
                                 event: EventFacts) -> None:
    row = staged(session, NonAssociation, p.non_association)
    assert row is not None
    row.status, row.closed_reason = "closed", p.reason


def _house(session: Session, public_id: str, building: str, cell: str) -> None:
    prisoner = staged(session, Prisoner, public_id)
    assert prisoner is not None, "a person is admitted before being housed"
    prisoner.building_code, prisoner.cell_code = building, cell
    if prisoner.status == "taken_in":
        prisoner.status = "in_custody"


@projector("housing.assigned", HousingAssigned)
def apply_housing_assigned(session: Session, p: HousingAssigned, event: EventFacts) -> None:
    _house(session, p.public_id, p.building, p.cell)


@projector("housing.moved", HousingMoved)
def apply_housing_moved(session: Session, p: HousingMoved, event: EventFacts) -> None:
    _house(session, p.public_id, p.building, p.cell)
