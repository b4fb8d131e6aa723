"""What custody and transfer events oblige us to tell, and to whom: the outbox's only writer
besides the notify projections.

Mandatory notifications (ADR 0016) go on admission, transfer, serious illness or injury,
and death:
- to the person's contacts — those recorded at intake, or before intake the next of kin
  the sending state gave — unless the person asked that they not be told (Mandela Rules
  68-69; a death is told all the same: Rule 69 "shall at once inform");
- to the consulate of each nationality other than the host country's, unless the person
  declined it (VCCR art. 36(1)(b); a death is told all the same: art. 37(a));
- to counsel of record, named in the nomination.
Subscribers (VINE-style) hear of a status change, and only what the locator shows.

Each reaction reads the event's payload and state no later event changes before it
(the latest intake before the event, the nomination, the locator row the locator's own
reaction just wrote, the subscriptions confirmed before it), so replay owes exactly the
same messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import habeas.locator.reactions  # noqa: F401 - its reactions run first: ours read its rows
from habeas.custody.models import IntakeRecord, Prisoner
from habeas.custody.projections import (
    DeathRecorded,
    Escaped,
    HandedBack,
    HandedOver,
    IntakeRecorded,
    MedicalEmergency,
    Recaptured,
    ReturnedFromTransit,
)
from habeas.events import EventFacts, reaction, staged
from habeas.facilities.models import Facility
from habeas.locator.models import LocatorEntry
from habeas.locator.service import adult_born_by
from habeas.nominations.models import NominationRecord
from habeas.notify import outbox
from habeas.notify.models import Consulate, Subscription
from habeas.notify.outbox import Draft
from habeas.transfers.models import Manifest
from habeas.transfers.projections import TransferDeparted

LOCALES = ("en", "es")  # the languages the templates speak (habeas.notify.templates)


def locale_for(language: str | None) -> str:
    """locale_for: the person's language when the templates speak it, English otherwise."""
    return language if language in LOCALES else "en"


@dataclass(frozen=True)
class Wishes:
    """Wishes: whom the person gave as contacts and what they asked about notifications."""

    contacts: list[dict[str, Any]]
    language: str | None
    do_not_notify: bool = False
    do_not_notify_consulate: bool = False


def _wishes(session: Session, public_id: str, before: int,
            record: NominationRecord | None) -> Wishes:
    # The latest intake before this event; before intake, the sending state's next of kin.
    intake = session.scalars(select(IntakeRecord).where(
        IntakeRecord.public_id == public_id, IntakeRecord.seq < before)
        .order_by(IntakeRecord.seq.desc()).limit(1)).first()
    if intake is not None:
        return Wishes(list(intake.contacts), intake.language, intake.do_not_notify,
                      intake.do_not_notify_consulate)
    if record is None:
        return Wishes([], None)
    return Wishes(list(record.data.get("next_of_kin") or []),
                  record.data["person"].get("language"))


def _facility(session: Session, code: str) -> Facility:
    facility = staged(session, Facility, code)
    assert facility is not None, f"facility {code} is registered first"
    return facility


def _day(facility: Facility, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(facility.timezone)).date().isoformat()


def _place(facility: Facility) -> dict[str, str]:
    return {"name": facility.name, "address": facility.address, "phone": facility.phone}


def mandatory(session: Session, event: EventFacts, *, public_id: str, reason: str,
              facility: Facility, custodian: str, moment: datetime,
              extra: dict[str, Any] | None = None, wishes: Wishes | None = None
              ) -> list[Draft]:
    """mandatory: the messages REASON owes about PUBLIC_ID — contacts, consulates, counsel."""
    record = staged(session, NominationRecord, public_id)
    prisoner = staged(session, Prisoner, public_id)
    if record is None and prisoner is None:
        return []
    wishes = wishes or _wishes(session, public_id, event.seq, record)
    if record is not None:
        name = f"{record.given_names} {record.family_name}"
    else:
        assert prisoner is not None
        name = f"{prisoner.given_names} {prisoner.family_name}"
    params: dict[str, Any] = {"name": name, "date": _day(facility, moment),
                              "facility": _place(facility), "country": facility.country,
                              "custodian": custodian, **(extra or {})}
    always = reason == "death"
    drafts: list[Draft] = []
    if always or not wishes.do_not_notify:
        for contact in wishes.contacts:
            if contact.get("email"):
                drafts.append(Draft(
                    kind="mandatory", reason=reason, audience="family", channel="email",
                    recipient=contact["email"], recipient_name=contact.get("name"),
                    locale=locale_for(wishes.language), subject=public_id, params=params))
    if record is None:
        return drafts  # a domestic prisoner: no nationality or counsel on file
    counsel = record.data.get("counsel") or {}
    if counsel.get("email"):
        drafts.append(Draft(
            kind="mandatory", reason=reason, audience="counsel", channel="email",
            recipient=counsel["email"], recipient_name=counsel.get("name"), locale="en",
            subject=public_id, params={**params, "reference": record.external_ref}))
    if always or not wishes.do_not_notify_consulate:
        for nationality in sorted(set(record.nationalities) - {facility.country}):
            consulate = staged(session, Consulate, (nationality, facility.country))
            if consulate is None:
                continue
            drafts.append(Draft(
                kind="mandatory", reason=reason, audience="consulate",
                channel=consulate.channel, recipient=consulate.address,
                recipient_name=consulate.name, locale=consulate.locale, subject=public_id,
                params={**params, "nationality": nationality,
                        "date_of_birth": record.date_of_birth.isoformat()}))
    return drafts


