"""Pages: login, logout and the home page. Thin: parse, call a service, render."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from habeas.agreements import service as agreements
from habeas.agreements.terms import term_end
from habeas.api.deps import SESSION_COOKIE, engine_of, optional_principal
from habeas.auth import sessions, throttle
from habeas.auth.models import Role
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.config import get_settings
from habeas.counsel import service as counsel
from habeas.custody import service as custody
from habeas.custody.integrity import scope_of
from habeas.dashboard import service as dashboard
from habeas.db import read_session, unit_of_work, utcnow
from habeas.facilities import service as facilities
from habeas.facilities.capacity import STANDARDS
from habeas.i18n import N_, gettext, locale_of
from habeas.nominations import service as nominations
from habeas.timing import same_secret
from habeas.web import labels
from habeas.web.common import (
    LOGIN_CSRF_COOKIE,
    PAGE_ACTIONS,
    PUBLIC_PAGES,
    PageUser,
    page,
    safe_next,
    templates,
)
from habeas.web.nominations import RULE_CHECKS

__all__ = ["PAGE_ACTIONS", "PUBLIC_PAGES", "router"]

router = APIRouter(include_in_schema=False)


def _cookie_flags() -> dict[str, Any]:
    """The session and login-form cookies: never readable by scripts, sent only to this site's
    own pages and same-site top-level links (SameSite=Lax: a link from a notification mail
    still finds the session; cross-site POSTs never carry it), over HTTPS only when
    HABEAS_COOKIE_SECURE (ADR 0006, 0018)."""
    return {"httponly": True, "samesite": "lax", "secure": get_settings().cookie_secure,
            "path": "/"}


# One answer for a wrong password, an unknown name, a deactivated user and a locked account,
# so that neither a lockout nor its absence tells anyone which user names exist (ADR 0018).
REFUSED = N_("Wrong user name or password.")
THROTTLED = N_("Too many failed logins from your address. Try again in %(minutes)s min.")
EXPIRED = N_("Your login form expired. Please try again.")
LOGOUT_EXPIRED = N_("Your page expired; go back, reload and log out again.")


def _said(request: Request, message: str, **values: str) -> str:
    """_said is MESSAGE in the reader's language, with VALUES filled in."""
    return gettext(locale_of(request), message) % values


