"""Oversight use cases: inspections and findings (Mandela Rules 83–85), grievances (56–57).

Services validate, record one event through habeas.events, and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.auth.models import Role
from habeas.auth.principal import Principal
from habeas.custody.models import Prisoner
from habeas.errors import Conflict, ErrorCode, Forbidden, NotFound, field_error
from habeas.events import NewEvent, record
from habeas.facilities.models import Facility
from habeas.facilities.service import PRESENT
from habeas.oversight.models import Finding, Grievance, Inspection
from habeas.oversight.projections import (
    FindingRecorded,
    FindingResponded,
    GrievanceClosed,
    GrievanceFiled,
    GrievanceResponded,
    InspectionRecorded,
)
from habeas.oversight.schemas import (
    FindingIn,
    FindingResponseIn,
    GrievanceIn,
    GrievanceStatus,
    InspectionIn,
)

# --- who may act ----------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def names_of(who: Principal) -> set[str]:
    """names_of is every name a grievance may use for WHO: the username, the display name,
    and the display name without its parenthesised affiliation ("Ana Ruiz (DGCP)")."""
    display = who.display_name
    return {_name_key(n) for n in (who.username, display, display.split(" (")[0]) if n.strip()}


def is_concerned(who: Principal, concerns_staff: Iterable[str]) -> bool:
    """is_concerned: WHO is among the staff a grievance names (case and spacing aside).

    Mandela Rule 57(2): nobody may be exposed to retaliation for a complaint, so the
    staff it names neither answer nor close it.
    """
    mine = names_of(who)
    return any(_name_key(n) in mine for n in concerns_staff)


def _check_acts_for(session: Session, who: Principal, facility_code: str) -> None:
    # Receiving staff act for the state that runs the facility, and only there.
    if who.role is not Role.RECEIVING:
        return
    facility = session.get_one(Facility, facility_code)
    if who.party_code != facility.country:
        raise Forbidden(f"only {facility.country} staff act for {facility_code}",
                        code=ErrorCode.WRONG_PARTY, details={"owner": facility.country})


# --- inspections and findings ---------------------------------------------------------------


def record_inspection(session: Session, inspection: InspectionIn, *, actor: str,
                      today: date) -> Inspection:
    """record_inspection records a monitoring visit (Mandela Rules 83–84)."""
    facility = session.get(Facility, inspection.facility_code)
    if facility is None:
        raise field_error("facility_code", f"no facility {inspection.facility_code!r}")
    if inspection.visited_on > today:
        raise field_error("visited_on", f"{inspection.visited_on} is in the future; "
                          "record a visit once it has taken place")
    event = record(session, NewEvent(
        type="inspection.recorded", actor=actor, facility=facility.code,
        party=facility.country, payload=InspectionRecorded(inspection=inspection)))
    return session.get_one(Inspection, event.seq)


def get_inspection(session: Session, seq: int) -> Inspection:
    inspection = session.get(Inspection, seq)
    if inspection is None:
        raise NotFound(f"inspection {seq} not found")
    return inspection


def list_inspections(session: Session, *, facility: str | None = None, limit: int = 100,
                     offset: int = 0) -> list[Inspection]:
    """list_inspections: the latest visits first."""
    query = select(Inspection).order_by(Inspection.visited_on.desc(), Inspection.seq.desc())
    if facility is not None:
        query = query.where(Inspection.facility_code == facility)
    return list(session.scalars(query.limit(limit).offset(offset)))


def findings_of(session: Session, inspection_seq: int) -> list[Finding]:
    return list(session.scalars(select(Finding).where(
        Finding.inspection_seq == inspection_seq).order_by(Finding.seq)))


def findings_of_inspections(session: Session, inspection_seqs: list[int]) -> list[Finding]:
    """findings_of_inspections: the findings of these inspections, in one query."""
    if not inspection_seqs:
        return []
    return list(session.scalars(select(Finding).where(
        Finding.inspection_seq.in_(inspection_seqs)).order_by(Finding.seq)))


def record_finding(session: Session, inspection_seq: int, finding: FindingIn, *,
                   actor: str) -> Finding:
    """record_finding adds a finding and recommendation to an inspection, with the date the
    administration must answer by (Mandela Rule 85)."""
    inspection = get_inspection(session, inspection_seq)
    if finding.response_due < inspection.visited_on:
        raise field_error("response_due", f"{finding.response_due} is before the inspection "
                          f"on {inspection.visited_on}")
    people = list(dict.fromkeys(finding.people_concerned))
    known = set(session.scalars(select(Prisoner.public_id).where(
        Prisoner.public_id.in_(people)))) if people else set()
    unknown = [p for p in people if p not in known]
    if unknown:
        raise field_error("people_concerned", f"no person {', '.join(unknown)}")
    facility = session.get_one(Facility, inspection.facility_code)
    event = record(session, NewEvent(
        type="finding.recorded", actor=actor, facility=facility.code, party=facility.country,
        payload=FindingRecorded(
            inspection_seq=inspection.seq, facility_code=facility.code,
            finding=finding.model_copy(update={"people_concerned": people}))))
    return session.get_one(Finding, event.seq)


def get_finding(session: Session, seq: int) -> Finding:
    finding = session.get(Finding, seq)
    if finding is None:
        raise NotFound(f"finding {seq} not found")
    return finding


def respond_to_finding(session: Session, seq: int, response: FindingResponseIn, *,
                       by: Principal, today: date) -> Finding:
    """respond_to_finding records whether the administration will implement a recommendation
    (Mandela Rule 85(2)); a finding is answered once."""
    finding = get_finding(session, seq)
    _check_acts_for(session, by, finding.facility_code)
    if finding.status != "open":
        raise Conflict(f"finding {seq} was answered on {finding.responded_on}",
                       code=ErrorCode.ALREADY_RESPONDED)
    on = response.responded_on or today
    visited_on = session.get_one(Inspection, finding.inspection_seq).visited_on
    if on < visited_on:
        raise field_error("responded_on", f"{on} is before the inspection on {visited_on}")
    if on > today:
        raise field_error("responded_on", f"{on} is in the future")
    facility = session.get_one(Facility, finding.facility_code)
    record(session, NewEvent(
        type="finding.responded", actor=by.actor, facility=facility.code,
        party=facility.country, payload=FindingResponded(
            finding_seq=seq, text=response.text, decision=response.decision,
            actions=list(response.actions), responded_on=on)))
    return finding


def list_findings(session: Session, *, facility: str | None = None,
                  status: str | None = None, overdue_on: date | None = None,
                  limit: int | None = None, offset: int = 0) -> list[Finding]:
    """list_findings: the soonest due first; with OVERDUE_ON, only those overdue that day."""
    query = select(Finding).order_by(Finding.response_due, Finding.seq)
    if facility is not None:
        query = query.where(Finding.facility_code == facility)
    if status is not None:
        query = query.where(Finding.status == status)
    if overdue_on is not None:
        query = query.where(Finding.status == "open", Finding.response_due < overdue_on)
    return list(session.scalars(query.limit(limit).offset(offset)))


def overdue_findings(session: Session, on: date) -> list[Finding]:
    """overdue_findings: findings still unanswered after their response_due, as of ON
    (Mandela Rule 85(2): the answer is due within a reasonable time)."""
    return list_findings(session, overdue_on=on)


# --- grievances -----------------------------------------------------------------------------


def file_grievance(session: Session, grievance: GrievanceIn, *, by: Principal) -> Grievance:
    """file_grievance records a request or complaint by or for a person in custody (Mandela
    Rule 56); an allegation of ill-treatment goes to the monitors (Rule 57(3))."""
    from habeas.counsel import service as counsel

    prisoner = session.get(Prisoner, grievance.public_id)
    # 404, not 422: whether the person exists is what a stranger may not learn.
    missing = NotFound(f"no person {grievance.public_id!r} in custody",
                       details={"field": "public_id"})
    if prisoner is None or prisoner.status not in PRESENT:
        raise missing
    # Counsel files for its clients of record only (DESIGN.md §12.1); anyone else,
    # a domestic prisoner included, reads exactly as a person not in custody.
    if by.role is Role.COUNSEL and not counsel.is_of_record(session, by, prisoner.public_id):
        raise missing
    _check_acts_for(session, by, prisoner.facility_code)
    event = record(session, NewEvent(
        type="grievance.filed", actor=by.actor, party=prisoner.legal_custodian,
        subject=prisoner.public_id, facility=prisoner.facility_code,
        payload=GrievanceFiled(facility_code=prisoner.facility_code, grievance=(
            grievance.model_copy(update={
                "concerns_staff": list(dict.fromkeys(grievance.concerns_staff))})))))
    return session.get_one(Grievance, event.seq)


def list_grievances(session: Session, *, scope: str | None, status: str | None = None,
                    routed_to_monitor: bool | None = None, public_id: str | None = None,
                    facility: str | None = None, limit: int = 100, offset: int = 0
                    ) -> list[Grievance]:
    """list_grievances: the newest first; a sending state sees only its own people's."""
    query = select(Grievance).order_by(Grievance.seq.desc())
    if scope is not None:
        query = query.join(Prisoner, Prisoner.public_id == Grievance.public_id).where(
            Prisoner.legal_custodian == scope)
    if status is not None:
        query = query.where(Grievance.status == status)
    if routed_to_monitor is not None:
        query = query.where(Grievance.alleges_ill_treatment.is_(routed_to_monitor))
    if public_id is not None:
        query = query.where(Grievance.public_id == public_id)
    if facility is not None:
        query = query.where(Grievance.facility_code == facility)
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_grievance(session: Session, seq: int, scope: str | None = None) -> Grievance:
    """get_grievance finds one grievance; one of another state's people is not found."""
    grievance = session.get(Grievance, seq)
    if grievance is not None and scope is not None:
        custodian = session.scalar(select(Prisoner.legal_custodian).where(
            Prisoner.public_id == grievance.public_id))
        if custodian != scope:
            grievance = None
    if grievance is None:
        raise NotFound(f"grievance {seq} not found")
    return grievance


