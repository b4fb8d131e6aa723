"""Oversight pages: the custody integrity report with its drill-down, inspections and their
findings, grievances (DESIGN.md §9; Mandela Rules 56–57, 83–85).

Thin, as the other pages: parse, call habeas.custody.integrity or habeas.oversight.service,
render. A sending user sees only its own people's grievances and files (DESIGN.md §2).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of
from habeas.auth import service as auth
from habeas.auth.permissions import Action, allowed
from habeas.auth.service import Principal
from habeas.custody import integrity
from habeas.custody.models import IntegrityRun
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import DomainError, NotFound, field_error
from habeas.i18n import N_
from habeas.oversight import service as oversight
from habeas.oversight.models import Finding
from habeas.oversight.schemas import FindingIn, Severity
from habeas.validation import describe
from habeas.web.common import (
    Problem,
    form_principal,
    navigation,
    page_principal,
    problem_of,
    templates,
)
from habeas.web.paging import paginate
from habeas.web.people import openable

router = APIRouter(include_in_schema=False)
RUNS_SHOWN = 50


def _context(principal: Principal, **extra: Any) -> dict[str, Any]:
    return {"principal": principal, "nav": navigation(principal), **extra}


def _error(request: Request, principal: Principal, exc: DomainError) -> Response:
    return templates.TemplateResponse(request, "error.html", _context(
        principal, message=exc.message, code=exc.code.value,
        title=N_("Not found") if exc.status == 404 else N_("Refused")), status_code=exc.status)


# --- the integrity report ---------------------------------------------------------------


@router.get("/integrity", response_class=HTMLResponse)
def integrity_page(request: Request, on: date | None = Query(default=None),
                   days: int = Query(default=integrity.FAMILY_CONTACT_DAYS, ge=1, le=365),
                   recorded: int | None = Query(default=None, ge=0)) -> Response:
    """integrity_page: every check as of ON, zeros shown, each line drilling down to the
    people and the ledger events behind it; and the runs recorded on the ledger."""
    principal = page_principal(request, "/integrity")
    if isinstance(principal, Response):
        return principal
    today = utcnow().date()
    with read_session(engine_of(request)) as db:
        report = integrity.report(db, on or today, family_contact_days=days)
        named = {person for line in report.lines for person in line.people}
        runs = list(db.scalars(select(IntegrityRun).order_by(IntegrityRun.seq.desc())
                               .limit(RUNS_SHOWN)))
        return templates.TemplateResponse(request, "integrity.html", _context(
            principal, report=report, on=report.as_of, today=today, days=days,
            may_open=openable(db, principal, named), runs=runs, recorded=recorded,
            may_record=allowed(principal.role, Action.RECORD_INTEGRITY)))


@router.post("/integrity/runs", response_class=HTMLResponse)
def record_integrity(request: Request, csrf: str = Form("")) -> Response:
    """record_integrity puts today's report on the ledger (`integrity.recorded`), so what it
    said that day can be proven later."""
    principal = form_principal(request, "/integrity/runs", csrf)
    if isinstance(principal, Response):
        return principal
    with unit_of_work(engine_of(request)) as db:
        seq = integrity.record_run(db, integrity.report(db, utcnow().date()),
                                   actor=principal.actor)
    return RedirectResponse(f"/integrity?recorded={seq}", status_code=303)


# --- inspections and findings -----------------------------------------------------------


@router.get("/inspections", response_class=HTMLResponse)
def inspections_page(request: Request) -> Response:
    """inspections_page: the monitors' visits, the latest first, with their findings' state,
    and every finding whose answer is overdue (Mandela Rule 85)."""
    principal = page_principal(request, "/inspections")
    if isinstance(principal, Response):
        return principal
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
        return templates.TemplateResponse(request, "inspections.html", _context(
            principal, inspections=visits.items, visits=visits, tally=tally, today=today,
            overdue=overdue.items, overdue_page=overdue))


@router.get("/inspections/{seq}", response_class=HTMLResponse)
def inspection_page(request: Request, seq: int, recorded: int | None = None) -> Response:
    """inspection_page: one visit, its findings and recommendations, and the answers."""
    principal = page_principal(request, "/inspections/{seq}")
    if isinstance(principal, Response):
        return principal
    return _inspection_page(request, principal, seq, recorded=recorded)


def _inspection_page(request: Request, principal: Principal, seq: int, *,
                     problem: Problem | None = None, entered: dict[str, str] | None = None,
                     recorded: int | None = None) -> Response:
    today = utcnow().date()
    with read_session(engine_of(request)) as db:
        try:
            inspection = oversight.get_inspection(db, seq)
        except DomainError as exc:
            return _error(request, principal, exc)
        findings = oversight.findings_of(db, seq)
        named = {p for f in findings for p in f.people_concerned}
        return templates.TemplateResponse(request, "inspection.html", _context(
            principal, i=inspection, findings=findings, today=today,
            may_open=openable(db, principal, named), recorded=recorded, problem=problem,
            may_record=allowed(principal.role, Action.RECORD_INSPECTIONS),
            severities=[s.value for s in Severity], form=entered or {
                "text": "", "recommendation": "", "severity": "medium", "people": "",
                "response_due": (today + timedelta(days=RESPONSE_DAYS)).isoformat()}),
            status_code=problem.status if problem else 200)


# The administration's answer is asked for within this many days, unless the monitor says.
RESPONSE_DAYS = 30


def finding_body(form: dict[str, str]) -> dict[str, Any]:
    """finding_body turns the finding form into the FindingIn document the API takes."""
    try:
        due = date.fromisoformat(form["response_due"].strip())
    except ValueError:
        raise field_error("response_due", "give the date the answer is due, YYYY-MM-DD"
                          ) from None
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
def finding_form(request: Request, seq: int, text: str = Form(""),
                 recommendation: str = Form(""), severity: str = Form(""),
                 response_due: str = Form(""), people: str = Form(""),
                 csrf: str = Form("")) -> Response:
    """finding_form: a monitor records a finding and what it recommends (Mandela Rule 85)."""
    principal = form_principal(request, "/inspections/{seq}/findings", csrf)
    if isinstance(principal, Response):
        return principal
    entered = {"text": text, "recommendation": recommendation, "severity": severity,
               "response_due": response_due, "people": people}
    try:
        try:
            finding = FindingIn.model_validate(finding_body(entered))
        except ValidationError as exc:
            path, problem = describe(exc.errors()[0])
            raise field_error("people" if path.startswith("people_concerned") else path,
                              problem) from None
        with unit_of_work(engine_of(request)) as db:
            oversight.get_inspection(db, seq)
            earlier = same_finding(db, seq, finding)
            recorded = earlier.seq if earlier is not None else oversight.record_finding(
                db, seq, finding, actor=principal.actor).seq
    except NotFound as exc:
        return _error(request, principal, exc)
    except DomainError as exc:
        return _inspection_page(request, principal, seq, entered=entered, problem=problem_of(
            "finding", exc, {"people_concerned": "people"}))
    return RedirectResponse(f"/inspections/{seq}?recorded={recorded}#finding-{recorded}",
                            status_code=303)


# --- grievances -------------------------------------------------------------------------


@router.get("/grievances", response_class=HTMLResponse)
def grievances_page(request: Request) -> Response:
    """grievances_page: the newest first, without their text (reading that is recorded)."""
    principal = page_principal(request, "/grievances")
    if isinstance(principal, Response):
        return principal
    with read_session(engine_of(request)) as db:
        grievances = paginate(request, lambda limit, offset: oversight.list_grievances(
            db, scope=principal.scope, limit=limit, offset=offset))
    return templates.TemplateResponse(request, "grievances.html", _context(
        principal, grievances=grievances.items, listed=grievances))


@router.get("/grievances/{seq}", response_class=HTMLResponse)
def grievance_page(request: Request, seq: int) -> Response:
    """grievance_page: one grievance in full; the read is recorded (Mandela Rule 9)."""
    principal = page_principal(request, "/grievances/{seq}")
    if isinstance(principal, Response):
        return principal
    with unit_of_work(engine_of(request)) as db:
        try:
            grievance = oversight.get_grievance(db, seq, principal.scope)
        except DomainError as exc:
            return _error(request, principal, exc)
        auth.record_read(db, principal, kind="grievance", record_id=str(seq), channel="web",
                         purpose="grievance")
        return templates.TemplateResponse(request, "grievance.html", _context(
            principal, g=grievance,
            may_open=openable(db, principal, [grievance.public_id])))
