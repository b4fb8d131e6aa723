"""How oversight events change the inspection, finding and grievance tables.
The only writer of those tables."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.events import EventFacts, projector, stage, staged
from habeas.oversight.models import Finding, Grievance, Inspection
from habeas.oversight.schemas import (
    Decision,
    FindingIn,
    GrievanceIn,
    GrievanceStatus,
    InspectionIn,
)


class InspectionRecorded(BaseModel):
    inspection: InspectionIn


class FindingRecorded(BaseModel):
    inspection_seq: int
    facility_code: str
    finding: FindingIn


class FindingResponded(BaseModel):
    finding_seq: int
    text: str
    decision: Decision
    actions: list[str]
    responded_on: date


class GrievanceFiled(BaseModel):
    facility_code: str
    grievance: GrievanceIn


class GrievanceResponded(BaseModel):
    grievance_seq: int
    text: str


class GrievanceClosed(BaseModel):
    grievance_seq: int
    reason: str


@projector("inspection.recorded", InspectionRecorded)
def apply_inspection_recorded(session: Session, p: InspectionRecorded,
                              event: EventFacts) -> None:
    i = p.inspection
    stage(session, Inspection(
        seq=event.seq, facility_code=i.facility_code, visited_on=i.visited_on,
        announced=i.announced, areas=list(i.areas), inspectors=list(i.inspectors),
        summary=i.summary, recorded_by=event.actor, recorded_at=event.recorded_at,
    ), event.seq)


@projector("finding.recorded", FindingRecorded)
def apply_finding_recorded(session: Session, p: FindingRecorded, event: EventFacts) -> None:
    f = p.finding
    stage(session, Finding(
        seq=event.seq, inspection_seq=p.inspection_seq, facility_code=p.facility_code,
        text=f.text, recommendation=f.recommendation, severity=f.severity.value,
        response_due=f.response_due, people_concerned=list(f.people_concerned),
        recorded_by=event.actor, status="open", response=None, decision=None, actions=None,
        responded_on=None, responded_by=None,
    ), event.seq)


@projector("finding.responded", FindingResponded)
def apply_finding_responded(session: Session, p: FindingResponded, event: EventFacts) -> None:
    finding = staged(session, Finding, p.finding_seq)
    assert finding is not None, "the service checked the finding exists"
    finding.status = "responded"
    finding.response = p.text
    finding.decision = p.decision.value
    finding.actions = list(p.actions)
    finding.responded_on = p.responded_on
    finding.responded_by = event.actor


@projector("grievance.filed", GrievanceFiled)
def apply_grievance_filed(session: Session, p: GrievanceFiled, event: EventFacts) -> None:
    g = p.grievance
    stage(session, Grievance(
        seq=event.seq, public_id=g.public_id, facility_code=p.facility_code,
        filed_at=event.occurred_at, filed_by_role=g.filed_by.role.value,
        filed_by_name=g.filed_by.name, recorded_by=event.actor, category=g.category.value,
        text=g.text, alleges_ill_treatment=g.alleges_ill_treatment,
        concerns_staff=list(g.concerns_staff),
        status=(GrievanceStatus.ROUTED_TO_MONITOR if g.alleges_ill_treatment
                else GrievanceStatus.OPEN).value,
        response=None, responded_by=None, responded_at=None, closed_by=None, closed_at=None,
        close_reason=None,
    ), event.seq)


@projector("grievance.responded", GrievanceResponded)
def apply_grievance_responded(session: Session, p: GrievanceResponded,
                              event: EventFacts) -> None:
    grievance = staged(session, Grievance, p.grievance_seq)
    assert grievance is not None, "the service checked the grievance exists"
    grievance.status = GrievanceStatus.RESPONDED.value
    grievance.response = p.text
    grievance.responded_by = event.actor
    grievance.responded_at = event.occurred_at


@projector("grievance.closed", GrievanceClosed)
def apply_grievance_closed(session: Session, p: GrievanceClosed, event: EventFacts) -> None:
    grievance = staged(session, Grievance, p.grievance_seq)
    assert grievance is not None, "the service checked the grievance exists"
    grievance.status = GrievanceStatus.CLOSED.value
    grievance.closed_by = event.actor
    grievance.closed_at = event.occurred_at
    grievance.close_reason = p.reason