def _login_page(request: Request, error: str | None = None, status: int = 200,
                username: str = "", next_path: str | None = None,
                headers: dict[str, str] | None = None) -> HTMLResponse:
    csrf = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request, "login.html", {"csrf": csrf, "error": error, "username": username,
                                "next": safe_next(next_path) or ""},
        status_code=status, headers=headers)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, max_age=3600, **_cookie_flags())
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next_path: str = Query("", alias="next")) -> Response:
    if optional_principal(request) is not None:
        return RedirectResponse(safe_next(next_path) or "/", status_code=303)
    return _login_page(request, next_path=next_path)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: str = Form(""), password: str = Form(""),
          csrf: str = Form(""), next_path: str = Form("", alias="next")) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not same_secret(csrf, expected):
        return _login_page(request, _said(request, EXPIRED), 403, username, next_path)
    engine = engine_of(request)
    settings = get_settings()
    client = request.client.host if request.client else "unknown"
    # Decide outside the writer lock (the password hash is the slow part), then write.
    with read_session(engine) as db:
        decision = throttle.assess_login(db, username, password, client=client)
    with unit_of_work(engine) as db:
        secret = throttle.record_login(db, decision,
                                   lifetime=timedelta(hours=settings.session_hours))
    if decision.retry_after is not None:
        minutes = str(max(1, -(-decision.retry_after // 60)))
        return _login_page(request, _said(request, THROTTLED, minutes=minutes), 429, username,
                           next_path, headers={"Retry-After": str(decision.retry_after)})
    if secret is None:
        return _login_page(request, _said(request, REFUSED), 401, username, next_path)
    response = RedirectResponse(safe_next(next_path) or "/", status_code=303)
    response.set_cookie(SESSION_COOKIE, secret,
                        max_age=settings.session_hours * 3600, **_cookie_flags())
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    principal = optional_principal(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if principal is None or secret is None:
        return RedirectResponse("/login", status_code=303)
    if not principal.csrf_token or not same_secret(csrf, principal.csrf_token):
        return HTMLResponse(_said(request, LOGOUT_EXPIRED), 403)
    with unit_of_work(engine_of(request)) as db:
        sessions.end_session(db, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: PageUser) -> Response:
    with read_session(engine_of(request)) as db:
        cards = []
        # A sending state sees only its own agreements.
        for agreement in agreements.list_agreements(db, sending_party=principal.scope):
            facility = facilities.get_facility(db, agreement.facility_code)
            cards.append({
                "agreement": agreement,
                "ends_on": term_end(agreement.starts_on, agreement.term_months),
                "fees": agreements.current_fees(db, agreement.ref),
                "facility": facility,
                "buildings": facilities.building_count(db, facility.code),
                "capacity": facilities.capacity(db, facility.code),
                "nominations": {
                    label: nominations.count_nominations(db, nominations.Filters(
                        party=agreement.sending_party, **criteria))
                    for label, criteria in (("all", {}), ("eligible", {"decision": "eligible"}),
                                            ("review", {"decision": "review"}),
                                            ("ineligible", {"decision": "ineligible"}),
                                            ("accepted", {"status": "accepted"}))},
                "rules_on": [r for r, s in agreement.rules.items() if s["enabled"]],
                "rules_off": [r for r, s in agreement.rules.items() if not s["enabled"]],
            })
        # Each state sees its own alerts (a court order in flight, DESIGN.md §3).
        party = principal.party_code if principal.role in (Role.SENDING,
                                                           Role.RECEIVING) else None
        alerts = (custody.alerts_for(db, party, limit=20)
                  if allowed(principal.role, Action.READ_ALERTS) else [])
        # Counsel's clients of record, with their files (DESIGN.md §12.1).
        clients = counsel.client_names(db, principal)
        return page(request, principal, "home.html", cards=cards, clients=clients,
                    standards=STANDARDS, alerts=alerts, panels=dashboard_panels(db, principal),
                    rule_checks=RULE_CHECKS, hold_kinds=labels.HOLD_KIND,
                    alert_kinds=labels.ALERT_KIND)


# Each role's first questions first (issue 9): the prison its population, the sending state
# its nominations and money, the monitors the integrity report and overdue findings.
PANELS: dict[Role, tuple[str, ...]] = {
    Role.MONITOR: ("integrity", "population", "nominations", "billing", "holds"),
    Role.RECEIVING: ("population", "nominations", "billing", "integrity"),
    Role.SENDING: ("nominations", "billing", "population", "integrity"),
    Role.ADMIN: ("population", "nominations", "integrity"),
    Role.COUNSEL: ("holds", "population"),
}
PANEL_ACTIONS = {"population": Action.READ_FACILITIES, "nominations": Action.READ_NOMINATIONS,
                 "integrity": Action.READ_INTEGRITY, "billing": Action.READ_BILLING,
                 "holds": Action.READ_HOLDS}


def dashboard_panels(db: Session, principal: Principal) -> list[dict[str, Any]]:
    """dashboard_panels: the charts of the principal's role, each with the figures it is
    drawn from (shown as its text alternative) and the JSON endpoint the script fetches."""
    today = utcnow().date()
    panels = []
    for kind in PANELS[principal.role]:
        if not allowed(principal.role, PANEL_ACTIONS[kind]):
            continue
        endpoint = f"/api/v1/dashboard/{kind}"
        if kind == "population":
            code = dashboard.default_facility(db, principal.scope)
            if code is None:
                continue
            data = dashboard.population(db, code, today, principal.scope)
            endpoint += "?facility=" + quote(code)
        elif kind == "nominations":
            data = dashboard.funnel(db, principal.scope)
        elif kind == "integrity":
            data = dashboard.integrity(db, today, scope_of(db, principal.role,
                                                           principal.party_code))
        elif kind == "billing":
            data = dashboard.money(db, today, principal.scope)
        else:
            data = dashboard.holds(db, today)
        panels.append({"kind": kind, "endpoint": endpoint, "data": data})
    return panels
