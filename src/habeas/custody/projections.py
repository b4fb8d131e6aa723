"""How custody events change state: admissions, intake, handovers and handbacks, return
orders and alerts. The only writer of the prisoner rows, the intake table and alerts: a
prisoner's share of a transfer event is a `part` here, and what custody events change in
manifests and nominations is written by their owners' parts."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.custody.models import (
    Alert,
    Contact,
    Death,
    IntakeRecord,
    IntegrityRun,
    Prisoner,
    Solitary,
)
from habeas.custody.schemas import DomesticPrisoner, IntakeIn
from habeas.events import EventFacts, part, projector, stage, staged
from habeas.transfers.schemas import HandoverIn

if TYPE_CHECKING:  # a payload type only: transfers registers it, and imports this module
    from habeas.transfers.projections import TransferDeparted

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
        affiliation=intake.affiliation.model_dump(mode="json"),
        do_not_notify=intake.do_not_notify,
        do_not_notify_consulate=intake.do_not_notify_consulate))


def raise_alerts(session: Session, event: EventFacts, parties: list[str], kind: str,
                 subject: str | None, message: str) -> None:
    """raise_alerts files one alert per state (each state sees its own)."""
    for party in parties:
        session.add(Alert(id=f"{event.seq}:{party}", seq=event.seq, party=party, kind=kind,
                          subject=subject, message=message, raised_at=event.recorded_at))


@projector("custody.return_required", ReturnRequired)
def apply_return_required(session: Session, p: ReturnRequired, event: EventFacts) -> None:
    # The nomination's status and the manifest's entry: their owners' parts.
    prisoner = staged(session, Prisoner, p.public_id)
    if prisoner is not None:
        prisoner.status = "return_required"
    raise_alerts(session, event, p.parties, "return_required", p.public_id,
                 f"{p.public_id}: return required — {p.reason}")



class ReleaseDateSet(BaseModel):
    """ReleaseDateSet: the sentence's dates under the sending state's law, with the working."""

    public_id: str
    sentence_expiry: date | None
    release_date: date | None
    working: list[str]


class TermRenewed(BaseModel):
    public_id: str
    until: date
    reason: str
    proposal: int | None = None  # the accepted agreement change (DESIGN.md §12.1)


class ReturnOrdered(BaseModel):
    public_id: str
    hold_ref: str
    deadline: date
    parties: list[str]


class DeathRecorded(BaseModel):
    public_id: str
    died_at: datetime
    place: str
    circumstances: str
    obligations: list[str]
    parties: list[str]


class DeathInvestigated(BaseModel):
    public_id: str
    body: str
    reference: str
    opened_on: date


class Escaped(BaseModel):
    public_id: str
    at: datetime
    circumstances: str
    parties: list[str]


class Recaptured(BaseModel):
    public_id: str
    at: datetime
    circumstances: str


class SolitaryStarted(BaseModel):
    public_id: str
    at: datetime
    authorised_by: str
    reason: str


class SolitaryEnded(BaseModel):
    solitary: int
    public_id: str
    at: datetime


class SolitaryReviewed(BaseModel):
    solitary: int
    public_id: str
    reviewer: str
    outcome: str


class ContactRecorded(BaseModel):
    public_id: str
    kind: str
    mode: str
    on: date
    with_whom: str


def _prisoner(session: Session, public_id: str) -> Prisoner:
    prisoner = staged(session, Prisoner, public_id)
    assert prisoner is not None, f"{public_id} is held"
    return prisoner


@projector("custody.release_date_set", ReleaseDateSet)
def apply_release_date_set(session: Session, p: ReleaseDateSet, event: EventFacts) -> None:
    prisoner = _prisoner(session, p.public_id)
    prisoner.sentence_expiry, prisoner.release_date = p.sentence_expiry, p.release_date
    prisoner.release_working, prisoner.release_seq = list(p.working), event.seq


@projector("custody.term_renewed", TermRenewed)
def apply_term_renewed(session: Session, p: TermRenewed, event: EventFacts) -> None:
    _prisoner(session, p.public_id).term_renewed_until = p.until


@projector("custody.return_ordered", ReturnOrdered)
def apply_return_ordered(session: Session, p: ReturnOrdered, event: EventFacts) -> None:
    prisoner = _prisoner(session, p.public_id)
    prisoner.status = "return_required"
    prisoner.return_hold_ref, prisoner.return_deadline = p.hold_ref, p.deadline
    if prisoner.return_flagged_at is None:
        # Billing: the days after the first flag are not billable (DESIGN.md §8).
        prisoner.return_flagged_at, prisoner.return_flagged_seq = event.occurred_at, event.seq
    raise_alerts(session, event, p.parties, "return_ordered", p.public_id,
                 f"{p.public_id}: court order {p.hold_ref} requires return by {p.deadline}")


class TransferErroneous(BaseModel):
    """TransferErroneous: the sending state declares that this person should never have
    been sent (Abrego Garcia, 2025). Nothing of the stay is billable; they must go back."""

    public_id: str
    reason: str
    parties: list[str]


@projector("custody.transfer_erroneous", TransferErroneous)
def apply_transfer_erroneous(session: Session, p: TransferErroneous, event: EventFacts) -> None:
    prisoner = _prisoner(session, p.public_id)
    prisoner.erroneous_seq, prisoner.erroneous_reason = event.seq, p.reason
    if prisoner.left_at is None:
        prisoner.status = "return_required"
    raise_alerts(session, event, p.parties, "erroneous_transfer", p.public_id,
                 f"{p.public_id}: transferred in error — {p.reason}")


def _leave(prisoner: Prisoner, status: str, at: datetime, seq: int) -> None:
    prisoner.status, prisoner.left_at, prisoner.left_seq = status, at, seq
    prisoner.building_code = prisoner.cell_code = None


@projector("custody.death", DeathRecorded)
def apply_death(session: Session, p: DeathRecorded, event: EventFacts) -> None:
    prisoner = _prisoner(session, p.public_id)
    _leave(prisoner, "died", p.died_at, event.seq)
    stage(session, Death(public_id=p.public_id, seq=event.seq, died_at=p.died_at, place=p.place,
                         circumstances=p.circumstances, obligations=list(p.obligations),
                         investigation_body=None, investigation_ref=None,
                         investigation_opened_on=None, investigation_seq=None), p.public_id)
    raise_alerts(session, event, p.parties, "death", p.public_id,
                 f"{p.public_id}: died in custody at {p.place} on {p.died_at:%Y-%m-%d}; "
                 + "; ".join(p.obligations))


@projector("custody.death_investigated", DeathInvestigated)
def apply_death_investigated(session: Session, p: DeathInvestigated, event: EventFacts) -> None:
    death = staged(session, Death, p.public_id)
    assert death is not None
    death.investigation_body, death.investigation_ref = p.body, p.reference
    death.investigation_opened_on, death.investigation_seq = p.opened_on, event.seq


@projector("custody.escape", Escaped)
def apply_escape(session: Session, p: Escaped, event: EventFacts) -> None:
    _leave(_prisoner(session, p.public_id), "escaped", p.at, event.seq)
    raise_alerts(session, event, p.parties, "escape", p.public_id,
                 f"{p.public_id}: escaped on {p.at:%Y-%m-%d %H:%M} UTC")


@projector("custody.recaptured", Recaptured)
def apply_recaptured(session: Session, p: Recaptured, event: EventFacts) -> None:
    prisoner = _prisoner(session, p.public_id)
    # Back in custody; housed again through the same checks as any arrival.
    prisoner.status, prisoner.left_at, prisoner.left_seq = "taken_in", None, None


@projector("solitary.started", SolitaryStarted)
def apply_solitary_started(session: Session, p: SolitaryStarted, event: EventFacts) -> None:
    stage(session, Solitary(seq=event.seq, public_id=p.public_id, started_at=p.at,
                            authorised_by=p.authorised_by, reason=p.reason, ended_at=None,
                            end_seq=None, reviewed_by=None, review_outcome=None,
                            review_seq=None), event.seq)


@projector("solitary.ended", SolitaryEnded)
def apply_solitary_ended(session: Session, p: SolitaryEnded, event: EventFacts) -> None:
    episode = staged(session, Solitary, p.solitary)
    assert episode is not None
    episode.ended_at, episode.end_seq = p.at, event.seq


@projector("solitary.reviewed", SolitaryReviewed)
def apply_solitary_reviewed(session: Session, p: SolitaryReviewed, event: EventFacts) -> None:
    episode = staged(session, Solitary, p.solitary)
    assert episode is not None
    episode.reviewed_by, episode.review_outcome, episode.review_seq = p.reviewer, p.outcome, \
        event.seq


@projector("contact.recorded", ContactRecorded)
def apply_contact(session: Session, p: ContactRecorded, event: EventFacts) -> None:
    session.add(Contact(seq=event.seq, public_id=p.public_id, kind=p.kind, mode=p.mode, on=p.on,
                        with_whom=p.with_whom))
    if p.kind == "family":
        prisoner = _prisoner(session, p.public_id)
        if prisoner.last_family_contact is None or p.on > prisoner.last_family_contact:
            prisoner.last_family_contact = p.on


class MedicalEmergency(BaseModel):
    """MedicalEmergency: a serious illness or injury. Both states are alerted and the person's
    contacts told (Mandela Rules 68-69); DETAILS are clinical and confidential (Rules 26,
    32): they stay in the file and are never put in a notification."""

    public_id: str
    at: datetime
    nature: Literal["illness", "injury"]
    treated_at: str | None
    details: str
    parties: list[str]


@projector("custody.medical_emergency", MedicalEmergency)
def apply_medical_emergency(session: Session, p: MedicalEmergency, event: EventFacts) -> None:
    where = f"; treated at {p.treated_at}" if p.treated_at else ""
    raise_alerts(session, event, p.parties, "medical_emergency", p.public_id,
                 f"{p.public_id}: serious {p.nature} on {p.at:%Y-%m-%d}{where}")


class IntegrityRecorded(BaseModel):
    as_of: date
    report: dict[str, Any]
    sha256: str
    counts: dict[str, int]


@projector("integrity.recorded", IntegrityRecorded)
def apply_integrity_recorded(session: Session, p: IntegrityRecorded, event: EventFacts) -> None:
    session.add(IntegrityRun(seq=event.seq, as_of=p.as_of, recorded_at=event.recorded_at,
                             counts=dict(p.counts), sha256=p.sha256))


class HandedOver(BaseModel):
    """HandedOver: both states' officers have recorded their parts; the receiving state
    holds the person from now (physical custodian), the sending state stays the legal one."""

    manifest_id: str
    handover: HandoverIn
    legal_custodian: str
    physical_custodian: str


@projector("custody.handed_over", HandedOver)
def apply_handed_over(session: Session, p: HandedOver, event: EventFacts) -> None:
    from habeas.nominations.models import NominationRecord

    h = p.handover
    record = staged(session, NominationRecord, h.public_id)
    assert record is not None
    person = record.data["person"]
    affiliation = record.data.get("affiliation") or {}
    stage(session, Prisoner(
        public_id=h.public_id, facility_code=p.physical_custodian, kind="transferee",
        local_ref=record.external_ref, family_name=record.family_name,
        given_names=record.given_names, date_of_birth=record.date_of_birth, sex=person["sex"],
        legal_status="convicted", affiliation_group=affiliation.get("group"),
        affiliation_basis=affiliation.get("basis", "none"), affiliation_source="sending state",
        security_level=None, legal_custodian=p.legal_custodian,
        physical_custodian=p.physical_custodian, status="handed_over", building_code=None,
        cell_code=None, admitted_on=h.handed_over_at.date(), admitted_seq=event.seq,
        intake_seq=None, release_date=None), h.public_id)


class HandedBack(BaseModel):
    """HandedBack: the sending state's officer receipts the person (legal custodian again)."""

    manifest_id: str
    handover: HandoverIn
    outcome: str  # released | returned


