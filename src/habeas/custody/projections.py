"""How custody events change state: admissions, intake, return orders and alerts.
The only writer of the prisoner rows' identity and status, the intake table and alerts."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.custody.models import Alert, IntakeRecord, Prisoner
from habeas.custody.schemas import DomesticPrisoner, IntakeIn
from habeas.events import EventFacts, projector, stage, staged


class PopulationAdmitted(BaseModel):
    """PopulationAdmitted: a domestic prisoner counted and housed at the facility."""

    public_id: str
    facility_code: str
    custodian: str
    prisoner: DomesticPrisoner
    building: str
    cell: str


class IntakeRecorded(BaseModel):
    public_id: str
    officer: str
    biometric_match: bool | None
    intake: IntakeIn


class ReturnRequired(BaseModel):
    """ReturnRequired: a court order now bars this person's transfer; both states are told."""

    public_id: str
    manifest_id: str | None
    hold_ref: str
    reason: str
    parties: list[str]


@projector("population.admitted", PopulationAdmitted)
def apply_population_admitted(session: Session, p: PopulationAdmitted, event: EventFacts) -> None:
    person = p.prisoner
    stage(session, Prisoner(
        public_id=p.public_id, facility_code=p.facility_code, kind="domestic",
        local_ref=person.local_ref, family_name=person.family_name,
        given_names=person.given_names, date_of_birth=person.date_of_birth, sex=person.sex,
        legal_status=person.legal_status, affiliation_group=person.affiliation.group,
        affiliation_basis=person.affiliation.basis.value,
        affiliation_source=person.affiliation.source, security_level=person.security_level,
        legal_custodian=p.custodian, physical_custodian=p.facility_code, status="in_custody",
        building_code=p.building, cell_code=p.cell, admitted_on=person.admitted_on,
        admitted_seq=event.seq, intake_seq=None, release_date=None,
    ), p.public_id)


@projector("intake.recorded", IntakeRecorded)
def apply_intake_recorded(session: Session, p: IntakeRecorded, event: EventFacts) -> None:
    intake = p.intake
    prisoner = staged(session, Prisoner, p.public_id)
    assert prisoner is not None, "a person is handed over before intake"
    prisoner.intake_seq = event.seq
    prisoner.status = "taken_in"
    prisoner.legal_status = intake.legal_status
    prisoner.security_level = intake.security_level
    prisoner.affiliation_group = intake.affiliation.group
    prisoner.affiliation_basis = intake.affiliation.basis.value
    prisoner.affiliation_source = intake.affiliation.source
    session.add(IntakeRecord(
        seq=event.seq, public_id=p.public_id, recorded_at=event.occurred_at, officer=p.officer,
        document_checked=intake.document_checked, biometric_match=p.biometric_match,
        visible_injuries=intake.visible_injuries,
        ill_treatment_complaint=intake.ill_treatment_complaint,
        property_items=[i.model_dump(mode="json") for i in intake.property],
        contacts=[c.model_dump(mode="json") for c in intake.contacts],
        language=intake.language, medical_flags=list(intake.medical_flags),
        security_level=intake.security_level,
        affiliation=intake.affiliation.model_dump(mode="json")))


def raise_alerts(session: Session, event: EventFacts, parties: list[str], kind: str,
                 subject: str | None, message: str) -> None:
    """raise_alerts files one alert per state (each state sees its own)."""
    for party in parties:
        session.add(Alert(id=f"{event.seq}:{party}", seq=event.seq, party=party, kind=kind,
                          subject=subject, message=message, raised_at=event.recorded_at))


@projector("custody.return_required", ReturnRequired)
def apply_return_required(session: Session, p: ReturnRequired, event: EventFacts) -> None:
    from habeas.nominations.models import NominationRecord
    from habeas.transfers.models import ManifestPerson

    nomination = staged(session, NominationRecord, p.public_id)
    assert nomination is not None
    nomination.status, nomination.status_reason = "return_required", p.reason
    if p.manifest_id is not None:
        entry = staged(session, ManifestPerson, (p.manifest_id, p.public_id))
        assert entry is not None
        entry.status, entry.reason = "return_required", p.reason
    prisoner = staged(session, Prisoner, p.public_id)
    if prisoner is not None:
        prisoner.status = "return_required"
    raise_alerts(session, event, p.parties, "return_required", p.public_id,
                 f"{p.public_id}: return required — {p.reason}")

