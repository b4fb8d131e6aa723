"""The person file: who is held, on what convictions, until when and why, where, and every
fact about them on the custody ledger.

Thin, as the other pages: load, scope to a sending user's own people (DESIGN.md §2),
record the read (Mandela Rule 9), render. Each query is one per table, never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.agreements import service as agreements
from habeas.agreements.models import Agreement
from habeas.agreements.terms import term_end
from habeas.api.deps import engine_of
from habeas.auth import service as auth
from habeas.auth.models import Role
from habeas.auth.permissions import Action, allowed
from habeas.auth.service import Principal
from habeas.counsel import service as counsel
from habeas.custody import service as custody
from habeas.custody import timeline as timelines
from habeas.custody.models import Contact, Death, Prisoner, Solitary
from habeas.custody.records import PROLONGED_SOLITARY_DAYS
from habeas.db import unit_of_work, utcnow
from habeas.errors import DomainError, NotFound, field_error
from habeas.facilities import housing
from habeas.facilities.service import PRESENT
from habeas.i18n import N_
from habeas.ledger.models import Event
from habeas.nominations.models import NominationRecord
from habeas.oversight import service as oversight
from habeas.oversight.schemas import FilerRole, GrievanceCategory, GrievanceIn
from habeas.validation import describe
from habeas.web import labels, nominations
from habeas.web.common import (
    Problem,
    day_of,
    form_principal,
    navigation,
    page_principal,
    problem_of,
    templates,
)
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
FILER_LABELS = {"detained_person": N_("detained person"), "counsel": N_("counsel"),
                "family": N_("family"), "staff": N_("staff"), "monitor": N_("monitor")}
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
    return _person_page(request, principal, public_id, page=page,
                        filed=request.query_params.get("filed"))


GRIEVANCE_FIELDS = ("filed_by_role", "filed_by_name", "category", "text",
                    "alleges_ill_treatment", "concerns_staff")
# Who files, by the filer's role: counsel for a client, a monitor, staff for the person.
FILER_OF = {Role.COUNSEL: FilerRole.COUNSEL, Role.MONITOR: FilerRole.MONITOR,
            Role.RECEIVING: FilerRole.DETAINED_PERSON}


def _person_page(request: Request, principal: Principal, public_id: str, *, page: int = 1,
                 problem: Problem | None = None, entered: dict[str, str] | None = None,
                 filed: str | None = None) -> Response:
    with unit_of_work(engine_of(request)) as db:
        try:
            p = custody.get_file(db, public_id, principal)
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
        # Counsel reached this line only as counsel of record: it sees its client's
        # grievances (their state, not their text) and files new ones from here.
        sees_grievances = may_oversee or principal.role is Role.COUNSEL
        may_file = (allowed(principal.role, Action.FILE_GRIEVANCES)
                    and p.status in PRESENT)
        # Holding the person past the agreement's term: one state proposes, the other
        # accepts (DESIGN.md §12.1); the proposals about them, newest first.
        terms = agreements.list_changes(db, agreement.ref, party=principal.party_code,
                                        subject=public_id) if agreement else []
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
            if sees_grievances else [],
            may_oversee=may_oversee, sees_grievances=sees_grievances, may_file=may_file,
            categories=[c.value for c in GrievanceCategory],
            filer_roles=[r.value for r in FilerRole], filer_labels=FILER_LABELS,
            counsel_of_record=counsel.of_person(db, public_id), problem=problem,
            fields=GRIEVANCE_FIELDS, filed=filed,
            form={"filed_by_role": FILER_OF.get(principal.role, FilerRole.STAFF).value,
                  "filed_by_name": principal.display_name, "category": "other",
                  "text": "", "alleges_ill_treatment": "", "concerns_staff": "",
                  "until": "", "term_reason": ""} | (entered or {}),
            terms=terms, term_times=agreements.change_times(db, terms),
            change_kinds=labels.CHANGE_KINDS, change_statuses=labels.CHANGE_STATUS,
            may_propose_term=allowed(principal.role, Action.RENEW_TERMS)
            and agreement is not None and p.status in PRESENT,
            may_decide=allowed(principal.role, Action.DECIDE_AGREEMENT_CHANGES),
            may_intake=allowed(principal.role, Action.RECORD_INTAKE)),
            status_code=problem.status if problem else 200)


@router.post("/people/{public_id}/grievances", response_class=HTMLResponse)
def grievance_form(request: Request, public_id: str, filed_by_role: str = Form(""),
                   filed_by_name: str = Form(""), category: str = Form(""),
                   text: str = Form(""), alleges_ill_treatment: str = Form(""),
                   concerns_staff: str = Form(""), csrf: str = Form("")) -> Response:
    """grievance_form: counsel of record (or staff, or a monitor) files a request or
    complaint for the person (Mandela Rules 56-57); the service decides who may."""
    principal = form_principal(request, "/people/{public_id}/grievances", csrf)
    if isinstance(principal, Response):
        return principal
    entered = {"filed_by_role": filed_by_role, "filed_by_name": filed_by_name,
               "category": category, "text": text,
               "alleges_ill_treatment": alleges_ill_treatment,
               "concerns_staff": concerns_staff}
    try:
        try:
            grievance = GrievanceIn.model_validate({
                "public_id": public_id, "category": category, "text": text,
                "filed_by": {"role": filed_by_role, "name": filed_by_name},
                "alleges_ill_treatment": alleges_ill_treatment == "yes",
                "concerns_staff": [n.strip() for n in concerns_staff.split(",")
                                   if n.strip()]})
        except ValidationError as exc:
            path, said = describe(exc.errors()[0])
            raise field_error(path.replace(".", "_"), said) from None
        with unit_of_work(engine_of(request)) as db:
            seq = oversight.file_grievance(db, grievance, by=principal).seq
    except NotFound as exc:
        return templates.TemplateResponse(request, "error.html", _context(
            principal, message=exc.message, code=exc.code.value, title=N_("Not found")),
            status_code=404)
    except DomainError as exc:
        return _person_page(request, principal, public_id, entered=entered,
                            problem=problem_of("grievance", exc))
    return RedirectResponse(f"/people/{public_id}?filed={seq}#grievances", status_code=303)


@router.post("/people/{public_id}/renewal", response_class=HTMLResponse)
def term_form(request: Request, public_id: str, until: str = Form(""),
              reason: str = Form(""), csrf: str = Form("")) -> Response:
    """term_form: a state of the person's agreement proposes holding them past its term,
    until a day; in force once the other state accepts (habeas.agreements.service.renew_term
    says who may; another agreement's state reads the person as not found)."""
    principal = form_principal(request, "/people/{public_id}/renewal", csrf)
    if isinstance(principal, Response):
        return principal
    entered = {"until": until, "term_reason": reason}
    try:
        with unit_of_work(engine_of(request)) as db:
            agreements.renew_term(db, public_id, until=day_of(until, "until"),
                               reason=reason.strip(), actor=principal.actor,
                               party=principal.party_code)
    except NotFound as exc:
        return templates.TemplateResponse(request, "error.html", _context(
            principal, message=exc.message, code=exc.code.value, title=N_("Not found")),
            status_code=404)
    except DomainError as exc:
        return _person_page(request, principal, public_id, entered=entered,
                            problem=problem_of("term", exc, {"reason": "term_reason"}))
    return RedirectResponse(f"/people/{public_id}?proposed=1#term", status_code=303)
