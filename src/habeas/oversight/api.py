"""/api/v1/inspections, /findings, /grievances — independent oversight (DESIGN.md §9)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import Day, Offset, Seq
from habeas.auth import audit
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.db import utcnow
from habeas.oversight import service
from habeas.oversight.models import Finding, Grievance, Inspection
from habeas.oversight.schemas import (
    FindingIn,
    FindingOut,
    FindingResponseIn,
    GrievanceCloseIn,
    GrievanceIn,
    GrievanceOut,
    GrievanceResponseIn,
    GrievanceSummary,
    InspectionDetail,
    InspectionIn,
    InspectionOut,
)

router = APIRouter(tags=["oversight"])
Reader = Annotated[Principal, Depends(require(Action.READ_OVERSIGHT))]
Inspector = Annotated[Principal, Depends(require(Action.RECORD_INSPECTIONS))]
Responder = Annotated[Principal, Depends(require(Action.RESPOND_FINDINGS))]
Filer = Annotated[Principal, Depends(require(Action.FILE_GRIEVANCES))]
Handler = Annotated[Principal, Depends(require(Action.HANDLE_GRIEVANCES))]
Limit = Annotated[int, Query(ge=1, le=500)]


def _inspection_out(inspection: Inspection) -> InspectionOut:
    return InspectionOut.model_validate(inspection, from_attributes=True)


def _finding_out(finding: Finding, on: date) -> FindingOut:
    return FindingOut.model_validate({
        **{c: getattr(finding, c) for c in (
            "seq", "inspection_seq", "facility_code", "text", "recommendation", "severity",
            "response_due", "people_concerned", "recorded_by", "status", "response",
            "decision", "actions", "responded_on", "responded_by", "late")},
        "overdue": finding.overdue_on(on)})


def _summary(grievance: Grievance) -> GrievanceSummary:
    return GrievanceSummary.model_validate(grievance, from_attributes=True)


# --- inspections and findings ---------------------------------------------------------------

@router.post("/inspections", status_code=201, responses=documented(401, 403, 422))
def record_inspection(body: InspectionIn, write: Writer, principal: Inspector
                      ) -> InspectionOut:
    """Record a monitoring visit: where, when, announced or not, what was seen, by whom."""
    with write() as db:
        return _inspection_out(service.record_inspection(
            db, body, actor=principal.actor, today=utcnow().date()))


@router.get("/inspections", responses=documented(401, 403, 422))
def list_inspections(db: ReadDB, _: Reader,
                     facility: Annotated[str | None, Query(max_length=64)] = None,
                     limit: Limit = 100, offset: Offset = 0) -> list[InspectionOut]:
    """Inspections, the latest visit first."""
    return [_inspection_out(i) for i in service.list_inspections(
        db, facility=facility, limit=limit, offset=offset)]


@router.get("/inspections/{seq}", responses=documented(401, 403, 404, 422))
def get_inspection(seq: Seq, db: ReadDB, _: Reader) -> InspectionDetail:
    """One inspection with its findings and the answers to them."""
    inspection = service.get_inspection(db, seq)
    today = utcnow().date()
    return InspectionDetail.model_validate({
        **_inspection_out(inspection).model_dump(),
        "findings": [_finding_out(f, today) for f in service.findings_of(db, seq)]})


@router.post("/inspections/{seq}/findings", status_code=201,
             responses=documented(401, 403, 404, 422))
def record_finding(seq: Seq, body: FindingIn, write: Writer, principal: Inspector
                   ) -> FindingOut:
    """Add a finding and its recommendation, with the date an answer is due (Rule 85)."""
    with write() as db:
        finding = service.record_finding(db, seq, body, actor=principal.actor)
        return _finding_out(finding, utcnow().date())


@router.post("/findings/{seq}/response", responses=documented(401, 403, 404, 409, 422))
def respond_to_finding(seq: Seq, body: FindingResponseIn, write: Writer,
                       principal: Responder) -> FindingOut:
    """Answer a finding: accepted, partially or rejected, and what is done (Rule 85(2))."""
    today = utcnow().date()
    with write() as db:
        return _finding_out(service.respond_to_finding(db, seq, body, by=principal,
                                                       today=today), today)


@router.get("/findings", responses=documented(401, 403, 422))
def list_findings(
    db: ReadDB, _: Reader,
    overdue: Annotated[bool, Query(description="only those unanswered past response_due")
                       ] = False,
    on: Annotated[Day | None, Query(description="the date overdue is judged on; "
                                     "default today")] = None,
    status: Annotated[str | None, Query(pattern="^(open|responded)$")] = None,
    facility: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100, offset: Offset = 0,
) -> list[FindingOut]:
    """Findings, the soonest due first."""
    day = on or utcnow().date()
    findings = service.list_findings(db, facility=facility, status=status,
                                     overdue_on=day if overdue else None,
                                     limit=limit, offset=offset)
    return [_finding_out(f, day) for f in findings]


# --- grievances -----------------------------------------------------------------------------

@router.post("/grievances", status_code=201, responses=documented(401, 403, 404, 422))
def file_grievance(body: GrievanceIn, write: Writer, principal: Filer) -> GrievanceSummary:
    """File a request or complaint by or for a person in custody (Mandela Rules 56–57)."""
    with write() as db:
        return _summary(service.file_grievance(db, body, by=principal))


@router.get("/grievances", responses=documented(401, 403, 422))
def list_grievances(
    db: ReadDB, principal: Reader,
    status: Annotated[str | None, Query(
        pattern="^(open|routed_to_monitor|responded|closed)$")] = None,
    routed_to_monitor: Annotated[bool | None, Query(
        description="true: the allegations of ill-treatment, whatever their status")] = None,
    public_id: Annotated[str | None, Query(max_length=16)] = None,
    facility: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100, offset: Offset = 0,
) -> list[GrievanceSummary]:
    """Grievances, newest first, without their text (a sending state sees its own people's)."""
    return [_summary(g) for g in service.list_grievances(
        db, scope=principal.scope, status=status, routed_to_monitor=routed_to_monitor,
        public_id=public_id, facility=facility, limit=limit, offset=offset)]


@router.get("/grievances/{seq}", responses=documented(401, 403, 404, 422))
def get_grievance(seq: Seq, write: Writer, principal: Reader) -> GrievanceOut:
    """One grievance in full; the read is logged (Mandela Rule 9)."""
    with write() as db:
        grievance = service.get_grievance(db, seq, principal.scope)
        audit.record_read(db, principal, kind="grievance", record_id=str(seq), channel="api",
                         purpose="grievance")
        return GrievanceOut.model_validate(grievance, from_attributes=True)


@router.post("/grievances/{seq}/response", responses=documented(401, 403, 404, 409, 422))
def respond_to_grievance(seq: Seq, body: GrievanceResponseIn, write: Writer,
                         principal: Handler) -> GrievanceSummary:
    """Answer a grievance; the staff it names may not (Rule 57(2))."""
    with write() as db:
        return _summary(service.respond_to_grievance(db, seq, body.text, by=principal))


@router.post("/grievances/{seq}/close", responses=documented(401, 403, 404, 409, 422))
def close_grievance(seq: Seq, body: GrievanceCloseIn, write: Writer,
                    principal: Handler) -> GrievanceSummary:
    """Close an answered grievance with a reason; an ill-treatment allegation only by a
    monitor, and never by the staff it names (Rule 57)."""
    with write() as db:
        return _summary(service.close_grievance(db, seq, body.reason, by=principal))
