"""What every page shares: templates, navigation, and the one permission check for pages."""

from __future__ import annotations

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

templates = Jinja2Templates(directory=str(resources.files("habeas.web") / "templates"))
templates = Jinja2Templates(directory=str(resources.files("habeas.web") / "templates"))
LOGIN_CSRF_COOKIE = "habeas_login_csrf"

# Every page and the action it needs; the permission matrix test reads this.
PAGE_ACTIONS: dict[str, Action] = {
    "/": Action.VIEW_HOME,
    "/log": Action.READ_EVENTS,
    "/events": Action.READ_EVENTS,
    "/events/{seq}": Action.READ_EVENTS,
}
PUBLIC_PAGES = frozenset({"/login"})


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str


def navigation(principal: Principal) -> list[NavItem]:
    """navigation lists the pages this principal's role may open."""
    items = [NavItem("Home", "/"), NavItem("Ledger", "/log")]
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


