"""Oversight pages: the custody integrity report with its drill-down, inspections and their
findings, grievances (DESIGN.md §9; Mandela Rules 56–57, 83–85).

Thin, as the other pages: parse, call habeas.custody.integrity or habeas.oversight.service,
render. A sending user sees only its own people's grievances and files (DESIGN.md §2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of
from habeas.auth import audit
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.custody import integrity
from habeas.custody.file_reads import openable
from habeas.custody.integrity import CHECK_TITLES
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import DomainError, NotFound, field_error
from habeas.i18n import DEFAULT, N_, format_day, format_moment, format_number, gettext, locale_of
from habeas.oversight import service as oversight
from habeas.oversight.models import Finding
from habeas.oversight.schemas import FindingIn, Severity
from habeas.validation import parse_or_422
from habeas.web import labels
from habeas.web.common import FormUser, PageUser, Problem, page, problem_of, refusal_page
from habeas.web.nominations import finding_text
from habeas.web.notify import AUDIENCE_LABELS, REASON_LABELS, STATUS_LABELS
from habeas.web.paging import paginate
from habeas.web.people import FILER_LABELS

router = APIRouter(include_in_schema=False)
RUNS_SHOWN = 50


# --- what the pages show of stored codes (translated where shown: `_(labels[code])`) -----

SEVERITY_LABELS = {"critical": N_("critical"), "high": N_("high"), "medium": N_("medium"),
                   "low": N_("low")}
# The administration's answer to a finding, as one sentence (the word agrees with it).
ANSWERED = {"accepted": N_("accepted on %(day)s by %(name)s"),
            "partially": N_("partially accepted on %(day)s by %(name)s"),
            "rejected": N_("rejected on %(day)s by %(name)s")}


@dataclass(frozen=True)
class CheckLabels:
    """CheckLabels: how the report's line for one check is shown. RULE is None where the
    rule is a screening rule's code, shown as it is."""

    title: str
    rule: str | None
    citation: str


