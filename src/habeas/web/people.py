"""The person file: who is held, on what convictions, until when and why, where, and every
fact about them on the custody ledger.

Thin, as the other pages: load, scope to a sending user's own people (DESIGN.md §2),
record the read (Mandela Rule 9), render. Each query is one per table, never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.agreements.terms import term_end
from habeas.api.deps import engine_of
from habeas.auth import service as auth
from habeas.auth.permissions import Action, allowed
from habeas.auth.service import Principal
from habeas.custody import service as custody
from habeas.custody import timeline as timelines
from habeas.custody.models import Contact, Death, Prisoner, Solitary
from habeas.custody.records import PROLONGED_SOLITARY_DAYS
from habeas.db import unit_of_work, utcnow
from habeas.errors import DomainError
from habeas.facilities import housing
from habeas.i18n import N_
from habeas.ledger.models import Event
from habeas.nominations.models import NominationRecord
from habeas.oversight import service as oversight
from habeas.web import labels, nominations
from habeas.web.common import navigation, page_principal, templates
from habeas.web.labels import Labels

router = APIRouter(include_in_schema=False)
HOUSING_EVENTS = ("population.admitted", "housing.assigned", "housing.moved")
# The file shows the latest of these; the timeline pages through every one.
STAYS_SHOWN = 50
CONTACTS_SHOWN = 50
# Each stored code the file shows, and its label (translated where shown).
STAY_KINDS = Labels({"population.admitted": N_("admitted"),
                     "housing.assigned": N_("assigned"), "housing.moved": N_("moved")})
BOND_STATUSES = Labels({"open": N_("open"), "closed": N_("closed")})
CONTACT_KINDS = Labels({"family": N_("family"), "legal": N_("legal"),
                        "consular": N_("consular")})
CONTACT_MODES = Labels({"visit": N_("visit"), "call": N_("call"), "video": N_("video call"),
                        "letter": N_("letter")})
# The duties a death in custody starts, as habeas.custody.records.DEATH_OBLIGATIONS
# words them.
DUTIES = Labels({duty: duty for duty in (
    N_("notify the next of kin at once (Mandela Rule 69)"),
    N_("notify the consulate of the person's state of nationality (VCCR art. 37(a))"),
    N_("report to a judicial or other competent authority independent of the prison "
       "administration, which opens an investigation (Mandela Rule 71(1))"),
    N_("preserve the body and all evidence; hand the body to the family (Rule 72)"))})
LABELS = {**nominations.LABELS, "custody": labels.PRISONER_STATUS,
          "kind": labels.PRISONER_KIND, "legal_status": labels.LEGAL_STATUS,
          "sex": labels.SEX, "security": labels.SECURITY_LEVEL,
          "basis": labels.AFFILIATION_BASIS, "stay": STAY_KINDS,
          "level": labels.SEPARATION_LEVEL, "bond": BOND_STATUSES,
          "contact_kind": CONTACT_KINDS, "contact_mode": CONTACT_MODES,
          "grievance_category": labels.GRIEVANCE_CATEGORY,
          "grievance_status": labels.GRIEVANCE_STATUS,
          "duty": DUTIES}


def _context(principal: Principal, **extra: Any) -> dict[str, Any]:
    return {"principal": principal, "nav": navigation(principal), "labels": LABELS, **extra}


def openable(db: Session, principal: Principal, people: Iterable[str]) -> set[str]:
    """openable: which of PEOPLE this principal may open the file of (one query).

    Files need READ_CUSTODY; a sending user opens only those in its legal custody.
    """
    wanted = sorted(set(people))
    if not wanted or not allowed(principal.role, Action.READ_CUSTODY):
        return set()
    query = select(Prisoner.public_id).where(Prisoner.public_id.in_(wanted))
    if principal.scope is not None:
        query = query.where(Prisoner.legal_custodian == principal.scope)
    return set(db.scalars(query))


@dataclass(frozen=True)
class Stay:
    """Stay is one line of the housing history: where, from when, and the event that says so."""

    seq: int
    type: str
    occurred_at: Any
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


@router.get("/people/{public_id}", response_class=HTMLResponse)
def person_page(request: Request, public_id: str,
                page: int = Query(default=1)) -> Response:
    """person_page: the custody file of one person and page PAGE of their timeline (out
    of range: the nearest page); opening it is recorded (Rule 9)."""
    principal = page_principal(request, "/people/{public_id}")
    if isinstance(principal, Response):
        return principal
    with unit_of_work(engine_of(request)) as db:
        try:
            p = custody.get_prisoner(db, public_id, principal.scope)
        except DomainError as exc:
            return templates.TemplateResponse(request, "error.html", _context(
                principal, message=exc.message, code=exc.code.value,
        title=N_("Not found") if exc.status == 404 else N_("Refused")), status_code=exc.status)
        nomination = db.get(NominationRecord, public_id)
        data = nomination.data if nomination is not None else {}
        agreement = db.get(Agreement, nomination.agreement_ref) if nomination else None
        timeline = timelines.timeline(db, public_id, data or None, page=page)
        bonds = housing.non_associations_of(db, public_id)
        others = {n.person_b if n.person_a == public_id else n.person_a for n in bonds}
        may_oversee = allowed(principal.role, Action.READ_OVERSIGHT)
        # Opening a person's file is recorded: who, when, why (Mandela Rule 9).
        auth.record_read(db, principal, kind="prisoner", record_id=public_id, channel="web",
                         purpose="custody file")
        return templates.TemplateResponse(request, "person.html", _context(
            principal, p=p, n=nomination, data=data, agreement=agreement,
            term_ends=term_end(agreement.starts_on, agreement.term_months) if agreement
            else None, convictions=data.get("convictions") or [],
            intake=custody.latest_intake(db, public_id),
            stays=latest_stays(db, public_id), timeline=timeline, bonds=bonds,
            may_open=openable(db, principal, others),
            solitary=episodes(db, public_id),
            contacts=list(db.scalars(select(Contact).where(Contact.public_id == public_id)
                                     .order_by(Contact.on.desc(), Contact.seq.desc())
                                     .limit(CONTACTS_SHOWN))),
            death=db.get(Death, public_id),
            grievances=oversight.list_grievances(db, scope=principal.scope,
                                                 public_id=public_id)
            if may_oversee else [],
            may_oversee=may_oversee, may_intake=allowed(principal.role, Action.RECORD_INTAKE)))