def subscribers(session: Session, public_id: str) -> list[Draft]:
    """subscribers: a status update for each active subscription to PUBLIC_ID, saying only
    what the locator's row says (name, status, since, facility, legal custodian)."""
    entry = staged(session, LocatorEntry, public_id)
    if entry is None or entry.date_of_birth > adult_born_by(entry.status_changed_on):
        return []  # not findable, so nobody can have subscribed (and never a minor)
    subscriptions = list(session.scalars(select(Subscription).where(
        Subscription.public_id == public_id, Subscription.status == "active")
        .order_by(Subscription.requested_at, Subscription.id)))
    if not subscriptions:
        return []
    facility = _facility(session, entry.facility_code)
    params = {"name": f"{entry.given_names} {entry.family_name}", "status": entry.status,
              "since": entry.status_changed_on.isoformat(), "facility": _place(facility),
              "custodian": entry.legal_custodian}
    return [Draft(kind="subscription", reason="status", audience="subscriber",
                  channel=s.channel, recipient=s.address, locale=s.locale, subject=public_id,
                  params=params, subscription_id=s.id) for s in subscriptions]


def _owe(session: Session, event: EventFacts, drafts: Iterable[Draft]) -> None:
    outbox.add(session, event, drafts)


@reaction("intake.recorded")
def on_admission(session: Session, p: IntakeRecorded, event: EventFacts) -> None:
    prisoner = staged(session, Prisoner, p.public_id)
    assert prisoner is not None
    intake = p.intake
    # This event's own intake record is not flushed yet: the payload says the same.
    wishes = Wishes([c.model_dump(mode="json") for c in intake.contacts], intake.language,
                    intake.do_not_notify, intake.do_not_notify_consulate)
    _owe(session, event, mandatory(
        session, event, public_id=p.public_id, reason="admission",
        facility=_facility(session, prisoner.facility_code),
        custodian=prisoner.legal_custodian, moment=event.occurred_at, wishes=wishes))


@reaction("transfer.departed")
def on_departed(session: Session, p: TransferDeparted, event: EventFacts) -> None:
    manifest = staged(session, Manifest, p.manifest_id)
    assert manifest is not None
    facility = _facility(session, manifest.facility_code)
    drafts: list[Draft] = []
    for person in p.boarded:
        record = staged(session, NominationRecord, person.public_id)
        assert record is not None
        drafts += mandatory(session, event, public_id=person.public_id, reason="transfer",
                            facility=facility, custodian=record.sending_party,
                            moment=p.departed_at, extra={"direction": manifest.direction})
        drafts += subscribers(session, person.public_id)
    _owe(session, event, drafts)


@reaction("custody.medical_emergency")
def on_medical_emergency(session: Session, p: MedicalEmergency, event: EventFacts) -> None:
    prisoner = staged(session, Prisoner, p.public_id)
    assert prisoner is not None
    # Never the clinical details (Rules 26, 32): only that it is serious and where.
    _owe(session, event, mandatory(
        session, event, public_id=p.public_id, reason="illness",
        facility=_facility(session, prisoner.facility_code),
        custodian=prisoner.legal_custodian, moment=p.at,
        extra={"nature": p.nature, "treated_at": p.treated_at}))


@reaction("custody.death")
def on_death(session: Session, p: DeathRecorded, event: EventFacts) -> None:
    prisoner = staged(session, Prisoner, p.public_id)
    assert prisoner is not None
    drafts = mandatory(session, event, public_id=p.public_id, reason="death",
                       facility=_facility(session, prisoner.facility_code),
                       custodian=prisoner.legal_custodian, moment=p.died_at)
    _owe(session, event, drafts + subscribers(session, p.public_id))


def _status_change(session: Session, event: EventFacts, public_id: str) -> None:
    _owe(session, event, subscribers(session, public_id))


@reaction("custody.handed_over")
def on_handed_over(session: Session, p: HandedOver, event: EventFacts) -> None:
    _status_change(session, event, p.handover.public_id)


@reaction("custody.released")
def on_handed_back(session: Session, p: HandedBack, event: EventFacts) -> None:
    _status_change(session, event, p.handover.public_id)


@reaction("custody.returned")
def on_returned(session: Session, p: ReturnedFromTransit, event: EventFacts) -> None:
    # Stopped by a court order in transit and flown back, never handed over: those told of
    # the departure are told of the return.
    manifest = staged(session, Manifest, p.manifest_id)
    record = staged(session, NominationRecord, p.public_id)
    assert manifest is not None and record is not None
    drafts = mandatory(session, event, public_id=p.public_id, reason="transfer",
                       facility=_facility(session, manifest.facility_code),
                       custodian=record.sending_party, moment=p.returned_at,
                       extra={"direction": "stopped"})
    _owe(session, event, drafts + subscribers(session, p.public_id))


@reaction("custody.escape")
def on_escape(session: Session, p: Escaped, event: EventFacts) -> None:
    _status_change(session, event, p.public_id)


@reaction("custody.recaptured")
def on_recaptured(session: Session, p: Recaptured, event: EventFacts) -> None:
    _status_change(session, event, p.public_id)


# What rebuild_outbox runs for each event type (only ours: other domains' reactions to the
# same events must not run twice).
REACTIONS = {
    "intake.recorded": on_admission, "transfer.departed": on_departed,
    "custody.medical_emergency": on_medical_emergency, "custody.death": on_death,
    "custody.handed_over": on_handed_over, "custody.released": on_handed_back,
    "custody.returned": on_returned, "custody.escape": on_escape,
    "custody.recaptured": on_recaptured,
}
EVENT_TYPES = tuple(REACTIONS)
