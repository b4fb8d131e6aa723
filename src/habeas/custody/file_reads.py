"""Reads for a person's file and the intake form: what the sending state said, where the
person was housed, their solitary confinement, contacts and death, and whose files a reader
may open. Each is one query per table, never one per row; the faces only render them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.auth.models import Role
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.counsel import service as counsel
from habeas.custody.models import Contact, Death, Prisoner, Solitary
from habeas.custody.records import PROLONGED_SOLITARY_DAYS
from habeas.db import utcnow
from habeas.ledger.models import Event
from habeas.nominations.models import NominationRecord
from habeas.transfers.models import ManifestPerson

HOUSING_EVENTS = ("population.admitted", "housing.assigned", "housing.moved")
# The file shows the latest of these; the timeline pages through every one.
STAYS_SHOWN = 50
CONTACTS_SHOWN = 50


def openable(db: Session, principal: Principal, people: Iterable[str]) -> set[str]:
    """openable: which of PEOPLE this principal may open the file of (one query).

    A sending user opens only those in its legal custody, counsel only its clients.
    """
    wanted = sorted(set(people))
    if not wanted or not allowed(principal.role, Action.READ_PERSON_FILE):
        return set()
    if principal.role is Role.COUNSEL:  # its clients of record only (DESIGN.md §12.1)
        wanted = sorted(set(wanted) & counsel.clients_of(db, principal))
        if not wanted:
            return set()
    query = select(Prisoner.public_id).where(Prisoner.public_id.in_(wanted))
    if principal.scope is not None:
        query = query.where(Prisoner.legal_custodian == principal.scope)
    return set(db.scalars(query))


def nomination_of(db: Session, public_id: str) -> NominationRecord | None:
    """nomination_of: what the sending state said of the person, if it nominated them."""
    return db.get(NominationRecord, public_id)


def agreement_of(db: Session, nomination: NominationRecord | None) -> Agreement | None:
    """agreement_of: the agreement NOMINATION was made under, if any."""
    return db.get(Agreement, nomination.agreement_ref) if nomination is not None else None


def handover_of(db: Session, public_id: str) -> ManifestPerson | None:
    """handover_of: the manifest line on which the person was handed over, awaiting intake."""
    return db.scalars(select(ManifestPerson).where(
        ManifestPerson.public_id == public_id,
        ManifestPerson.status == "handed_over")).first()


@dataclass(frozen=True)
class Stay:
    """Stay is one line of the housing history: where, from when, and the event that says so."""

    seq: int
    type: str
    occurred_at: datetime
    building: str
    cell: str
    reason: str


def housing_history(events: Iterable[Event]) -> list[Stay]:
    """housing_history: each admission, assignment and move among EVENTS, in their order."""
    return [Stay(e.seq, e.type, e.occurred_at, str(e.payload.get("building", "")),
                 str(e.payload.get("cell", "")), str(e.payload.get("reason") or ""))
            for e in events if e.type in HOUSING_EVENTS]


def latest_stays(db: Session, public_id: str, limit: int = STAYS_SHOWN) -> list[Stay]:
    """latest_stays: the person's last LIMIT admissions, assignments and moves, oldest first."""
    newest = db.scalars(select(Event).where(Event.subject == public_id,
                                            Event.type.in_(HOUSING_EVENTS))
                        .order_by(Event.seq.desc()).limit(limit))
    return housing_history(reversed(list(newest)))


def episodes(db: Session, public_id: str) -> list[tuple[Solitary, int, bool]]:
    """episodes: each solitary confinement with its length in days so far, and whether it
    is prolonged (more than 15 consecutive days, Mandela Rule 44)."""
    now = utcnow()
    found = []
    for episode in db.scalars(select(Solitary).where(Solitary.public_id == public_id)
                              .order_by(Solitary.seq)):
        days = ((episode.ended_at or now) - episode.started_at).days
        found.append((episode, days, days > PROLONGED_SOLITARY_DAYS))
    return found


def latest_contacts(db: Session, public_id: str, limit: int = CONTACTS_SHOWN) -> list[Contact]:
    """latest_contacts: the person's last LIMIT visits, calls and letters, newest first."""
    return list(db.scalars(select(Contact).where(Contact.public_id == public_id)
                           .order_by(Contact.on.desc(), Contact.seq.desc()).limit(limit)))


def death_of(db: Session, public_id: str) -> Death | None:
    """death_of: the record of the person's death in custody, if they died."""
    return db.get(Death, public_id)