def respond_to_grievance(session: Session, seq: int, text: str, *,
                         by: Principal) -> Grievance:
    """respond_to_grievance answers a grievance (Mandela Rule 57(1)); never by staff it names."""
    text = text.strip()
    if not text:
        raise field_error("text", "say how the grievance is answered")
    grievance = get_grievance(session, seq, by.scope)
    _check_acts_for(session, by, grievance.facility_code)
    if is_concerned(by, grievance.concerns_staff):
        raise Forbidden(f"grievance {seq} concerns you; another person must answer it",
                        code=ErrorCode.GRIEVANCE_ANSWERED_BY_CONCERNED_STAFF)
    if grievance.status == GrievanceStatus.CLOSED:
        raise Conflict(f"grievance {seq} is closed", code=ErrorCode.ALREADY_CLOSED)
    if grievance.status == GrievanceStatus.RESPONDED:
        raise Conflict(f"grievance {seq} was answered by {grievance.responded_by}",
                       code=ErrorCode.ALREADY_RESPONDED)
    record(session, NewEvent(
        type="grievance.responded", actor=by.actor, subject=grievance.public_id,
        facility=grievance.facility_code, party=_custodian(session, grievance),
        payload=GrievanceResponded(grievance_seq=seq, text=text)))
    return grievance


