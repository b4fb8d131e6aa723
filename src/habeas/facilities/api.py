"""/api/v1/facilities — facilities and their capacity against the standards."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from habeas.api.deps import ReadDB, require
from habeas.api.errors import documented
from habeas.auth.permissions import Action
from habeas.auth.service import Principal
from habeas.facilities import service
from habeas.facilities.models import Facility
from habeas.facilities.schemas import CapacityOut, FacilityOut

router = APIRouter(prefix="/facilities", tags=["facilities"])
Reader = Annotated[Principal, Depends(require(Action.READ_FACILITIES))]


def facility_out(db: ReadDB, facility: Facility) -> FacilityOut:
    return FacilityOut(
        code=facility.code, name=facility.name, country=facility.country,
        timezone=facility.timezone, address=facility.address, phone=facility.phone,
        buildings=service.building_count(db, facility.code),
        capacity=CapacityOut(**asdict(service.capacity(db, facility.code))),
    )


@router.get("", responses=documented(401, 403))
def list_facilities(db: ReadDB, _: Reader) -> list[FacilityOut]:
    """Every facility with its capacity figures."""
    return [facility_out(db, f) for f in service.list_facilities(db)]


@router.get("/{code}", responses=documented(401, 403, 404))
def get_facility(code: str, db: ReadDB, _: Reader) -> FacilityOut:
    """One facility: signed capacity beside space per person and standard-compliant capacity."""
    return facility_out(db, service.get_facility(db, code))
