"""/api/v1/transfers — manifests: plan, approve, depart, arrive, hand over, cancel."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.transfers import reads, service
from habeas.transfers.models import Manifest
from habeas.transfers.schemas import HandoverPartIn, ManifestIn

router = APIRouter(prefix="/transfers", tags=["transfers"])
Reader = Annotated[Principal, Depends(require(Action.READ_TRANSFERS))]
Planner = Annotated[Principal, Depends(require(Action.PLAN_TRANSFERS))]
Approver = Annotated[Principal, Depends(require(Action.APPROVE_TRANSFERS))]
Escort = Annotated[Principal, Depends(require(Action.DEPART_TRANSFERS))]
Receiver = Annotated[Principal, Depends(require(Action.RECEIVE_TRANSFERS))]
Releaser = Annotated[Principal, Depends(require(Action.RELEASE))]
HandingOrTaking = Annotated[Principal, Depends(require(Action.HAND_OVER))]


class PersonOnManifest(BaseModel):
    public_id: str
    external_ref: str
    family_name: str
    given_names: str
    status: str
    reason: str | None
    gates: list[dict[str, str]]
    handed_over_at: datetime | None
    sending_officer: str | None
    receiving_officer: str | None


class ManifestOut(BaseModel):
    id: str
    agreement_ref: str
    facility_code: str
    status: str
    direction: str
    departure_date: date
    legs: list[dict[str, Any]]
    planned_by: str
    approved_by: str | None
    departed_at: datetime | None
    arrived_at: datetime | None
    cancel_reason: str | None


class ManifestDetail(ManifestOut):
    people: list[PersonOnManifest]


def _detail(db: Any, manifest: Manifest) -> ManifestDetail:
    people = [PersonOnManifest(
        public_id=e.public_id, external_ref=n.external_ref, family_name=n.family_name,
        given_names=n.given_names, status=e.status, reason=e.reason, gates=e.gates,
        handed_over_at=e.handed_over_at, sending_officer=e.sending_officer,
        receiving_officer=e.receiving_officer) for e, n in service.people_on(db, manifest.id)]
    return ManifestDetail(**ManifestOut.model_validate(manifest, from_attributes=True)
                          .model_dump(), people=people)


@router.get("", responses=documented(401, 403))
def list_manifests(db: ReadDB, principal: Reader) -> list[ManifestOut]:
    """Manifests, latest departure first (a state sees those of its own agreements)."""
    return [ManifestOut.model_validate(m, from_attributes=True)
            for m in service.list_manifests(db, principal.scope)]


@router.post("", status_code=201, responses=documented(401, 403, 404, 409, 422))
def plan_transfer(body: ManifestIn, write: Writer, principal: Planner) -> ManifestDetail:
    """Plan a manifest of accepted people: legs with times, carrier, origin, destination."""
    with write() as db:
        manifest = service.plan(db, body, actor=principal.actor, party=principal.party_code)
        return _detail(db, manifest)


@router.get("/{manifest_id}", responses=documented(401, 403, 404))
def get_manifest(manifest_id: str, db: ReadDB, principal: Reader) -> ManifestDetail:
    """One manifest with each person's status and departure gates."""
    return _detail(db, service.get_manifest(db, manifest_id, principal.scope))


@router.post("/{manifest_id}/approve", responses=documented(401, 403, 404, 409))
def approve_transfer(manifest_id: str, write: Writer, principal: Approver) -> ManifestDetail:
    """The sending state approves a planned manifest."""
    with write() as db:
        return _detail(db, service.approve(db, manifest_id, actor=principal.actor,
                                           party=principal.party_code))


class DepartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    departed_at: AwareDatetime
    late_reason: str | None = Field(
        default=None, min_length=1, max_length=500,
        description="why the departure is recorded past its late window (DESIGN.md §12.2); "
        "public, in the ledger leaf: name no person")


class DepartOut(BaseModel):
    manifest: ManifestDetail
    boarded: list[str]
    removed: list[dict[str, str]]