def close_grievance(session: Session, seq: int, reason: str, *, by: Principal) -> Grievance:
    """close_grievance closes an answered grievance with a reason.

    Never by the staff it names (Mandela Rule 57(2)); an allegation of ill-treatment only
    by a monitor, the independent authority of Rule 57(3).
    """
    reason = reason.strip()
    if not reason:
        raise field_error("reason", "say why the grievance is closed")
    grievance = get_grievance(session, seq, by.scope)
    _check_acts_for(session, by, grievance.facility_code)
    if is_concerned(by, grievance.concerns_staff):
        raise Forbidden(f"grievance {seq} concerns you; another person must close it",
                        code=ErrorCode.GRIEVANCE_CLOSED_BY_CONCERNED_STAFF)
    if grievance.alleges_ill_treatment and by.role is not Role.MONITOR:
        raise Forbidden(f"grievance {seq} alleges ill-treatment; only a monitor closes it",
                        code=ErrorCode.ILL_TREATMENT_CLOSED_BY_MONITOR_ONLY)
    if grievance.status == GrievanceStatus.CLOSED:
        raise Conflict(f"grievance {seq} is already closed", code=ErrorCode.ALREADY_CLOSED)
    if grievance.status != GrievanceStatus.RESPONDED:
        raise Conflict(f"grievance {seq} has not been answered; answer it before closing it",
                       code=ErrorCode.GRIEVANCE_NOT_ANSWERED)
    record(session, NewEvent(
        type="grievance.closed", actor=by.actor, subject=grievance.public_id,
        facility=grievance.facility_code, party=_custodian(session, grievance),
        payload=GrievanceClosed(grievance_seq=seq, reason=reason)))
    return grievance


def _custodian(session: Session, grievance: Grievance) -> str:
    return session.get_one(Prisoner, grievance.public_id).legal_custodian
