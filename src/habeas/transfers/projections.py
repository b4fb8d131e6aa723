"""How transfer events change state. The only writer of manifests, their people and the
handover parts: a manifest entry's share of custody's handover events is a `part` here,
and what transfer events change in nominations and prisoners is written by their owners'
parts (nominations/projections.py, custody/projections.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.custody.projections import HandedBack, HandedOver, ReturnedFromTransit, ReturnRequired
from habeas.events import EventFacts, part, projector, stage, staged
from habeas.transfers.models import HandoverPart, Manifest, ManifestPerson
from habeas.transfers.schemas import Leg


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


@projector("transfer.departed", TransferDeparted)
def apply_departed(session: Session, p: TransferDeparted, event: EventFacts) -> None:
    manifest = _manifest(session, p.manifest_id)
    manifest.status, manifest.departed_at = "departed", p.departed_at
    for person in p.boarded:
        entry = _entry(session, p.manifest_id, person.public_id)
        entry.status, entry.gates = "departed", person.gates


@projector("transfer.arrived", TransferArrived)
def apply_arrived(session: Session, p: TransferArrived, event: EventFacts) -> None:
    manifest = _manifest(session, p.manifest_id)
    manifest.status, manifest.arrived_at = "arrived", p.arrived_at


@projector("transfer.cancelled", TransferCancelled)
def apply_cancelled(session: Session, p: TransferCancelled, event: EventFacts) -> None:
    manifest = _manifest(session, p.manifest_id)
    manifest.status, manifest.cancel_reason = "cancelled", p.reason


# A handover, a handback and a return from transit are registered by custody (their
# type says so); what they change in a manifest's list is this domain's part.

@part("custody.handed_over")
def handed_over(session: Session, p: HandedOver, event: EventFacts) -> None:
    h = p.handover
    entry = _entry(session, p.manifest_id, h.public_id)
    entry.status, entry.handed_over_seq, entry.handed_over_at = "handed_over", event.seq, \
        h.handed_over_at
    entry.sending_officer, entry.receiving_officer = h.sending_officer, h.receiving_officer
    entry.biometric_reference_sha256 = h.biometric_reference_sha256


@part("custody.released")
def handed_back(session: Session, p: HandedBack, event: EventFacts) -> None:
    h = p.handover
    entry = _entry(session, p.manifest_id, h.public_id)
    entry.status, entry.handed_over_seq, entry.handed_over_at = p.outcome, event.seq, \
        h.handed_over_at
    entry.sending_officer, entry.receiving_officer = h.sending_officer, h.receiving_officer


@part("custody.returned")
def returned(session: Session, p: ReturnedFromTransit, event: EventFacts) -> None:
    entry = _entry(session, p.manifest_id, p.public_id)
    entry.status, entry.handed_over_at = "returned", p.returned_at
    entry.sending_officer = p.officer


@part("custody.return_required")
def return_required(session: Session, p: ReturnRequired, event: EventFacts) -> None:
    if p.manifest_id is not None:
        entry = _entry(session, p.manifest_id, p.public_id)
        entry.status, entry.reason = "return_required", p.reason


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