# Titles are habeas.custody.integrity's own (the report's family-contact line says its
# window); the check ids stay codes.
CHECKS = {
    "no_final_conviction": CheckLabels(
        CHECK_TITLES["no_final_conviction"], None,
        N_("ETS 112 art. 3(1)(b); Mandela Rule 111(2)")),
    "past_release_date": CheckLabels(
        CHECK_TITLES["past_release_date"], None, N_("ETS 112 art. 10(2); DESIGN.md §5")),
    "past_agreement_term": CheckLabels(
        CHECK_TITLES["past_agreement_term"], None,
        N_("the agreement's term clause; DESIGN.md §5")),
    "transferred_despite_hold": CheckLabels(
        CHECK_TITLES["transferred_despite_hold"], None,
        N_("J.G.G. v. Trump (2025); Noem v. Abrego Garcia (2025); CAT art. 3")),
    "short_notice": CheckLabels(
        CHECK_TITLES["short_notice"], None,
        N_("Trump v. J.G.G.; A.A.R.P. v. Trump (2025)")),
    "return_overdue": CheckLabels(
        CHECK_TITLES["return_overdue"], N_("return order"),
        N_("the order of the court; DESIGN.md §3")),
    "death_without_investigation": CheckLabels(
        CHECK_TITLES["death_without_investigation"], N_("Rule 71"),
        N_("Mandela Rule 71(1); Minnesota Protocol (2016)")),
    "prolonged_solitary": CheckLabels(
        CHECK_TITLES["prolonged_solitary"], N_("Rule 44"),
        N_("Mandela Rules 43(1)(b), 44, 45")),
    "over_certified_capacity": CheckLabels(
        CHECK_TITLES["over_certified_capacity"], None,
        N_("Mandela Rule 12-13; DESIGN.md §7")),
    "space_below_standard": CheckLabels(
        CHECK_TITLES["space_below_standard"], N_("ICRC 3.4 m² / 5.4 m²"),
        N_("ICRC, Water, sanitation, hygiene and habitat in prisons (2012); "
           "Mandela Rule 13")),
    "finding_response_overdue": CheckLabels(
        CHECK_TITLES["finding_response_overdue"], N_("Rules 83-85"),
        N_("Mandela Rules 83-85")),
    "no_family_contact": CheckLabels(
        N_("No family contact in %(days)s days"), N_("Rule 58"),
        N_("Mandela Rules 43(3), 58")),
    "notification_late": CheckLabels(
        CHECK_TITLES["notification_late"], N_("Rules 68-69"),
        N_("Mandela Rules 68, 69; VCCR arts. 36(1)(b), 37(a)")),
    "duplicate_person": CheckLabels(
        CHECK_TITLES["duplicate_person"], None,
        N_("ETS 112 art. 3(1); DESIGN.md §3")),
    "late_entry": CheckLabels(
        CHECK_TITLES["late_entry"], N_("late window"), N_("DESIGN.md §12.2")),
    "backdated_past_gate": CheckLabels(
        CHECK_TITLES["backdated_past_gate"], None, N_("DESIGN.md §12.2")),
    "short_notice_recorded": CheckLabels(
        CHECK_TITLES["short_notice_recorded"], None,
        N_("Trump v. J.G.G.; A.A.R.P. v. Trump (2025); DESIGN.md §12.2")),
}
# A recorded run's counts, check by check, in few words.
CHECK_SHORT = {
    "no_final_conviction": N_("no final conviction"),
    "past_release_date": N_("past release date"),
    "past_agreement_term": N_("past agreement term"),
    "transferred_despite_hold": N_("transferred despite hold"),
    "short_notice": N_("short notice"), "return_overdue": N_("return overdue"),
    "death_without_investigation": N_("death without investigation"),
    "prolonged_solitary": N_("prolonged solitary"),
    "over_certified_capacity": N_("over certified capacity"),
    "space_below_standard": N_("space below standard"),
    "finding_response_overdue": N_("finding response overdue"),
    "no_family_contact": N_("no family contact"),
    "notification_late": N_("notification late"),
    "duplicate_person": N_("duplicate person"),
    "late_entry": N_("late entry"),
    "backdated_past_gate": N_("backdated past a gate"),
    "short_notice_recorded": N_("short notice from recording"),
}


