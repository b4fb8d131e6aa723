"""The person file: who is held, on what convictions, until when and why, where, and every
fact about them on the custody ledger.

Thin, as the other pages: load, scope to a sending user's own people (DESIGN.md §2),
record the read (Mandela Rule 9), render. Each query is one per table, never one per row.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habeas.agreements import service as agreements
from habeas.agreements.terms import term_end
from habeas.api.deps import engine_of
from habeas.auth import audit
from habeas.auth.models import Role
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.counsel import service as counsel
from habeas.custody import file_reads
from habeas.custody import service as custody
from habeas.custody import timeline as timelines

# web/billing.py imports it from here; the domain's, until that page imports it itself.
from habeas.db import unit_of_work
from habeas.errors import DomainError, NotFound
from habeas.facilities import housing
from habeas.facilities.service import PRESENT
from habeas.i18n import N_
from habeas.oversight import service as oversight
from habeas.oversight.schemas import FilerRole, GrievanceCategory, GrievanceIn
from habeas.validation import parse_or_422
from habeas.web import labels, nominations
from habeas.web.common import (
    FormUser,
    PageUser,
    Problem,
    day_of,
    page,
    problem_of,
    refusal_page,
)
from habeas.web.labels import Labels

router = APIRouter(include_in_schema=False)
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


@router.get("/people/{public_id}", response_class=HTMLResponse)
def person_page(request: Request, principal: PageUser, public_id: str,
                page: int = Query(default=1)) -> Response:
    """person_page: the custody file of one person and page PAGE of their timeline (out
    of range: the nearest page); opening it is recorded (Rule 9)."""
    return _person_page(request, principal, public_id, timeline_page=page,
                        filed=request.query_params.get("filed"))


GRIEVANCE_FIELDS = ("filed_by_role", "filed_by_name", "category", "text",
                    "alleges_ill_treatment", "concerns_staff")
# Who files, by the filer's role: counsel for a client, a monitor, staff for the person.
FILER_OF = {Role.COUNSEL: FilerRole.COUNSEL, Role.MONITOR: FilerRole.MONITOR,
            Role.RECEIVING: FilerRole.DETAINED_PERSON}


def _person_page(request: Request, principal: Principal, public_id: str, *,
                 timeline_page: int = 1,
                 problem: Problem | None = None, entered: dict[str, str] | None = None,
                 filed: str | None = None) -> Response:
    with unit_of_work(engine_of(request)) as db:
        try:
            p = custody.get_file(db, public_id, principal)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        nomination = file_reads.nomination_of(db, public_id)
        data = nomination.data if nomination is not None else {}
        agreement = file_reads.agreement_of(db, nomination)
        timeline = timelines.timeline(db, public_id, data or None, page=timeline_page)
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
        audit.record_read(db, principal, kind="prisoner", record_id=public_id, channel="web",
                         purpose="custody file")
        return page(
            request, principal, "person.html", status_code=problem.status if problem else 200,
            labels=LABELS, p=p, n=nomination, data=data, agreement=agreement,
            term_ends=term_end(agreement.starts_on, agreement.term_months) if agreement
            else None, convictions=data.get("convictions") or [],
            intake=custody.latest_intake(db, public_id),
            stays=file_reads.latest_stays(db, public_id), timeline=timeline, bonds=bonds,
            may_open=file_reads.openable(db, principal, others),
            solitary=file_reads.episodes(db, public_id),
            contacts=file_reads.latest_contacts(db, public_id),
            death=file_reads.death_of(db, public_id),
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
            may_intake=allowed(principal.role, Action.RECORD_INTAKE))


@router.post("/people/{public_id}/grievances", response_class=HTMLResponse)
def grievance_form(request: Request, principal: FormUser, public_id: str,
                   filed_by_role: str = Form(""), filed_by_name: str = Form(""),
                   category: str = Form(""), text: str = Form(""),
                   alleges_ill_treatment: str = Form(""),
                   concerns_staff: str = Form("")) -> Response:
    """grievance_form: counsel of record (or staff, or a monitor) files a request or
    complaint for the person (Mandela Rules 56-57); the service decides who may."""
    entered = {"filed_by_role": filed_by_role, "filed_by_name": filed_by_name,
               "category": category, "text": text,
               "alleges_ill_treatment": alleges_ill_treatment,
               "concerns_staff": concerns_staff}
    try:
        # The form names a nested field by its path with underscores (filed_by_role).
        grievance = parse_or_422(GrievanceIn, {
            "public_id": public_id, "category": category, "text": text,
            "filed_by": {"role": filed_by_role, "name": filed_by_name},
            "alleges_ill_treatment": alleges_ill_treatment == "yes",
            "concerns_staff": [n.strip() for n in concerns_staff.split(",") if n.strip()]},
            rename=lambda path: path.replace(".", "_"))
        with unit_of_work(engine_of(request)) as db:
            seq = oversight.file_grievance(db, grievance, by=principal).seq
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _person_page(request, principal, public_id, entered=entered,
                            problem=problem_of("grievance", exc))
    return RedirectResponse(f"/people/{public_id}?filed={seq}#grievances", status_code=303)


@router.post("/people/{public_id}/renewal", response_class=HTMLResponse)
def term_form(request: Request, principal: FormUser, public_id: str, until: str = Form(""),
              reason: str = Form("")) -> Response:
    """term_form: a state of the person's agreement proposes holding them past its term,
    until a day; in force once the other state accepts (habeas.agreements.service.renew_term
    says who may; another agreement's state reads the person as not found)."""
    entered = {"until": until, "term_reason": reason}
    try:
        with unit_of_work(engine_of(request)) as db:
            agreements.renew_term(db, public_id, until=day_of(until, "until"),
                               reason=reason.strip(), actor=principal.actor,
                               party=principal.party_code)
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _person_page(request, principal, public_id, entered=entered,
                            problem=problem_of("term", exc, {"reason": "term_reason"}))
    return RedirectResponse(f"/people/{public_id}?proposed=1#term", status_code=303)
