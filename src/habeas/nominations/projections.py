"""How nomination events change the nomination table. The only writer of that table: a
transferee's status from departure on is this domain's part of the transfer and custody
events that move them (registered by transfers and custody)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.events import EventFacts, part, projector, stage, staged
from habeas.nominations.models import NominationRecord, Notice
from habeas.nominations.schemas import Nomination

if TYPE_CHECKING:  # payload types only: those domains sit above this one
    from habeas.custody.projections import (
        HandedBack,
        HandedOver,
        ReturnedFromTransit,
        ReturnRequired,
    )
    from habeas.transfers.projections import PersonRemoved, TransferDeparted

class NominationReceived(BaseModel):
    public_id: str
    agreement_ref: str
    sending_party: str
    nomination: Nomination
    data_sha256: str


class NominationScreened(BaseModel):
    public_id: str
    as_of: date
    decision: str
    results: list[dict[str, str]]


def _codes(codes: Iterable[str]) -> str:
    return "," + "".join(f"{code}," for code in codes)


@projector("nomination.received", NominationReceived)
def apply_received(session: Session, p: NominationReceived, event: EventFacts) -> None:
    person = p.nomination.person
    stage(session, NominationRecord(
        public_id=p.public_id, agreement_ref=p.agreement_ref, sending_party=p.sending_party,
        external_ref=p.nomination.external_ref, family_name=person.family_name,
        given_names=person.given_names, date_of_birth=person.date_of_birth,
        nationalities=list(person.nationalities), nationality_codes=_codes(person.nationalities),
        # The event's own JSON form of the nomination: the same value, not dumped twice.
        data=event.payload["nomination"], failed_rules=",",
        data_sha256=p.data_sha256, decision=None, results=[], screened_as_of=None,
        received_seq=event.seq, status="nominated", status_reason=None,
    ), p.public_id)


@projector("nomination.screened", NominationScreened)
def apply_screened(session: Session, p: NominationScreened, event: EventFacts) -> None:
    record = staged(session, NominationRecord, p.public_id)
    assert record is not None, "a nomination is received before it is screened"
    record.decision = p.decision
    record.results = p.results
    record.failed_rules = _codes(r["rule"] for r in p.results if r["outcome"] == "fail")
    record.screened_as_of = p.as_of


class NominationAmended(BaseModel):
    public_id: str
    nomination: Nomination
    data_sha256: str


class NoticeServed(BaseModel):
    public_id: str
    served_on: date
    language: str
    method: str
    acknowledged: bool
    text: str


class NominationDecided(BaseModel):
    public_id: str
    reason: str


class NominationAccepted(NominationDecided):
    """NominationAccepted: the day the receiving state says it accepted (None in events
    recorded before the day was kept apart from the reason's text)."""

    on: date | None = None


@projector("nomination.amended", NominationAmended)
def apply_amended(session: Session, p: NominationAmended, event: EventFacts) -> None:
    record = staged(session, NominationRecord, p.public_id)
    assert record is not None, "the service checked the nomination exists"
    person = p.nomination.person
    record.family_name, record.given_names = person.family_name, person.given_names
    record.date_of_birth = person.date_of_birth
    record.nationalities = list(person.nationalities)
    record.nationality_codes = _codes(person.nationalities)
    record.data = event.payload["nomination"]
    record.data_sha256 = p.data_sha256


@projector("notice.served", NoticeServed)
def apply_notice_served(session: Session, p: NoticeServed, event: EventFacts) -> None:
    session.add(Notice(seq=event.seq, public_id=p.public_id, served_on=p.served_on,
                       language=p.language, method=p.method, acknowledged=p.acknowledged,
                       text=p.text))


def _decide(session: Session, p: NominationDecided, status: str) -> None:
    record = staged(session, NominationRecord, p.public_id)
    assert record is not None, "the service checked the nomination exists"
    record.status = status
    record.status_reason = p.reason


@projector("nomination.accepted", NominationAccepted)
def apply_accepted(session: Session, p: NominationAccepted, event: EventFacts) -> None:
    _decide(session, p, "accepted")


@projector("nomination.rejected", NominationDecided)
def apply_rejected(session: Session, p: NominationDecided, event: EventFacts) -> None:
    _decide(session, p, "rejected")


def _moved(session: Session, public_id: str, status: str | None, reason: str) -> None:
    record = staged(session, NominationRecord, public_id)
    assert record is not None, f"{public_id} was nominated first"
    if status is not None:
        record.status = status
    record.status_reason = reason


@part("transfer.person_removed")
def taken_off(session: Session, p: PersonRemoved, event: EventFacts) -> None:
    _moved(session, p.public_id, None, f"taken off {p.manifest_id}: {p.reason}")


@part("transfer.departed")
def departed(session: Session, p: TransferDeparted, event: EventFacts) -> None:
    for person in p.boarded:
        _moved(session, person.public_id, "in_transit", f"on {p.manifest_id}")


@part("custody.handed_over")
def handed_over(session: Session, p: HandedOver, event: EventFacts) -> None:
    _moved(session, p.handover.public_id, "in_custody", f"handed over from {p.manifest_id}")


@part("custody.released")
def handed_back(session: Session, p: HandedBack, event: EventFacts) -> None:
    _moved(session, p.handover.public_id, p.outcome, f"handed back from {p.manifest_id}")


@part("custody.returned")
def returned(session: Session, p: ReturnedFromTransit, event: EventFacts) -> None:
    _moved(session, p.public_id, "returned", f"returned from {p.manifest_id} by order")


@part("custody.return_required")
def return_required(session: Session, p: ReturnRequired, event: EventFacts) -> None:
    _moved(session, p.public_id, "return_required", p.reason)