# --- the report's drill-down in the reader's language -----------------------------------
#
# habeas.custody.integrity writes each note in English: it is part of the report recorded
# and hashed on the ledger (`integrity.recorded`). The page reads the facts back out of each
# note and says it again in the reader's language, dates and numbers as the reader writes
# them. A note no pattern reads is shown as written, marked as English (WCAG 2.2 SC 3.1.2).
_DAY = r"\d{4}-\d{2}-\d{2}"
_AT = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
NOTES: tuple[tuple[str, str], ...] = (
    (rf"(?P<who>\S+): release date (?P<day>{_DAY}), (?P<n>\d+) day\(s\) ago",
     N_("%(who)s: release date %(day)s, %(n)s day(s) ago")),
    (rf"(?P<who>\S+): the term ended on (?P<day>{_DAY})",
     N_("%(who)s: the term ended on %(day)s")),
    (rf"(?P<who>\S+) on (?P<manifest>\S+) \((?P<day>{_DAY})\): (?P<why>.+)",
     N_("%(who)s on %(manifest)s (%(day)s): %(why)s")),
    (r"(?P<who>\S+) on (?P<manifest>\S+): (?P<why>.+)",
     N_("%(who)s on %(manifest)s: %(why)s")),
    (r"(?P<where>.+): (?P<people>\d+) people, certified for (?P<cna>\d+)",
     N_("%(where)s: %(people)s people, certified for %(cna)s")),
    (r"(?P<where>.+): (?P<area>\d+\.\d+) m² each for (?P<people>\d+) people",
     N_("%(where)s: %(area)s m² each for %(people)s people")),
    (rf"(?P<who>\S+): (?P<days>\d+) days from (?P<day>{_DAY}); (?P<why>.+)",
     N_("%(who)s: %(days)s days from %(day)s; %(why)s")),
    (rf"(?P<who>\S+): (?P<days>\d+) days from (?P<day>{_DAY}) \(ongoing\); (?P<why>.+)",
     N_("%(who)s: %(days)s days from %(day)s (ongoing); %(why)s")),
    (r"independently reviewed by (?P<name>.+)", N_("independently reviewed by %(name)s")),
    (r"NO independent review", N_("NO independent review")),
    (rf"(?P<who>\S+): last family contact (?P<contact>{_DAY}) \(admitted (?P<admitted>{_DAY})\)",
     N_("%(who)s: last family contact %(contact)s (admitted %(admitted)s)")),
    (rf"(?P<who>\S+): last family contact never \(admitted (?P<admitted>{_DAY})\)",
     N_("%(who)s: last family contact never (admitted %(admitted)s)")),
    (rf"(?P<who>\S+): died (?P<day>{_DAY}); no investigation recorded",
     N_("%(who)s: died %(day)s; no investigation recorded")),
    (r"(?P<who>\S+): stopped in transit on (?P<manifest>\S+); (?P<why>.+)",
     N_("%(who)s: stopped in transit on %(manifest)s; %(why)s")),
    (rf"(?P<who>\S+): (?P<ref>\S+) required return by (?P<day>{_DAY})",
     N_("%(who)s: %(ref)s required return by %(day)s")),
    (rf"finding (?P<seq>\d+) \((?P<severity>\w+)\) at (?P<facility>\S+): response due "
     rf"(?P<day>{_DAY}), (?P<n>\d+) day\(s\) overdue",
     N_("finding %(seq)s (%(severity)s) at %(facility)s: response due %(day)s, %(n)s day(s) "
        "overdue")),
    (rf"(?P<id>\S+): (?P<reason>\w+) notice to the (?P<audience>\w+), owed (?P<owed>{_AT}) "
     rf"UTC: delivered (?P<delivered>{_AT}) UTC",
     N_("%(id)s: %(reason)s notice to the %(audience)s, owed %(owed)s: delivered "
        "%(delivered)s")),
    (rf"(?P<id>\S+): (?P<reason>\w+) notice to the (?P<audience>\w+), owed (?P<owed>{_AT}) "
     r"UTC: (?P<status>\w+) after (?P<attempts>\d+) attempt\(s\)",
     N_("%(id)s: %(reason)s notice to the %(audience)s, owed %(owed)s: %(status)s after "
        "%(attempts)s attempt(s)")),
    (r"(?P<who>\S+) \((?P<now>\w+)\): the same person as (?P<first>\S+) "
     r"\((?P<was>\w+)\)",
     N_("%(who)s (%(now)s): the same person as %(first)s (%(was)s)")),
)
_NOTES = tuple((re.compile(pattern), message) for pattern, message in NOTES)


Say = Callable[[str, str], str]  # (language, a fact as the note writes it) → as shown


def _label(labels: dict[str, str]) -> Say:
    return lambda lang, code: gettext(lang, labels[code]) if code in labels else code


# Babel takes tens of microseconds a date or a number, and a report's notes repeat the same
# few hundred of them.
@lru_cache(maxsize=4096)
def _day(lang: str, day: str) -> str:
    return format_day(day, lang)


def _moment(lang: str, minute: str) -> str:  # the notes write "YYYY-MM-DD HH:MM" in UTC
    return format_moment(datetime.fromisoformat(minute).replace(tzinfo=UTC), lang)


@lru_cache(maxsize=4096)
def _count(lang: str, digits: str) -> str:
    return format_number(int(digits), lang)


