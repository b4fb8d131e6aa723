"""Nomination and court-order pages: list and filter, the rule trace, and the forms.

Thin, as the other pages: parse, call habeas.nominations.decisions / habeas.holds, render.
Stored codes (decisions, statuses, outcomes, kinds) are shown through the labels below,
translated where shown. A refused form comes back on the page with what was entered and
the refusal next to the field it names (habeas.web.common.Problem).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of
from habeas.auth import audit
from habeas.auth.principal import Principal
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import DomainError, field_error
from habeas.holds import reads as hold_reads
from habeas.holds import service as holds
from habeas.holds.schemas import HoldKind
from habeas.i18n import N_, format_day, format_number, gettext, locale_of
from habeas.nominations import decisions, files, service
from habeas.screening.rules import PERSON_RULES
from habeas.transfers import reads as transfer_reads
from habeas.web import labels
from habeas.web.common import FormUser, PageUser, Problem, page, problem_of, refusal_page
from habeas.web.labels import Labels
from habeas.web.paging import paginate

if TYPE_CHECKING:  # the record a form's use case acts on, as decisions.get returns it
    from habeas.nominations.models import NominationRecord

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


DECISIONS = Labels({"eligible": N_("eligible"), "ineligible": N_("ineligible"),
                    "review": N_("review"), "invalid": N_("invalid"),
                    "unchanged": N_("unchanged")})
# Whole phrases: the dashboard's stages already say "nominated", "accepted" of many.
STATUSES = Labels({"nominated": N_("nominated, awaiting a decision"),
                   "accepted": N_("accepted by the receiving state"),
                   "rejected": N_("rejected by the receiving state"),
                   "in_transit": N_("in transit"),
                   "in_custody": N_("in custody"), "return_required": N_("return ordered")})
# What each screening rule checks (habeas.screening.catalogue), shown beside its id.
RULE_CHECKS = Labels({
    "CONVICTED": N_("at least one conviction with a custodial sentence"),
    "FINAL_JUDGMENT": N_("no conviction relied on is under appeal"),
    "MIN_REMAINING": N_("enough of the sentence left to serve"),
    "NATIONALITY": N_("national of the receiving state"),
    "CONSENT": N_("the person's recorded, informed consent"),
    "DUAL_CRIMINALITY": N_("every offence is an offence in the receiving state"),
    "NO_PENDING_CHARGES": N_("no open charges in the sending state"),
    "ADULT": N_("18 or older on the as-of date"),
    "IDENTITY": N_("an identity document; MRZ check digits pass"),
    "NO_LEGAL_HOLD": N_("no active court order bars the transfer"),
    "NON_REFOULEMENT": N_("no protection order bars removal to the receiving country"),
    "NOTICE": N_("written notice served long enough before departure"),
    "QUOTA": N_("the agreement's person cap is not exceeded"),
    "CAPACITY": N_("forecast free places at the facility on the transfer date")})
# The catalogue's citations that say something in words; the rest are references.
CITATIONS = Labels({
    "the offer's own term; ETS 112 art. 3(1)(b); US IPTP req. 3":
        N_("the offer's own term; ETS 112 art. 3(1)(b); US IPTP req. 3"),
    "the 2025 memo": N_("the 2025 memo")})
METHODS = Labels({"in_person": N_("in person"), "counsel": N_("through counsel"),
                  "mail": N_("by mail"), "email": N_("by email")})
APPEALS = Labels({"none": N_("none"), "pending": N_("pending"), "exhausted": N_("exhausted"),
                  "unknown": N_("unknown"), "final": N_("final")})
SENTENCE_KINDS = Labels({"determinate": N_("determinate"), "life": N_("life"),
                         "indeterminate": N_("indeterminate")})
SUMMARY = Labels({"rows": N_("rows"), **DECISIONS})
# Who a court order covers, as its table says it ("person W-2").
COVERS = Labels({"external_ref": N_("person %(value)s"),
                 "nationality": N_("nationality %(value)s"),
                 "affiliation_group": N_("alleged group %(value)s"),
                 "status_in_sending_state": N_("status: %(value)s")})
LABELS = {"decision": DECISIONS, "status": STATUSES, "outcome": labels.OUTCOME,
          "checks": RULE_CHECKS, "citation": CITATIONS, "method": METHODS, "appeal": APPEALS,
          "sentence": SENTENCE_KINDS, "standing": labels.STANDING, "summary": SUMMARY,
          "hold_kind": labels.HOLD_KIND, "covers": COVERS}

# A screening rule's finding as habeas.screening.rules writes it, and the same in words a
# catalogue can translate: a <day> is a date, a <n> a count.
DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"
FINDINGS = tuple((re.compile(pattern), message) for pattern, message in (
    (r"(?P<n>\d+) conviction\(s\) with a custodial sentence",
     N_("%(n)s conviction(s) with a custodial sentence")),
    (r"no conviction with a custodial sentence", N_("no conviction with a custodial sentence")),
    (r"appeal pending in (?P<cases>.+)", N_("appeal pending in %(cases)s")),
    (r"appeal status unknown in (?P<cases>.+)", N_("appeal status unknown in %(cases)s")),
    (r"no judgment to be final", N_("no judgment to be final")),
    (r"every conviction relied on is final", N_("every conviction relied on is final")),
    (r"life or indeterminate sentence", N_("life or indeterminate sentence")),
    (r"no sentence to serve", N_("no sentence to serve")),
    (r"(?P<n>-?\d+) day\(s\) left to " + DAY + r"; (?P<needed>\d+) required",
     N_("%(n)s day(s) left to %(day)s; %(needed)s required")),
    (r"national of (?P<state>[A-Z]{3})", N_("national of %(state)s")),
    (r"not a national of (?P<state>[A-Z]{3})", N_("not a national of %(state)s")),
    (r"consent recorded", N_("consent recorded")),
    (r"consent refused on " + DAY, N_("consent refused on %(day)s")),
    (r"no consent recorded", N_("no consent recorded")),
    (r"the agreement has no offence table: a person must compare",
     N_("the agreement has no offence table: a person must compare")),
    (r"no equivalent offence for (?P<codes>.+)", N_("no equivalent offence for %(codes)s")),
    (r"every offence has an equivalent", N_("every offence has an equivalent")),
    (r"(?P<n>\d+) charge\(s\) pending", N_("%(n)s charge(s) pending")),
    (r"no charges pending", N_("no charges pending")),
    (r"18 on " + DAY, N_("18 on %(day)s")),
    (r"a minor until " + DAY, N_("a minor until %(day)s")),
    (r"no identity document", N_("no identity document")),
    (r"(?P<n>\d+) document\(s\)", N_("%(n)s document(s)")),
    (r"barred by (?P<orders>.+)", N_("barred by %(orders)s")),
    (r"no active court order bars the transfer", N_("no active court order bars the transfer")),
    (r"protected from removal to (?P<state>[A-Z]{3}) by (?P<orders>.+)",
     N_("protected from removal to %(state)s by %(orders)s")),
    (r"no order bars removal to (?P<state>[A-Z]{3})", N_("no order bars removal to %(state)s")),
    (r"no notice served", N_("no notice served")),
    (r"notice served (?P<n>-?\d+) day\(s\) before departure; (?P<needed>\d+) required",
     N_("notice served %(n)s day(s) before departure; %(needed)s required")),
    (r"(?P<n>\d+) of (?P<cap>\d+) places used", N_("%(n)s of %(cap)s places used")),
    (r"(?P<n>\d+) of no cap places used", N_("%(n)s places used, with no cap")),
    (r"quota of (?P<cap>\d+) reached", N_("quota of %(cap)s reached")),
    (r"(?P<n>\d+) place\(s\) forecast free", N_("%(n)s place(s) forecast free")),
    (r"no forecast free place", N_("no forecast free place")),
))
ACCEPTED_ON = re.compile(r"accepted on " + DAY)  # habeas.nominations.decisions.accept


def _in(lang: str, found: re.Match[str]) -> dict[str, str]:
    return {name: format_day(value, lang) if name == "day" else
            labels.orders_text(lang, value) if name == "orders" else
            format_number(int(value), lang) if value.lstrip("-").isdigit() else value
            for name, value in found.groupdict().items()}


def finding_text(lang: str, finding: str) -> Markup:
    """finding_text is a screening rule's finding in LANG; one this page cannot read is
    shown as the rule wrote it, marked as English (WCAG 2.2 SC 3.1.2)."""
    for pattern, message in FINDINGS:
        found = pattern.fullmatch(finding)
        if found:
            return escape(gettext(lang, message) % _in(lang, found))
    return Markup('<span lang="en">{}</span>').format(finding)


def findings(lang: str, messages: Iterable[str]) -> dict[str, Markup]:
    """findings: each of MESSAGES (rule findings) in LANG, by the message as stored."""
    return {m: finding_text(lang, m) for m in set(messages)}


def decided_text(lang: str, status: str, reason: str | None) -> str:
    """decided_text: why a nomination has its status; the date of an acceptance in LANG,
    a reason for rejecting as the receiving state wrote it."""
    found = ACCEPTED_ON.fullmatch(reason or "") if status == "accepted" else None
    return gettext(lang, N_("on %(day)s")) % _in(lang, found) if found else reason or ""


def _page(request: Request, principal: Principal, template: str, status_code: int = 200,
          **values: object) -> Response:
    """_page renders one of this group's pages, its stored codes shown through LABELS."""
    return page(request, principal, template, status_code=status_code, labels=LABELS,
                **values)


