"""What every page shares: templates, navigation, and the one permission check for pages."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import resources

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from habeas.api.deps import optional_principal
from habeas.auth.models import Role
from habeas.auth.permissions import Action, allowed
from habeas.auth.service import Principal
from habeas.errors import DomainError
from habeas.i18n import install as install_i18n

templates = Jinja2Templates(directory=str(resources.files("habeas.web") / "templates"))
LOGIN_CSRF_COOKIE = "habeas_login_csrf"

# Every page and the action it needs; the permission matrix test reads this.
PAGE_ACTIONS: dict[str, Action] = {
    "/": Action.VIEW_HOME,
    "/log": Action.READ_EVENTS,
    "/events": Action.READ_EVENTS,
    "/events/{seq}": Action.READ_EVENTS,
    "/nominations": Action.READ_NOMINATIONS,
    "/nominations/import": Action.NOMINATE,
    "/nominations/{public_id}": Action.READ_NOMINATIONS,
    "/holds": Action.READ_HOLDS,
    "/facilities": Action.READ_FACILITIES,
    "/facilities/{code}": Action.READ_FACILITIES,
    # A cell page lists the people in it: those whose duties require it (Mandela Rule 9).
    "/facilities/{code}/cells/{building}/{cell}": Action.READ_CUSTODY,
    "/transfers": Action.READ_TRANSFERS,
    "/transfers/{manifest_id}": Action.READ_TRANSFERS,
    "/people/{public_id}/intake": Action.RECORD_INTAKE,
    # A person's file: those whose duties require it (Mandela Rule 9); scoped by the service.
    "/people/{public_id}": Action.READ_CUSTODY,
    "/integrity": Action.READ_INTEGRITY,
    "/inspections": Action.READ_OVERSIGHT,
    "/inspections/{seq}": Action.READ_OVERSIGHT,
    "/grievances": Action.READ_OVERSIGHT,
    "/grievances/{seq}": Action.READ_OVERSIGHT,
    # Invoices name people and their days in custody: the states and the monitors.
    "/billing/invoices": Action.READ_BILLING,
    "/billing/invoices/{seq}": Action.READ_BILLING,
    "/billing/invoices/{seq}.pdf": Action.READ_BILLING,
    "/billing/sustainability": Action.READ_BILLING,
    "/notifications": Action.READ_NOTIFICATIONS,
    "/notifications/mail": Action.READ_NOTIFICATIONS,
}
# Every form a page posts, and the action it needs (checked with the CSRF token).
FORM_ACTIONS: dict[str, Action] = {
    "/nominations/import": Action.NOMINATE,
    "/nominations/{public_id}/notice": Action.SERVE_NOTICE,
    "/nominations/{public_id}/accept": Action.DECIDE_NOMINATIONS,
    "/nominations/{public_id}/reject": Action.DECIDE_NOMINATIONS,
    "/holds": Action.REGISTER_HOLDS,
    "/holds/{hold_ref}/lift": Action.REGISTER_HOLDS,
    "/people/{public_id}/intake": Action.RECORD_INTAKE,
    "/integrity/runs": Action.RECORD_INTEGRITY,
    "/billing/invoices/{seq}/payments": Action.RECORD_PAYMENTS,
    "/billing/invoices/{seq}/disputes": Action.DISPUTE_INVOICES,
    "/billing/disputes/{seq}/accept": Action.DECIDE_DISPUTES,
    "/billing/disputes/{seq}/reject": Action.DECIDE_DISPUTES,
    "/notifications/{notification_id}/retry": Action.RETRY_NOTIFICATIONS,
}
PUBLIC_PAGES = frozenset({"/login", "/locate",
                          "/subscribe", "/subscribe/confirm", "/subscribe/revoke"})


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str


def navigation(principal: Principal) -> list[NavItem]:
    """navigation lists the pages this principal's role may open."""
    items = [NavItem("Home", "/"), NavItem("Nominations", "/nominations"),
             NavItem("Facility", "/facilities"), NavItem("Transfers", "/transfers"),
             NavItem("Court orders", "/holds"), NavItem("Integrity", "/integrity"),
             NavItem("Oversight", "/inspections"), NavItem("Billing", "/billing/invoices"),
             NavItem("Notifications", "/notifications"), NavItem("Ledger", "/log")]
    if principal.role in (Role.ADMIN, Role.MONITOR):
        items.append(NavItem("API schema", "/openapi.json"))
    return [i for i in items if i.href not in PAGE_ACTIONS
            or allowed(principal.role, PAGE_ACTIONS[i.href])]


def money(minor: int | None, currency: str) -> str:
    """money renders integer minor units (two-decimal currencies) for people."""
    if minor is None:
        return "—"
    return f"{currency} {minor / 100:,.2f}"


templates.env.filters["money"] = money
install_i18n(templates.env)  # _() and {% trans %} in every template (habeas.i18n)


def page_principal(request: Request, path: str) -> Principal | Response:
    try:
        principal = optional_principal(request)
    except DomainError:
        principal = None
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if not allowed(principal.role, PAGE_ACTIONS[path]):
        return templates.TemplateResponse(
            request, "error.html", {"principal": principal, "nav": navigation(principal),
                                    "message": "Your role may not open this page."},
            status_code=403)
    return principal




def form_principal(request: Request, path: str, csrf: str) -> Principal | Response:
    """form_principal: the logged-in user, if their form carries the session's CSRF token
    and their role may post to PATH."""
    try:
        principal = optional_principal(request)
    except DomainError:
        principal = None
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if not principal.csrf_token or not secrets.compare_digest(csrf, principal.csrf_token):
        return templates.TemplateResponse(
            request, "error.html", {"principal": principal, "nav": navigation(principal),
                                    "message": "Your form expired. Go back, reload the page"
                                               " and try again."}, status_code=403)
    if not allowed(principal.role, FORM_ACTIONS[path]):
        return templates.TemplateResponse(
            request, "error.html", {"principal": principal, "nav": navigation(principal),
                                    "message": "Your role may not do this."}, status_code=403)
    return principal