# How each fact a note holds is said, by its name in NOTES; any other is a name, an id or a
# code, said as it is ("why" is itself a note).
_FACTS: dict[str, Say] = {
    "day": _day, "contact": _day, "admitted": _day, "owed": _moment, "delivered": _moment,
    "n": _count, "days": _count, "people": _count, "cna": _count, "attempts": _count,
    "area": lambda lang, area: format_number(Decimal(area), lang),
    "severity": _label(SEVERITY_LABELS), "reason": _label(REASON_LABELS),
    "audience": _label(AUDIENCE_LABELS), "status": _label(STATUS_LABELS),
    "orders": labels.orders_text,
}


def _as_written(lang: str, fact: str) -> str:
    return fact


def _said(lang: str, note: str) -> Markup | None:
    """_said is NOTE in LANG if one of NOTES reads it."""
    for pattern, message in _NOTES:
        found = pattern.fullmatch(note)
        if found is not None:
            facts = {name: _why(lang, value) if name == "why"
                     else _FACTS.get(name, _as_written)(lang, value)
                     for name, value in found.groupdict().items()}
            return escape(gettext(lang, message)) % facts
    return None


def _why(lang: str, why: str) -> Markup:
    # A note's "why" is another note, or a screening rule's own finding it quotes.
    return _said(lang, why) or finding_text(lang, why)


def say_note(lang: str, note: str) -> Markup:
    """say_note is a drill-down NOTE of the integrity report in LANG (see NOTES)."""
    said = _said(lang, note)
    if said is not None:
        return said
    if lang == DEFAULT:
        return escape(note)
    return Markup('<span lang="en">{}</span>').format(note)


# --- the integrity report ---------------------------------------------------------------


@router.get("/integrity", response_class=HTMLResponse)
def integrity_page(request: Request, principal: PageUser,
                   on: date | None = Query(default=None),
                   days: int = Query(default=integrity.FAMILY_CONTACT_DAYS, ge=1, le=365),
                   recorded: int | None = Query(default=None, ge=0)) -> Response:
    """integrity_page: every check as of ON, zeros shown, each line drilling down to the
    people and the ledger events behind it; and the runs recorded on the ledger."""
    today = utcnow().date()
    with read_session(engine_of(request)) as db:
        report = integrity.report(db, on or today, family_contact_days=days,
                                  scope=integrity.scope_of(db, principal.role,
                                                           principal.party_code))
        named = {person for line in report.lines for person in line.people}
        runs = integrity.recorded_runs(db, RUNS_SHOWN)
        lang = locale_of(request)
        return page(
            request, principal, "integrity.html", report=report, on=report.as_of, today=today,
            days=days,
            may_open=openable(db, principal, named), runs=runs, recorded=recorded,
            may_record=allowed(principal.role, Action.RECORD_INTEGRITY), checks=CHECKS,
            check_short=CHECK_SHORT, severity_labels=SEVERITY_LABELS,
            notes={line.check: [say_note(lang, note) for note in line.notes]
                   for line in report.lines})


@router.post("/integrity/runs", response_class=HTMLResponse)
def record_integrity(request: Request, principal: FormUser) -> Response:
    """record_integrity puts today's report on the ledger (`integrity.recorded`), so what it
    said that day can be proven later."""
    with unit_of_work(engine_of(request)) as db:
        seq = integrity.record_run(db, integrity.report(db, utcnow().date()),
                                   actor=principal.actor)
    return RedirectResponse(f"/integrity?recorded={seq}", status_code=303)


# --- inspections and findings -----------------------------------------------------------