@router.get("/nominations", response_class=HTMLResponse)
def nominations_page(
    request: Request,
    principal: PageUser,
    decision: str | None = Query(default=None, pattern="^(eligible|ineligible|review)?$"),
    status: str | None = Query(default=None, pattern="^(nominated|accepted|rejected)?$"),
    rule: str | None = Query(default=None, pattern="^[A-Z_]*$"),
    nationality: str | None = Query(default=None, pattern="^[A-Z]{0,3}$"),
    page: int = Query(default=1, ge=1),
) -> Response:
    filters = service.Filters(party=principal.scope, decision=decision or None,
                              status=status or None, failed_rule=rule or None,
                              nationality=nationality or None)
    with read_session(engine_of(request)) as db:
        total = service.count_nominations(db, filters)
        rows = service.list_nominations(db, filters, limit=PAGE_SIZE,
                                        offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    query = {k: v for k, v in (("decision", decision), ("status", status), ("rule", rule),
                               ("nationality", nationality)) if v}
    return _page(request, principal, "nominations.html", rows=rows, total=total, page=page,
                 pages=pages, query=query, rules=list(PERSON_RULES), filters=filters)


# --- importing a file -------------------------------------------------------------------

NOT_A_DAY = N_("not a date: write it as YYYY-MM-DD")


def _import_page(request: Request, principal: Principal, *,
                 report: service.ImportReport | None = None, problem: Problem | None = None,
                 as_of: str = "", agreement: str = "") -> Response:
    lang = locale_of(request)
    reasons = findings(lang, [x["message"] for r in (report.results if report else [])
                              for x in r.reasons])
    with read_session(engine_of(request)) as db:
        # A choice only where there is one to make (service.choose_agreement's rule).
        choices = [a.ref for a in service.sending_agreements(db, principal.party_code)]
    return _page(request, principal, "nominations_import.html",
                 status_code=problem.status if problem else 200, report=report,
                 reasons=reasons, problem=problem, form={"as_of": as_of, "agreement": agreement},
                 agreements=choices if len(choices) > 1 else [])


@router.get("/nominations/import", response_class=HTMLResponse)
def import_page(request: Request, principal: PageUser) -> Response:
    return _import_page(request, principal)


@router.post("/nominations/import", response_class=HTMLResponse)
def import_file(request: Request, principal: FormUser, file: UploadFile = File(...),
                as_of: str = Form(""), agreement: str = Form("")) -> Response:
    try:
        try:
            day = date.fromisoformat(as_of) if as_of else utcnow().date()
        except ValueError:
            raise field_error("as_of", NOT_A_DAY) from None
        # One byte past the limit is enough to refuse the file as too large.
        rows = files.read_upload(file.filename or "",
                                 file.file.read(files.MAX_UPLOAD_BYTES + 1))
        with unit_of_work(engine_of(request)) as db:
            chosen = service.choose_agreement(db, principal.party_code, agreement or None)
            report = service.ImportReport(service.import_rows(db, chosen, rows, as_of=day,
                                                              actor=principal.actor))
    except DomainError as exc:
        problem = problem_of("import", exc)
        if exc.details.get("problem") == files.TOO_LARGE:
            problem = replace(problem, status=413)
        return _import_page(request, principal, problem=problem, as_of=as_of,
                            agreement=agreement)
    return _import_page(request, principal, report=report, as_of=as_of, agreement=agreement)


# --- one nomination: its rule trace, notice, and the receiving state's decision ---------

# A refusal of the notice form, translated where shown; the domain's own refusals are
# explained by habeas.web.common.explain.
NOT_SERVED_YET = N_("a notice is recorded once it is served: this date is in the future")
NOT_A_SERVICE_DAY = N_("give the day the notice was served, YYYY-MM-DD")
NOT_A_METHOD = N_("choose how the notice was delivered")
NOT_AN_ACCEPTANCE_DAY = N_("give the day of acceptance, YYYY-MM-DD")
# Refusals the domain words the same every time: the catalogue translates them.
DOMAIN_PROBLEMS = (N_("say why the nomination is rejected"), N_("say why the order is lifted"),
                   N_("expires is before issued"))


def _nomination_page(request: Request, principal: Principal, public_id: str, *,
                     problem: Problem | None = None,
                     entered: dict[str, str] | None = None) -> Response:
    lang = locale_of(request)
    with unit_of_work(engine_of(request)) as db:
        try:
            record = decisions.get(db, public_id, principal.scope)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        audit.record_read(db, principal, kind="nomination", record_id=public_id,
                         channel="web", purpose="nomination file")
        notice = decisions.latest_notice(db, public_id)
        person = record.data["person"]
        today = utcnow().date().isoformat()
        return _page(
            request, principal, "nomination.html", status_code=problem.status if problem else 200,
            n=record, person=person, data=record.data, notice=notice,
            reasons=findings(lang, [r["message"] for r in record.results]),
            decided=decided_text(lang, record.status, record.status_reason),
            problem=problem, form=entered or {
                "served_on": today, "language": person["language"], "method": "in_person",
                "acknowledged": "yes", "on": today, "reason": ""})


@router.get("/nominations/{public_id}", response_class=HTMLResponse)
def nomination_page(request: Request, principal: PageUser, public_id: str) -> Response:
    return _nomination_page(request, principal, public_id)


def _nomination_form(request: Request, principal: Principal, public_id: str, form: str,
                     entered: dict[str, str],
                     act: Callable[[Session, NominationRecord], None]) -> Response:
    """_nomination_form runs one form's use case, then shows the nomination again: at once
    on success, or with what was entered and the refusal by the field it names."""
    try:
        with unit_of_work(engine_of(request)) as db:
            record = decisions.get(db, public_id, principal.scope)
            act(db, record)
    except DomainError as exc:  # a nomination not found shows as such, with its status
        return _nomination_page(request, principal, public_id, problem=problem_of(form, exc),
                                entered=entered)
    return RedirectResponse(f"/nominations/{public_id}#{form}", status_code=303)


def served_day(text: str, today: date) -> date:
    """served_day: the day a notice was served, as the form gives it; never after TODAY."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise field_error("served_on", NOT_A_SERVICE_DAY) from None
    if day > today:
        raise field_error("served_on", NOT_SERVED_YET)
    return day


@router.post("/nominations/{public_id}/notice")
def notice_form(request: Request, principal: FormUser, public_id: str,
                served_on: str = Form(""), language: str = Form(""), method: str = Form(""),
                acknowledged: str = Form("")) -> Response:
    entered = {"served_on": served_on, "language": language, "method": method,
               "acknowledged": acknowledged, "on": "", "reason": ""}

    def act(db: Session, record: NominationRecord) -> None:
        day = served_day(served_on, utcnow().date())
        if method not in METHODS:
            raise field_error("method", NOT_A_METHOD)
        decisions.serve_notice(db, record, served_on=day, language=language.strip(),
                               method=method,  # type: ignore[arg-type]
                               acknowledged=acknowledged == "yes", actor=principal.actor,
                               party=principal.party_code)

    return _nomination_form(request, principal, public_id, "notice", entered, act)


@router.post("/nominations/{public_id}/accept")
def accept_form(request: Request, principal: FormUser, public_id: str,
                on: str = Form("")) -> Response:
    entered = {"on": on, "reason": "", "served_on": "", "language": "", "method": "",
               "acknowledged": ""}

    def act(db: Session, record: NominationRecord) -> None:
        try:
            day = date.fromisoformat(on.strip()) if on.strip() else utcnow().date()
        except ValueError:
            raise field_error("on", NOT_AN_ACCEPTANCE_DAY) from None
        decisions.accept(db, record, on=day, actor=principal.actor,
                         party=principal.party_code)

    return _nomination_form(request, principal, public_id, "accept", entered, act)


@router.post("/nominations/{public_id}/reject")
def reject_form(request: Request, principal: FormUser, public_id: str,
                reason: str = Form("")) -> Response:
    entered = {"reason": reason, "on": "", "served_on": "", "language": "", "method": "",
               "acknowledged": ""}

    def act(db: Session, record: NominationRecord) -> None:
        decisions.reject(db, record, reason=reason, actor=principal.actor,
                         party=principal.party_code)

    return _nomination_form(request, principal, public_id, "reject", entered, act)


# --- court orders -----------------------------------------------------------------------


HOLD_FIELDS = ("hold_ref", "court", "kind", "issued", "expires", "scope_field", "scope_value",
               "bars_removal_to", "case_number")
NO_SCOPE = N_("choose what the order covers")


@dataclass(frozen=True)
class Done:
    """Done: what a court-order form did, said on the page: WHAT ("registered",
    "unchanged" or "lifted") to order REF, and how many screening decisions CHANGED."""

    what: str
    ref: str
    changed: int


def _holds_page(request: Request, principal: Principal, *, problem: Problem | None = None,
                done: Done | None = None, entered: dict[str, str] | None = None) -> Response:
    with read_session(engine_of(request)) as db:
        orders = paginate(request, lambda limit, offset: hold_reads.list_holds(
            db, limit=limit, offset=offset), path="/holds")
        stopped = transfer_reads.stopped_by(db, orders.items, principal.scope)
    return _page(request, principal, "holds.html", status_code=problem.status if problem else 200,
                 orders=orders.items, listed=orders, kinds=list(HoldKind), problem=problem,
                 fields=HOLD_FIELDS, done=done, stopped=stopped,
                 form=entered or {"issued": utcnow().date().isoformat(),
                                  "bars_removal_to": "any", "scope_field": "external_ref"})


@router.get("/holds", response_class=HTMLResponse)
def holds_page(request: Request, principal: PageUser) -> Response:
    return _holds_page(request, principal)


@router.post("/holds", response_class=HTMLResponse)
def hold_form(request: Request, principal: FormUser, hold_ref: str = Form(""),
              court: str = Form(""), kind: str = Form(""), issued: str = Form(""),
              expires: str = Form(""), scope_field: str = Form(""),
              scope_value: str = Form(""), bars_removal_to: str = Form("any"),
              case_number: str = Form("")) -> Response:
    entered = {"hold_ref": hold_ref, "court": court, "kind": kind, "issued": issued,
               "expires": expires, "scope_field": scope_field, "scope_value": scope_value,
               "bars_removal_to": bars_removal_to, "case_number": case_number}
    countries = bars_removal_to.strip()
    body = {"hold_ref": hold_ref.strip(), "court": court.strip(), "kind": kind,
            "issued": issued, "expires": expires or None,
            "scope": {scope_field: scope_value.strip()},
            "bars_removal_to": "any" if countries in ("", "any") else
            [c.strip().upper() for c in countries.split(",") if c.strip()]}
    try:
        if scope_field not in COVERS:
            raise field_error("scope_field", NO_SCOPE)
        order = holds.parse_hold(body)
        with unit_of_work(engine_of(request)) as db:
            outcome, changed = holds.register_by(db, order, by=principal,
                                                 as_of=utcnow().date(),
                                                 case_number=case_number or None)
    except DomainError as exc:
        return _holds_page(request, principal, entered=entered,
                           problem=replace(problem_of("hold", exc), field=hold_field(exc)))
    return _holds_page(request, principal, done=Done(outcome, order.hold_ref, changed))


def hold_field(exc: DomainError) -> str:
    """hold_field: the form field a court order's error names ("scope.external_ref: …" is
    the person it covers; "expires is before issued" is about the expiry)."""
    name = exc.details.get("field") if isinstance(exc.details, dict) else None
    name = name if isinstance(name, str) else exc.message.split(":", 1)[0]
    if name.startswith("scope"):
        return "scope_field" if name == "scope_field" else "scope_value"
    if name == "body" and "expires" in exc.message:
        return "expires"
    return name if name in HOLD_FIELDS else "hold_ref"


@router.post("/holds/{hold_ref}/lift", response_class=HTMLResponse)
def lift_form(request: Request, principal: FormUser, hold_ref: str, reason: str = Form(""),
              document: str = Form(""), lifted_on: str = Form("")) -> Response:
    """lift_form: whoever registered the order, or the sending state, lifts it citing the
    court document, dated between its issue and today (DESIGN.md §12.1)."""
    try:
        try:
            on = date.fromisoformat(lifted_on.strip()) if lifted_on.strip() \
                else utcnow().date()
        except ValueError:
            raise field_error("lifted_on", N_("give the date, YYYY-MM-DD")) from None
        with unit_of_work(engine_of(request)) as db:
            changed = holds.lift_by(db, hold_ref, by=principal, reason=reason,
                                    document=document, lifted_on=on)
    except DomainError as exc:
        return _holds_page(request, principal, problem=problem_of("lift", exc))
    return _holds_page(request, principal, done=Done("lifted", hold_ref, changed))
