"""How transfer and custody events keep the locator's index: the only writer of
locator_entry and locator_document.

Only a transferee who has left under an agreement is findable — never a mere
nomination, never a domestic prisoner (ADR 0015). A person enters the index when
an outbound manifest departs with them, and every later event that changes what
the public may see updates their row. Each reaction reads the event's payload and
facts that no later event changes (the manifest's facility and direction, the
nomination's identity once it is accepted, the legal custodian set at handover),
so running the reactions over the ledger again (`rebuild_index`) gives the same
rows as the live run did.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from habeas.custody.projections import (
    DeathRecorded,
    Escaped,
    HandedBack,
    HandedOver,
    Recaptured,
    ReturnedFromTransit,
)
from habeas.events import Applier, EventFacts, reaction, stage, staged
from habeas.facilities.models import Facility
from habeas.locator.models import LocatorDocument, LocatorEntry
from habeas.locator.normalise import identifier_key, name_key
from habeas.nominations.models import NominationRecord
from habeas.transfers.models import Manifest
from habeas.transfers.projections import TransferDeparted


def local_day(session: Session, facility_code: str, moment: datetime) -> date:
    """local_day is MOMENT's date at the facility (custody days are local days, DESIGN.md §8)."""
    facility = staged(session, Facility, facility_code)
    assert facility is not None, f"facility {facility_code} is registered first"
    return moment.astimezone(ZoneInfo(facility.timezone)).date()


def _entry(session: Session, public_id: str) -> LocatorEntry | None:
    return staged(session, LocatorEntry, public_id)


def _index(session: Session, record: NominationRecord, manifest: Manifest,
           day: date) -> None:
    """_index adds a person leaving on an outbound manifest, keyed by name and identifiers."""
    person = record.data["person"]
    stage(session, LocatorEntry(
        public_id=record.public_id, family_name=record.family_name,
        given_names=record.given_names, family_key=name_key(record.family_name),
        given_key=name_key(record.given_names), birth_country=person["country_of_birth"],
        date_of_birth=record.date_of_birth, external_ref_key=identifier_key(record.external_ref),
        status="in_transit", facility_code=manifest.facility_code,
        legal_custodian=record.sending_party, status_changed_on=day), record.public_id)
    keys = {identifier_key(d["number"]) for d in person.get("documents", [])}
    for key in sorted(k for k in keys if k):
        stage(session, LocatorDocument(public_id=record.public_id, number_key=key),
              (record.public_id, key))


def _set(entry: LocatorEntry, status: str, day: date) -> None:
    # The date is of the last change of what the public sees, so a step that keeps the
    # status (a return ordered while in custody) leaves it alone.
    if entry.status != status:
        entry.status, entry.status_changed_on = status, day


@reaction("transfer.departed")
def on_departed(session: Session, p: TransferDeparted, event: EventFacts) -> None:
    manifest = staged(session, Manifest, p.manifest_id)
    assert manifest is not None
    day = local_day(session, manifest.facility_code, p.departed_at)
    for person in p.boarded:
        entry = _entry(session, person.public_id)
        if entry is None:
            if manifest.direction != "outbound":
                continue  # not a transferee the index knows (never handed over by us)
            record = staged(session, NominationRecord, person.public_id)
            assert record is not None
            _index(session, record, manifest, day)
        else:
            _set(entry, "in_transit", day)


@reaction("custody.handed_over")
def on_handed_over(session: Session, p: HandedOver, event: EventFacts) -> None:
    entry = _entry(session, p.handover.public_id)
    if entry is None:
        return
    entry.facility_code, entry.legal_custodian = p.physical_custodian, p.legal_custodian
    _set(entry, "in_custody", local_day(session, p.physical_custodian,
                                        p.handover.handed_over_at))


@reaction("custody.released")
def on_handed_back(session: Session, p: HandedBack, event: EventFacts) -> None:
    entry = _entry(session, p.handover.public_id)
    if entry is None:
        return
    status = "returned" if p.outcome == "returned" else "released"
    _set(entry, status, local_day(session, entry.facility_code, p.handover.handed_over_at))


@reaction("custody.returned")
def on_returned(session: Session, p: ReturnedFromTransit, event: EventFacts) -> None:
    entry = _entry(session, p.public_id)
    if entry is None:
        return
    _set(entry, "returned", local_day(session, entry.facility_code, p.returned_at))


def _custody_change(session: Session, public_id: str, status: str, at: datetime) -> None:
    entry = _entry(session, public_id)
    if entry is None:
        return  # a domestic prisoner: never in the locator
    _set(entry, status, local_day(session, entry.facility_code, at))


@reaction("custody.death")
def on_death(session: Session, p: DeathRecorded, event: EventFacts) -> None:
    _custody_change(session, p.public_id, "deceased", p.died_at)


@reaction("custody.escape")
def on_escape(session: Session, p: Escaped, event: EventFacts) -> None:
    _custody_change(session, p.public_id, "escaped", p.at)


@reaction("custody.recaptured")
def on_recaptured(session: Session, p: Recaptured, event: EventFacts) -> None:
    _custody_change(session, p.public_id, "in_custody", p.at)


# What rebuild_index runs for each event type (only the locator's own reactions: other
# domains' reactions to the same events must not run twice).
REACTIONS: dict[str, Applier] = {
    "transfer.departed": on_departed, "custody.handed_over": on_handed_over,
    "custody.released": on_handed_back, "custody.returned": on_returned,
    "custody.death": on_death, "custody.escape": on_escape,
    "custody.recaptured": on_recaptured,
}
EVENT_TYPES = tuple(REACTIONS)