@router.get("/inspections", response_class=HTMLResponse)
def inspections_page(request: Request, principal: PageUser) -> Response:
    """inspections_page: the monitors' visits, the latest first, with their findings' state,
    and every finding whose answer is overdue (Mandela Rule 85)."""
    today = utcnow().date()
    with read_session(engine_of(request)) as db:
        visits = paginate(request, lambda limit, offset: oversight.list_inspections(
            db, limit=limit, offset=offset))
        overdue = paginate(request, lambda limit, offset: oversight.list_findings(
            db, overdue_on=today, limit=limit, offset=offset), param="overdue_page")
        tally: dict[int, dict[str, int]] = {i.seq: {} for i in visits.items}
        for f in oversight.findings_of_inspections(db, list(tally)):
            state = "overdue" if f.overdue_on(today) else f.status
            tally[f.inspection_seq][state] = tally[f.inspection_seq].get(state, 0) + 1
        return page(
            request, principal, "inspections.html", inspections=visits.items, visits=visits,
            tally=tally, today=today,
            overdue=overdue.items, overdue_page=overdue, severity_labels=SEVERITY_LABELS)


@router.get("/inspections/{seq}", response_class=HTMLResponse)
def inspection_page(request: Request, principal: PageUser, seq: int,
                    recorded: int | None = None) -> Response:
    """inspection_page: one visit, its findings and recommendations, and the answers."""
    return _inspection_page(request, principal, seq, recorded=recorded)


def _inspection_page(request: Request, principal: Principal, seq: int, *,
                     problem: Problem | None = None, entered: dict[str, str] | None = None,
                     recorded: int | None = None) -> Response:
    today = utcnow().date()
    with read_session(engine_of(request)) as db:
        try:
            inspection = oversight.get_inspection(db, seq)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        findings = oversight.findings_of(db, seq)
        named = {p for f in findings for p in f.people_concerned}
        return page(
            request, principal, "inspection.html", status_code=problem.status if problem else 200,
            i=inspection, findings=findings, today=today,
            may_open=openable(db, principal, named), recorded=recorded, problem=problem,
            may_record=allowed(principal.role, Action.RECORD_INSPECTIONS),
            severities=[s.value for s in Severity], severity_labels=SEVERITY_LABELS,
            answered=ANSWERED, form=entered or {
                "text": "", "recommendation": "", "severity": "medium", "people": "",
                "response_due": (today + timedelta(days=RESPONSE_DAYS)).isoformat()})


# The administration's answer is asked for within this many days, unless the monitor says.
RESPONSE_DAYS = 30


def finding_body(form: dict[str, str]) -> dict[str, Any]:
    """finding_body turns the finding form into the FindingIn document the API takes."""
    try:
        due = date.fromisoformat(form["response_due"].strip())
    except ValueError:
        raise field_error("response_due",
                          N_("give the date the answer is due, YYYY-MM-DD")) from None
    return {"text": form["text"], "recommendation": form["recommendation"],
            "severity": form["severity"], "response_due": due,
            "people_concerned": [p.upper() for p in re.split(r"[\s,;]+", form["people"])
                                 if p]}


def same_finding(db: Session, seq: int, finding: FindingIn) -> Finding | None:
    """same_finding: a finding of inspection SEQ saying exactly what FINDING says — the form
    posted twice — so that it is recorded once."""
    for earlier in oversight.findings_of(db, seq):
        if (earlier.text, earlier.recommendation, earlier.severity, earlier.response_due,
                list(earlier.people_concerned)) == (
                finding.text, finding.recommendation, finding.severity.value,
                finding.response_due, list(dict.fromkeys(finding.people_concerned))):
            return earlier
    return None


@router.post("/inspections/{seq}/findings", response_class=HTMLResponse)
def finding_form(request: Request, principal: FormUser, seq: int, text: str = Form(""),
                 recommendation: str = Form(""), severity: str = Form(""),
                 response_due: str = Form(""), people: str = Form("")) -> Response:
    """finding_form: a monitor records a finding and what it recommends (Mandela Rule 85)."""
    entered = {"text": text, "recommendation": recommendation, "severity": severity,
               "response_due": response_due, "people": people}
    try:
        # The form has one box for every person concerned.
        finding = parse_or_422(FindingIn, finding_body(entered), rename=lambda path: (
            "people" if path.startswith("people_concerned") else path))
        with unit_of_work(engine_of(request)) as db:
            oversight.get_inspection(db, seq)
            earlier = same_finding(db, seq, finding)
            recorded = earlier.seq if earlier is not None else oversight.record_finding(
                db, seq, finding, actor=principal.actor).seq
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _inspection_page(request, principal, seq, entered=entered, problem=problem_of(
            "finding", exc, {"people_concerned": "people"}))
    return RedirectResponse(f"/inspections/{seq}?recorded={recorded}#finding-{recorded}",
                            status_code=303)


