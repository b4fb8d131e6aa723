"""/api/v1/people, /non-associations, /alerts — people in custody, intake, moves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import Offset, Seq
from habeas.auth import audit
from habeas.auth.models import Role
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.custody import service
from habeas.custody.models import Prisoner
from habeas.custody.schemas import IntakeIn
from habeas.db import utcnow
from habeas.facilities import housing
from habeas.validation import parse_or_422

router = APIRouter(tags=["custody"])
Reader = Annotated[Principal, Depends(require(Action.READ_CUSTODY))]
FileReader = Annotated[Principal, Depends(require(Action.READ_PERSON_FILE))]
IntakeOfficer = Annotated[Principal, Depends(require(Action.RECORD_INTAKE))]
Houser = Annotated[Principal, Depends(require(Action.HOUSE))]
Separator = Annotated[Principal, Depends(require(Action.MANAGE_SEPARATION))]
AlertReader = Annotated[Principal, Depends(require(Action.READ_ALERTS))]


class PersonOut(BaseModel):
    public_id: str
    facility_code: str
    kind: str
    local_ref: str
    family_name: str
    given_names: str
    date_of_birth: date
    sex: str
    legal_status: str
    affiliation_group: str | None
    affiliation_basis: str
    affiliation_source: str | None
    security_level: str | None
    legal_custodian: str
    physical_custodian: str
    status: str
    building_code: str | None
    cell_code: str | None
    admitted_on: date
    release_date: date | None


class PersonDetail(PersonOut):
    intake: dict[str, Any] | None
    non_associations: list[dict[str, Any]]


@router.get("/people", responses=documented(401, 403, 422))
def list_people(
    db: ReadDB, principal: Reader,
    facility: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(
        pattern="^(handed_over|taken_in|in_custody|return_required|returning|released|"
                "returned|escaped|died)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[PersonOut]:
    """People held, by id (a sending state sees only those in its legal custody)."""
    people = service.people_held(db, scope=principal.scope, facility=facility, status=status,
                                 limit=limit, offset=offset)
    return [PersonOut.model_validate(p, from_attributes=True) for p in people]


def _intake_dict(db: Any, public_id: str) -> dict[str, Any] | None:
    intake = service.latest_intake(db, public_id)
    if intake is None:
        return None
    return {c: getattr(intake, c) for c in (
        "seq", "recorded_at", "officer", "document_checked", "biometric_match",
        "visible_injuries", "ill_treatment_complaint", "property_items", "contacts",
        "language", "medical_flags", "security_level", "affiliation", "do_not_notify",
        "do_not_notify_consulate")}


@router.get("/people/{public_id}", responses=documented(401, 403, 404))
def get_person(public_id: str, write: Writer, principal: FileReader) -> PersonDetail:
    """One person's custody file (counsel: a client of record); the read is logged
    (Mandela Rule 9)."""
    with write() as db:
        prisoner = service.get_file(db, public_id, principal)
        audit.record_read(db, principal, kind="prisoner", record_id=public_id, channel="api",
                         purpose="custody file")
        return PersonDetail.model_validate({
            **PersonOut.model_validate(prisoner, from_attributes=True).model_dump(),
            "intake": _intake_dict(db, public_id),
            "non_associations": [
                {"seq": n.seq, "person_a": n.person_a, "role_a": n.role_a,
                 "person_b": n.person_b, "role_b": n.role_b, "level": n.level,
                 "reason": n.reason, "status": n.status}
                for n in housing.non_associations_of(db, public_id)]})


class IntakeOut(BaseModel):
    public_id: str
    seq: int
    biometric_match: bool | None
    status: str


@router.post("/people/{public_id}/intake", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def record_intake(public_id: str, write: Writer, principal: IntakeOfficer,
                  body: Annotated[dict[str, Any], Body(description="the Rule 7 record")],
                  at: Annotated[AwareDatetime | None, Query()] = None,
                  late_reason: Annotated[str | None, Query(
                      min_length=1, max_length=500,
                      description="why the intake is recorded past its late window; public, "
                      "in the ledger leaf: name no person")] = None,
                  ) -> IntakeOut:
    """Take a handed-over person in: identity verified, injuries, property, contacts, class."""
    intake = parse_or_422(IntakeIn, body)
    with write() as db:
        record = service.record_intake(db, public_id, intake, officer=principal.display_name,
                                       actor=principal.actor, party=principal.party_code,
                                       at=at or utcnow(),
                                       late_reason=late_reason)
        prisoner = db.get_one(Prisoner, public_id)
        return IntakeOut(public_id=public_id, seq=record.seq,
                         biometric_match=record.biometric_match, status=prisoner.status)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    building: str = Field(min_length=1, max_length=64)
    cell: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)
    override_reason: str | None = Field(default=None, max_length=500, description=(
        "admin only: place despite the separation rules named in the refusal"))


class MoveOut(BaseModel):
    public_id: str
    from_cell: str | None
    to_cell: str
    override: dict[str, Any] | None


@router.post("/people/{public_id}/move", responses=documented(401, 403, 404, 409, 422))
def move_person(public_id: str, body: MoveIn, write: Writer, principal: Houser) -> MoveOut:
    """Move one person to another cell, under the same checks as every placement."""
    with write() as db:
        moved = housing.move(db, public_id, building=body.building, cell=body.cell,
                             reason=body.reason, on=utcnow().date(), actor=principal.actor,
                             may_override=principal.role is Role.ADMIN,
                             override_reason=body.override_reason,
                             party=principal.party_code)
    return MoveOut(public_id=public_id,
                   from_cell=f"{moved.from_building}/{moved.from_cell}" if moved.from_cell
                   else None, to_cell=f"{moved.building}/{moved.cell}",
                   override=moved.override.model_dump() if moved.override else None)


class NonAssociationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_a: str = Field(min_length=1, max_length=16)
    role_a: str = Field(default="", max_length=100)
    person_b: str = Field(min_length=1, max_length=16)
    role_b: str = Field(default="", max_length=100)
    level: Literal["CELL", "BUILDING", "FACILITY"]
    reason: str = Field(min_length=1, max_length=500)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class SeqOut(BaseModel):
    seq: int
    status: str


@router.post("/non-associations", status_code=201, responses=documented(401, 403, 409, 422))
def open_non_association(body: NonAssociationIn, write: Writer,
                         principal: Separator) -> SeqOut:
    """Keep two people apart at a level (cell, building, facility), for a reason."""
    with write() as db:
        seq = housing.open_non_association(
            db, person_a=body.person_a, role_a=body.role_a, person_b=body.person_b,
            role_b=body.role_b, level=body.level, reason=body.reason, actor=principal.actor,
            party=principal.party_code)
    return SeqOut(seq=seq, status="open")


@router.post("/non-associations/{seq}/close", responses=documented(401, 403, 404, 409, 422))
def close_non_association(seq: Seq, body: CloseIn, write: Writer,
                          principal: Separator) -> SeqOut:
    """Close a non-association, with the reason on the record."""
    with write() as db:
        housing.close_non_association(db, seq, reason=body.reason, actor=principal.actor,
                                      party=principal.party_code)
    return SeqOut(seq=seq, status="closed")


class AlertOut(BaseModel):
    seq: int
    party: str
    kind: str
    subject: str | None
    message: str
    raised_at: datetime


@router.get("/alerts", responses=documented(401, 403))
def list_alerts(db: ReadDB, principal: AlertReader) -> list[AlertOut]:
    """Alerts for your state, newest first (admin and monitors see every state's)."""
    party = principal.party_code if principal.role in (Role.SENDING, Role.RECEIVING) else None
    return [AlertOut.model_validate(a, from_attributes=True)
            for a in service.alerts_for(db, party)]
