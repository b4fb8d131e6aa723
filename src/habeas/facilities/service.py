"""Facility use cases: register a facility, add its buildings and cells, show its capacity."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements.schemas import FacilityInfo
from habeas.errors import Conflict, NotFound
from habeas.events import NewEvent, record
from habeas.facilities.capacity import CapacitySummary, summarise
from habeas.facilities.models import Building, Cell, Facility
from habeas.facilities.projections import BuildingsAdded, FacilityRegistered
from habeas.facilities.schemas import BuildingIn


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


def add_buildings(
    session: Session, facility_code: str, buildings: list[BuildingIn], *, actor: str
) -> None:
    """add_buildings adds new buildings with their cells to a registered facility."""
    facility = get_facility(session, facility_code)
    known = set(session.scalars(
        select(Building.code).where(Building.facility_code == facility_code)))
    clash = sorted(known & {b.code for b in buildings})
    if clash:
        raise Conflict(f"buildings: {facility_code} already has building(s) {', '.join(clash)}",
                       details={"field": "buildings", "codes": clash})
    record(session, NewEvent(
        type="facility.buildings_added",
        payload=BuildingsAdded(facility_code=facility_code, buildings=buildings),
        actor=actor, party=facility.country, facility=facility_code,
    ))


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


def capacity(session: Session, code: str) -> CapacitySummary:
    """capacity summarises facility CODE against the ICRC and CPT space standards."""
    facility = get_facility(session, code)
    areas = list(session.scalars(
        select(Cell.area_m2).where(Cell.facility_code == code, Cell.active.is_(True))))
    # Nobody is housed until the intake issue lands; population is then counted here.
    return summarise(facility.signed_capacity, population=0, cell_areas=areas)