# --- grievances -------------------------------------------------------------------------


@router.get("/grievances", response_class=HTMLResponse)
def grievances_page(request: Request, principal: PageUser) -> Response:
    """grievances_page: the newest first, without their text (reading that is recorded)."""
    with read_session(engine_of(request)) as db:
        grievances = paginate(request, lambda limit, offset: oversight.list_grievances(
            db, scope=principal.scope, limit=limit, offset=offset))
    return page(request, principal, "grievances.html", grievances=grievances.items,
                listed=grievances, status_labels=labels.GRIEVANCE_STATUS,
                category_labels=labels.GRIEVANCE_CATEGORY, filer_labels=FILER_LABELS)


@router.get("/grievances/{seq}", response_class=HTMLResponse)
def grievance_page(request: Request, principal: PageUser, seq: int) -> Response:
    """grievance_page: one grievance in full; the read is recorded (Mandela Rule 9)."""
    return _grievance_page(request, principal, seq, done=request.query_params.get("done"))


def _grievance_page(request: Request, principal: Principal, seq: int, *,
                    problem: Problem | None = None, entered: dict[str, str] | None = None,
                    done: str | None = None) -> Response:
    with unit_of_work(engine_of(request)) as db:
        try:
            grievance = oversight.get_grievance(db, seq, principal.scope)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        audit.record_read(db, principal, kind="grievance", record_id=str(seq), channel="web",
                         purpose="grievance")
        return page(
            request, principal, "grievance.html", status_code=problem.status if problem else 200,
            g=grievance, may_open=openable(db, principal, [grievance.public_id]),
            may_handle=allowed(principal.role, Action.HANDLE_GRIEVANCES), problem=problem,
            form=entered or {"text": "", "reason": ""},
            done=done if done in ("answered", "closed") else None,
            status_labels=labels.GRIEVANCE_STATUS, category_labels=labels.GRIEVANCE_CATEGORY,
            filer_labels=FILER_LABELS)


@router.post("/grievances/{seq}/response", response_class=HTMLResponse)
def grievance_answer_form(request: Request, principal: FormUser, seq: int,
                          text: str = Form("")) -> Response:
    """grievance_answer_form: a monitor (or the prison's staff it does not name) answers a
    grievance (Mandela Rule 57(1)-(2))."""
    try:
        with unit_of_work(engine_of(request)) as db:
            oversight.respond_to_grievance(db, seq, text, by=principal)
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _grievance_page(request, principal, seq, entered={"text": text, "reason": ""},
                               problem=problem_of("answer", exc))
    return RedirectResponse(f"/grievances/{seq}?done=answered", status_code=303)


@router.post("/grievances/{seq}/close", response_class=HTMLResponse)
def grievance_close_form(request: Request, principal: FormUser, seq: int,
                         reason: str = Form("")) -> Response:
    """grievance_close_form: closes an answered grievance with a reason; an allegation of
    ill-treatment only by a monitor (Mandela Rule 57(3))."""
    try:
        with unit_of_work(engine_of(request)) as db:
            oversight.close_grievance(db, seq, reason, by=principal)
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _grievance_page(request, principal, seq, entered={"text": "", "reason": reason},
                               problem=problem_of("close", exc))
    return RedirectResponse(f"/grievances/{seq}?done=closed", status_code=303)
