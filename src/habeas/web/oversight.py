"""Oversight pages: the custody integrity report with its drill-down, inspections and their
findings, grievances (DESIGN.md §9; Mandela Rules 56–57, 83–85).

Thin, as the other pages: parse, call habeas.custody.integrity or habeas.oversight.service,
render. A sending user sees only its own people's grievances and files (DESIGN.md §2).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from habeas.api.deps import engine_of
from habeas.auth import service as auth
from habeas.auth.permissions import Action, allowed
from habeas.auth.service import Principal
from habeas.custody import integrity
from habeas.custody.models import IntegrityRun
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import DomainError
from habeas.oversight import service as oversight
from habeas.web.common import form_principal, navigation, page_principal, templates
from habeas.web.people import openable

router = APIRouter(include_in_schema=False)
RUNS_SHOWN = 50


def _context(principal: Principal, **extra: Any) -> dict[str, Any]:
    return {"principal": principal, "nav": navigation(principal), **extra}


def _error(request: Request, principal: Principal, exc: DomainError) -> Response:
    return templates.TemplateResponse(request, "error.html", _context(
        principal, message=exc.message), status_code=exc.status)


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
        inspections = oversight.list_inspections(db)
        findings = oversight.list_findings(db) if inspections else []
        tally: dict[int, dict[str, int]] = {i.seq: {} for i in inspections}
        for f in findings:
            state = "overdue" if f.overdue_on(today) else f.status
            if f.inspection_seq in tally:
                tally[f.inspection_seq][state] = tally[f.inspection_seq].get(state, 0) + 1
        return templates.TemplateResponse(request, "inspections.html", _context(
            principal, inspections=inspections, tally=tally, today=today,
            overdue=[f for f in findings if f.overdue_on(today)]))


@router.get("/inspections/{seq}", response_class=HTMLResponse)
def inspection_page(request: Request, seq: int) -> Response:
    """inspection_page: one visit, its findings and recommendations, and the answers."""
    principal = page_principal(request, "/inspections/{seq}")
    if isinstance(principal, Response):
        return principal
    with read_session(engine_of(request)) as db:
        try:
            inspection = oversight.get_inspection(db, seq)
        except DomainError as exc:
            return _error(request, principal, exc)
        findings = oversight.findings_of(db, seq)
        named = {p for f in findings for p in f.people_concerned}
        return templates.TemplateResponse(request, "inspection.html", _context(
            principal, i=inspection, findings=findings, today=utcnow().date(),
            may_open=openable(db, principal, named)))


# --- grievances -------------------------------------------------------------------------


@router.get("/grievances", response_class=HTMLResponse)
def grievances_page(request: Request) -> Response:
    """grievances_page: the newest first, without their text (reading that is recorded)."""
    principal = page_principal(request, "/grievances")
    if isinstance(principal, Response):
        return principal
    with read_session(engine_of(request)) as db:
        grievances = oversight.list_grievances(db, scope=principal.scope)
    return templates.TemplateResponse(request, "grievances.html", _context(
        principal, grievances=grievances))


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
