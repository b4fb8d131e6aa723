"""/api/v1/facilities — layouts, capacity against the standards, forecast, population, housing."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import Day, Seq
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.custody import service as custody
from habeas.db import utcnow
from habeas.errors import NotFound, field_error
from habeas.facilities import housing, service
from habeas.facilities.models import CapacityChange, Facility
from habeas.facilities.schemas import (
    CapacityOut,
    CellOut,
    FacilityOut,
    ForecastOut,
    Separation,
)
from habeas.nominations.service import Row

router = APIRouter(prefix="/facilities", tags=["facilities"])
Reader = Annotated[Principal, Depends(require(Action.READ_FACILITIES))]
Manager = Annotated[Principal, Depends(require(Action.MANAGE_FACILITIES))]
Requester = Annotated[Principal, Depends(require(Action.REQUEST_CAPACITY_CHANGE))]
Decider = Annotated[Principal, Depends(require(Action.DECIDE_CAPACITY_CHANGE))]
Importer = Annotated[Principal, Depends(require(Action.IMPORT_POPULATION))]
Houser = Annotated[Principal, Depends(require(Action.HOUSE))]
CustodyReader = Annotated[Principal, Depends(require(Action.READ_CUSTODY))]
MAX_POPULATION_BATCH = 5_000


def facility_out(db: ReadDB, facility: Facility) -> FacilityOut:
    return FacilityOut(
        code=facility.code, name=facility.name, country=facility.country,
        timezone=facility.timezone, address=facility.address, phone=facility.phone,
        buildings=service.building_count(db, facility.code),
        separation=Separation.model_validate(facility.separation or {}),
        capacity=CapacityOut(**asdict(service.capacity(db, facility.code))),
    )


def cell_out(view: service.CellView) -> CellOut:
    return CellOut(building=view.building, code=view.code, area_m2=view.area_m2, cna=view.cna,
                   working_capacity=view.working_capacity, max_capacity=view.max_capacity,
                   active=view.active, attributes=view.attributes, occupants=view.occupants,
                   utilisation=view.utilisation, space_per_person_m2=view.space_per_person_m2,
                   meets=view.meets)


@router.get("", responses=documented(401, 403))
def list_facilities(db: ReadDB, _: Reader) -> list[FacilityOut]:
    """Every facility with its capacity figures."""
    return [facility_out(db, f) for f in service.list_facilities(db)]


@router.get("/{code}", responses=documented(401, 403, 404))
def get_facility(code: str, db: ReadDB, _: Reader) -> FacilityOut:
    """One facility: signed capacity beside space per person and standard-compliant capacity."""
    return facility_out(db, service.get_facility(db, code))


class LoadOut(BaseModel):
    facility: str
    outcome: str
    buildings_added: int
    buildings_updated: int
    cells_added: int
    cells_updated: int


@router.put("/{code}", responses=documented(401, 403, 409, 422))
def load_facility(code: str, write: Writer, principal: Manager,
                  body: Annotated[dict[str, Any], Body(description="a facility file as JSON")]
                  ) -> LoadOut:
    """Register a facility or bring its layout up to date (all or nothing)."""
    doc = service.parse_facility(body)
    if doc.facility.code != code:
        raise field_error("facility.code", f"is {doc.facility.code!r}, the address says {code!r}")
    with write() as db:
        return LoadOut(**asdict(service.load_facility(db, doc, actor=principal.actor)))


@router.get("/{code}/cells", responses=documented(401, 403, 404))
def list_cells(code: str, db: ReadDB, _: Reader,
               building: Annotated[str | None, Query(max_length=64)] = None) -> list[CellOut]:
    """Cells with occupancy, utilisation and space per person against ICRC and CPT."""
    service.get_facility(db, code)
    return [cell_out(v) for v in service.cells(db, code, building)]


class OccupantOut(BaseModel):
    public_id: str
    kind: str
    sex: str
    legal_status: str
    affiliation_group: str | None
    affiliation_basis: str
    security_level: str | None


class CellDetail(BaseModel):
    cell: CellOut
    occupants: list[OccupantOut]
    non_associations: list[dict[str, Any]]


@router.get("/{code}/cells/{building}/{cell}", responses=documented(401, 403, 404))
def get_cell(code: str, building: str, cell: str, db: ReadDB,
             principal: CustodyReader) -> CellDetail:
    """Who is in a cell (opaque ids, no names) and the non-associations that bind them."""
    views = [v for v in service.cells(db, code, building) if v.code == cell]
    if not views:
        raise NotFound(f"cell {building}/{cell} not found in {code}")
    people = housing.occupants(db, code, building, cell)
    if principal.scope is not None:
        people = [p for p in people if p.legal_custodian == principal.scope]
    binding = [n for p in people for n in housing.non_associations_of(db, p.public_id)
               if n.status == "open"]
    return CellDetail(
        cell=cell_out(views[0]),
        occupants=[OccupantOut.model_validate(p, from_attributes=True) for p in people],
        non_associations=[{"seq": n.seq, "person_a": n.person_a, "person_b": n.person_b,
                           "level": n.level, "reason": n.reason}
                          for n in {n.seq: n for n in binding}.values()])


@router.get("/{code}/forecast", responses=documented(401, 403, 404, 422))
def get_forecast(code: str, db: ReadDB, _: Reader,
                 on: Annotated[Day | None, Query(description="default today")] = None
                 ) -> ForecastOut:
    """Free places on a date: signed capacity − population + departures − arrivals."""
    f = service.forecast(db, code, on or utcnow().date())
    return ForecastOut(facility=f.facility, on=f.on.isoformat(),
                       signed_capacity=f.signed_capacity, population=f.population,
                       scheduled_arrivals=f.scheduled_arrivals,
                       scheduled_departures=f.scheduled_departures, free_places=f.free_places)


class CapacityChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int = Field(ge=1, le=1_000_000)
    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: str = Field(min_length=1, max_length=500)


class CapacityChangeOut(BaseModel):
    seq: int
    facility_code: str
    previous_capacity: int
    requested_capacity: int
    reason: str
    requested_by: str
    status: str
    decided_by: str | None
    decision_reason: str | None


@router.get("/{code}/capacity-changes", responses=documented(401, 403, 404))
def list_capacity_changes(code: str, db: ReadDB, _: Reader) -> list[CapacityChangeOut]:
    """Every request to change the signed capacity, who asked and who decided."""
    service.get_facility(db, code)
    return [CapacityChangeOut.model_validate(c, from_attributes=True)
            for c in service.capacity_changes(db, code)]


@router.post("/{code}/capacity-changes", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def request_capacity_change(code: str, body: CapacityChangeIn, write: Writer,
                            principal: Requester) -> CapacityChangeOut:
    """Ask for a new signed capacity; a second person (an admin) must decide it."""
    with write() as db:
        seq = service.request_capacity_change(db, code, body.capacity, body.reason,
                                              actor=principal.actor,
                                              party=principal.party_code)
        return CapacityChangeOut.model_validate(db.get_one(CapacityChange, seq),
                                                from_attributes=True)


@router.post("/{code}/capacity-changes/{seq}/decision",
             responses=documented(401, 403, 404, 409, 422))
def decide_capacity_change(code: str, seq: Seq, body: DecisionIn, write: Writer,
                           principal: Decider) -> CapacityChangeOut:
    """Approve or refuse a pending capacity change (never by the person who asked)."""
    with write() as db:
        change = service.decide_capacity_change(db, seq, approve=body.approve,
                                                reason=body.reason, actor=principal.actor)
        return CapacityChangeOut.model_validate(change, from_attributes=True)


class AdmissionOut(BaseModel):
    line: int
    local_ref: str | None
    outcome: Literal["admitted", "unchanged", "invalid"]
    public_id: str | None
    cell: str | None
    errors: list[dict[str, str]]


@router.post("/{code}/population", responses=documented(401, 403, 404, 422))
def import_population(code: str, write: Writer, principal: Importer,
                      body: Annotated[list[dict[str, Any]],
                                      Body(description="domestic prisoners, one object each")]
                      ) -> list[AdmissionOut]:
    """Admit domestic prisoners; a bad row is reported and the others still go in."""
    if len(body) > MAX_POPULATION_BATCH:
        raise field_error("body", f"at most {MAX_POPULATION_BATCH} people per request")
    with write() as db:
        service.get_facility(db, code)
        results = custody.import_population(
            db, code, [Row(i + 1, item) for i, item in enumerate(body)],
            actor=principal.actor, on=utcnow().date(), party=principal.party_code)
        return [AdmissionOut.model_validate(r.as_dict()) for r in results]


class HouseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    people: list[str] | None = Field(default=None, max_length=10_000,
                                     description="default: everyone taken in and waiting")


class HousingOut(BaseModel):
    placed: dict[str, str]
    unplaced: list[dict[str, str]]
    max_utilisation: float


@router.post("/{code}/housing", responses=documented(401, 403, 404, 409, 422))
def house_group(code: str, body: HouseIn, write: Writer, principal: Houser) -> HousingOut:
    """Place a whole arriving group at once under every separation rule, balancing occupancy."""
    with write() as db:
        report = housing.house(db, code, on=utcnow().date(), actor=principal.actor,
                               public_ids=body.people, party=principal.party_code)
        return HousingOut(placed=report.placed, unplaced=report.unplaced,
                          max_utilisation=report.max_utilisation)