@router.post("/{manifest_id}/depart", responses=documented(401, 403, 404, 409, 422))
def depart_transfer(manifest_id: str, body: DepartIn, write: Writer,
                    principal: Escort) -> DepartOut:
    """Depart: every person's gates are checked again; who fails is taken off, with why."""
    with write() as db:
        boarded, removed = service.depart(db, manifest_id, departed_at=body.departed_at,
                                          actor=principal.actor, party=principal.party_code,
                                          late_reason=body.late_reason)
        # The service checked the officer's state against the manifest: read it as theirs.
        manifest = service.get_manifest(db, manifest_id, principal.party_code)
        return DepartOut(manifest=_detail(db, manifest),
                         boarded=boarded, removed=removed)


class ArriveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arrived_at: AwareDatetime
    late_reason: str | None = Field(
        default=None, min_length=1, max_length=500,
        description="why the arrival is recorded past its late window (DESIGN.md §12.2); "
        "public, in the ledger leaf: name no person")


@router.post("/{manifest_id}/arrive", responses=documented(401, 403, 404, 409, 422))
def arrive_transfer(manifest_id: str, body: ArriveIn, write: Writer,
                    principal: Receiver) -> ManifestDetail:
    """Record the manifest's arrival at the facility."""
    with write() as db:
        return _detail(db, service.arrive(db, manifest_id, arrived_at=body.arrived_at,
                                          actor=principal.actor, party=principal.party_code,
                                          late_reason=body.late_reason))


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


@router.post("/{manifest_id}/cancel", responses=documented(401, 403, 404, 409, 422))
def cancel_transfer(manifest_id: str, body: CancelIn, write: Writer,
                    principal: Planner) -> ManifestDetail:
    """Cancel a manifest before it departs."""
    with write() as db:
        return _detail(db, service.cancel(db, manifest_id, reason=body.reason,
                                          actor=principal.actor, party=principal.party_code))


class HandoverOut(BaseModel):
    manifest_id: str
    public_id: str
    status: str
    legal_custodian: str
    physical_custodian: str
    parts: list[Literal["sending", "receiving"]] = Field(
        description="the states whose own part is recorded; custody passes with both")


def _handover_out(db: Any, manifest_id: str, entry: Any, public_id: str) -> HandoverOut:
    legal, physical = reads.custodians(db, manifest_id, public_id)
    return HandoverOut(manifest_id=manifest_id, public_id=public_id, status=entry.status,
                       legal_custodian=legal, physical_custodian=physical,
                       parts=service.recorded_parts(db, manifest_id, public_id))


@router.post("/{manifest_id}/handover", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def hand_over(manifest_id: str, body: HandoverPartIn, write: Writer,
              principal: HandingOrTaking) -> HandoverOut:
    """Record this state's own part of handing one person over: the sending state's officer
    hands, the facility's takes, each with its own login (named from it). Custody is split
    once both parts are recorded, in either order."""
    with write() as db:
        entry = service.hand_over(db, manifest_id, body, officer=principal.display_name,
                                  actor=principal.actor, party=principal.party_code,
                                  late_reason=body.late_reason)
        return _handover_out(db, manifest_id, entry, body.public_id)


class ReturnIn(ManifestIn):
    outcome: Literal["released", "returned"]


@router.post("/returns", status_code=201, responses=documented(401, 403, 404, 409, 422))
def plan_return(body: ReturnIn, write: Writer, principal: Planner) -> ManifestDetail:
    """Plan taking people home: release at the end of the sentence, or a court-ordered return."""
    with write() as db:
        manifest = service.plan_return(db, ManifestIn(legs=body.legs, people=body.people),
                                       outcome=body.outcome, actor=principal.actor,
                                       party=principal.party_code)
        return _detail(db, manifest)


@router.post("/{manifest_id}/handback", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def hand_back(manifest_id: str, body: HandoverPartIn, write: Writer,
              principal: Releaser) -> HandoverOut:
    """Record this state's own part of a handback on arrival home: the facility's escort
    hands, the sending state's officer receipts. Released or returned once both are
    recorded."""
    with write() as db:
        entry = service.hand_back(db, manifest_id, body, officer=principal.display_name,
                                  actor=principal.actor, party=principal.party_code,
                                  late_reason=body.late_reason)
        return _handover_out(db, manifest_id, entry, body.public_id)
