"""How facility events change the facility tables. The only writer of those tables."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.agreements.schemas import FacilityInfo
from habeas.events import EventFacts, projector
from habeas.facilities.models import Building, Cell, Facility
from habeas.facilities.schemas import BuildingIn


class FacilityRegistered(BaseModel):
    facility: FacilityInfo


class BuildingsAdded(BaseModel):
    facility_code: str
    buildings: list[BuildingIn]


@projector("facility.registered", FacilityRegistered)
def apply_facility_registered(session: Session, p: FacilityRegistered, event: EventFacts) -> None:
    f = p.facility
    session.add(Facility(
        code=f.code, name=f.name, country=f.country, timezone=f.timezone,
        address=f.address, phone=f.phone, signed_capacity=f.signed_capacity,
    ))


@projector("facility.buildings_added", BuildingsAdded)
def apply_buildings_added(session: Session, p: BuildingsAdded, event: EventFacts) -> None:
    for building in p.buildings:
        session.add(Building(facility_code=p.facility_code, code=building.code,
                             name=building.name))
    session.flush()
    session.add_all(
        Cell(facility_code=p.facility_code, building_code=building.code, code=cell.code,
             area_m2=cell.area_m2, cna=cell.cna, working_capacity=cell.working_capacity,
             max_capacity=cell.max_capacity, active=True)
        for building in p.buildings
        for cell in building.cells
    )