@projector("custody.released", HandedBack)
def apply_handed_back(session: Session, p: HandedBack, event: EventFacts) -> None:
    h = p.handover
    prisoner = staged(session, Prisoner, h.public_id)
    assert prisoner is not None
    prisoner.status, prisoner.physical_custodian = p.outcome, prisoner.legal_custodian
    prisoner.left_at, prisoner.left_seq = h.handed_over_at, event.seq


class ReturnedFromTransit(BaseModel):
    """ReturnedFromTransit: someone a court order stopped in transit is taken back home,
    never having been handed over."""

    manifest_id: str
    public_id: str
    returned_at: datetime
    officer: str


@projector("custody.returned", ReturnedFromTransit)
def apply_returned(session: Session, p: ReturnedFromTransit, event: EventFacts) -> None:
    """Never handed over, the person has no prisoner row here: custody's tables do not
    change (the manifest's entry and the nomination do, by their owners' parts)."""


@part("transfer.departed")
def leaves_for_home(session: Session, p: TransferDeparted, event: EventFacts) -> None:
    """A prisoner on a manifest home leaves the facility: no longer part of its population."""
    from habeas.transfers.models import Manifest

    manifest = staged(session, Manifest, p.manifest_id)
    assert manifest is not None
    if manifest.direction == "outbound":
        return
    for person in p.boarded:
        prisoner = staged(session, Prisoner, person.public_id)
        assert prisoner is not None
        prisoner.status = "returning"
        prisoner.building_code = prisoner.cell_code = None
