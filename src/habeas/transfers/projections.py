"""How transfer events change state. The only writer of manifests and their people, of
a transferee's nomination status from acceptance on, and of the prisoner row a handover
creates."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.custody.models import Prisoner
from habeas.events import EventFacts, projector, stage, staged
from habeas.nominations.models import NominationRecord
from habeas.transfers.models import HandoverPart, Manifest, ManifestPerson
from habeas.transfers.schemas import HandoverIn, Leg


class TransferPlanned(BaseModel):
    agreement_ref: str
    facility_code: str
    direction: str = "outbound"  # outbound | release | return
    departure_date: date
    legs: list[Leg]
    people: list[str]


class ManifestStep(BaseModel):
    manifest_id: str


class PersonRemoved(BaseModel):
    manifest_id: str
    public_id: str
    reason: str
    gates: list[dict[str, str]]


class Boarded(BaseModel):
    public_id: str
    gates: list[dict[str, str]]


class TransferDeparted(BaseModel):
    manifest_id: str
    departed_at: datetime
    boarded: list[Boarded]


class TransferArrived(BaseModel):
    manifest_id: str
    arrived_at: datetime


class TransferCancelled(BaseModel):
    manifest_id: str
    reason: str


class HandedOver(BaseModel):
    manifest_id: str
    handover: HandoverIn
    legal_custodian: str
    physical_custodian: str


def manifest_id_for(seq: int) -> str:
    """manifest_id_for: a manifest is named after the event that planned it."""
    return f"T{seq}"


def _manifest(session: Session, manifest_id: str) -> Manifest:
    manifest = staged(session, Manifest, manifest_id)
    assert manifest is not None, f"manifest {manifest_id} is planned first"
    return manifest


def _entry(session: Session, manifest_id: str, public_id: str) -> ManifestPerson:
    entry = staged(session, ManifestPerson, (manifest_id, public_id))
    assert entry is not None, f"{public_id} is on manifest {manifest_id}"
    return entry


def _nomination(session: Session, public_id: str) -> NominationRecord:
    record = staged(session, NominationRecord, public_id)
    assert record is not None
    return record


@projector("transfer.planned", TransferPlanned)
def apply_planned(session: Session, p: TransferPlanned, event: EventFacts) -> None:
    manifest_id = manifest_id_for(event.seq)
    stage(session, Manifest(
        id=manifest_id, agreement_ref=p.agreement_ref, facility_code=p.facility_code,
        status="planned", direction=p.direction, departure_date=p.departure_date,
        legs=[leg.model_dump(mode="json") for leg in p.legs], planned_by=event.actor,
        approved_by=None, departed_at=None, arrived_at=None, cancel_reason=None), manifest_id)
    for public_id in p.people:
        stage(session, ManifestPerson(manifest_id=manifest_id, public_id=public_id,
                                      status="listed", reason=None, gates=[]),
              (manifest_id, public_id))


@projector("transfer.approved", ManifestStep)
def apply_approved(session: Session, p: ManifestStep, event: EventFacts) -> None:
    manifest = _manifest(session, p.manifest_id)
    manifest.status, manifest.approved_by = "approved", event.actor


@projector("transfer.person_removed", PersonRemoved)
def apply_person_removed(session: Session, p: PersonRemoved, event: EventFacts) -> None:
    entry = _entry(session, p.manifest_id, p.public_id)
    entry.status, entry.reason, entry.gates = "removed", p.reason, p.gates
    _nomination(session, p.public_id).status_reason = f"taken off {p.manifest_id}: {p.reason}"


@projector("transfer.departed", TransferDeparted)
def apply_departed(session: Session, p: TransferDeparted, event: EventFacts) -> None:
    manifest = _manifest(session, p.manifest_id)
    manifest.status, manifest.departed_at = "departed", p.departed_at
    for person in p.boarded:
        entry = _entry(session, p.manifest_id, person.public_id)
        entry.status, entry.gates = "departed", person.gates
        record = _nomination(session, person.public_id)
        record.status, record.status_reason = "in_transit", f"on {p.manifest_id}"
        if manifest.direction != "outbound":
            # Leaving the facility on the way home: no longer part of its population.
            prisoner = staged(session, Prisoner, person.public_id)
            assert prisoner is not None
            prisoner.status = "returning"
            prisoner.building_code = prisoner.cell_code = None


@projector("transfer.arrived", TransferArrived)
def apply_arrived(session: Session, p: TransferArrived, event: EventFacts) -> None:
    manifest = _manifest(session, p.manifest_id)
    manifest.status, manifest.arrived_at = "arrived", p.arrived_at


@projector("transfer.cancelled", TransferCancelled)
def apply_cancelled(session: Session, p: TransferCancelled, event: EventFacts) -> None:
    manifest = _manifest(session, p.manifest_id)
    manifest.status, manifest.cancel_reason = "cancelled", p.reason


@projector("custody.handed_over", HandedOver)
def apply_handed_over(session: Session, p: HandedOver, event: EventFacts) -> None:
    h = p.handover
    entry = _entry(session, p.manifest_id, h.public_id)
    entry.status, entry.handed_over_seq, entry.handed_over_at = "handed_over", event.seq, \
        h.handed_over_at
    entry.sending_officer, entry.receiving_officer = h.sending_officer, h.receiving_officer
    entry.biometric_reference_sha256 = h.biometric_reference_sha256
    record = _nomination(session, h.public_id)
    record.status, record.status_reason = "in_custody", f"handed over from {p.manifest_id}"
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
    entry = _entry(session, p.manifest_id, h.public_id)
    entry.status, entry.handed_over_seq, entry.handed_over_at = p.outcome, event.seq, \
        h.handed_over_at
    entry.sending_officer, entry.receiving_officer = h.sending_officer, h.receiving_officer
    record = _nomination(session, h.public_id)
    record.status, record.status_reason = p.outcome, f"handed back from {p.manifest_id}"
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
    entry = _entry(session, p.manifest_id, p.public_id)
    entry.status, entry.handed_over_at = "returned", p.returned_at
    entry.sending_officer = p.officer
    record = _nomination(session, p.public_id)
    record.status, record.status_reason = "returned", f"returned from {p.manifest_id} by order"


class HandoverPartRecorded(BaseModel):
    """HandoverPartRecorded: one state's own part of a handover (outbound) or handback
    (home), by its own officer; custody passes once both parts are on record."""

    manifest_id: str
    public_id: str
    side: str  # sending | receiving
    role: str  # handing | taking
    officer: str
    handed_over_at: datetime
    biometric_reference_sha256: str | None = None


@projector("transfer.handover_part", HandoverPartRecorded)
def apply_handover_part(session: Session, p: HandoverPartRecorded, event: EventFacts) -> None:
    stage(session, HandoverPart(
        manifest_id=p.manifest_id, public_id=p.public_id, side=p.side, role=p.role,
        officer=p.officer, actor=event.actor, handed_over_at=p.handed_over_at,
        biometric_reference_sha256=p.biometric_reference_sha256, seq=event.seq),
        (p.manifest_id, p.public_id, p.side))
