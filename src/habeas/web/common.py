"""What every page shares: templates, navigation, and the one permission check for pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Annotated
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from habeas.api.deps import SESSION_COOKIE, engine_of, optional_principal
from habeas.auth import sessions
from habeas.auth.models import Role
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.db import unit_of_work, utcnow
from habeas.errors import ERROR_DESCRIPTIONS, DomainError, ErrorCode, field_error
from habeas.i18n import DEFAULT, N_, SUPPORTED, gettext, is_translated, locale_of
from habeas.templating import install_language, lang_of
from habeas.timing import same_secret


def _page_context(request: Request) -> dict[str, object]:
    # Every page speaks the reader's language (habeas.i18n.choose) and links to itself in
    # each language, keeping its query; the choice is then remembered (i18n.remember).
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return {"lang": locale_of(request),
            "in_language": {code: request.url.path + "?" + urlencode([*query, ("lang", code)])
                            for code in SUPPORTED}}


templates = Jinja2Templates(directory=str(resources.files("habeas.web") / "templates"),
                            context_processors=[_page_context])
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
    "/people/{public_id}": Action.READ_PERSON_FILE,
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
    # Finds only what the role may read, within its scope (habeas.search).
    "/search": Action.SEARCH,
    # Counsel's appearances: file one, withdraw one (DESIGN.md §12.1).
    "/counsel": Action.APPEAR_AS_COUNSEL,
    # What both states signed, and the changes one proposes to the other (DESIGN.md §12.1);
    # another agreement's state reads it as not found (the service scopes it).
    "/agreements/{ref}": Action.READ_AGREEMENTS,
}
# Every form a page posts, and the action it needs (checked with the CSRF token).
FORM_ACTIONS: dict[str, Action] = {
    "/nominations/import": Action.NOMINATE,
    "/nominations/{public_id}/notice": Action.SERVE_NOTICE,
    "/nominations/{public_id}/accept": Action.DECIDE_NOMINATIONS,
    "/nominations/{public_id}/reject": Action.DECIDE_NOMINATIONS,
    "/holds": Action.REGISTER_HOLDS,
    "/holds/{hold_ref}/lift": Action.REGISTER_HOLDS,
    "/transfers": Action.PLAN_TRANSFERS,
    "/transfers/{manifest_id}/approve": Action.APPROVE_TRANSFERS,
    "/transfers/{manifest_id}/cancel": Action.PLAN_TRANSFERS,
    "/transfers/{manifest_id}/depart": Action.DEPART_TRANSFERS,
    "/transfers/{manifest_id}/arrive": Action.RECEIVE_TRANSFERS,
    "/transfers/{manifest_id}/handover": Action.HAND_OVER,
    # The handback on arrival home: each state its own part (DESIGN.md §12.1).
    "/transfers/{manifest_id}/handback": Action.RELEASE,
    "/people/{public_id}/intake": Action.RECORD_INTAKE,
    # Counsel of record, staff or a monitor files for the person (scoped by the service).
    "/people/{public_id}/grievances": Action.FILE_GRIEVANCES,
    "/grievances/{seq}/response": Action.HANDLE_GRIEVANCES,
    "/grievances/{seq}/close": Action.HANDLE_GRIEVANCES,
    "/counsel/appearances": Action.APPEAR_AS_COUNSEL,
    "/counsel/appearances/{seq}/withdraw": Action.APPEAR_AS_COUNSEL,
    "/facilities/{code}/housing": Action.HOUSE,
    "/integrity/runs": Action.RECORD_INTEGRITY,
    "/inspections/{seq}/findings": Action.RECORD_INSPECTIONS,
    "/billing/invoices": Action.ISSUE_INVOICES,
    "/billing/invoices/{seq}/payments": Action.RECORD_PAYMENTS,
    "/billing/invoices/{seq}/disputes": Action.DISPUTE_INVOICES,
    "/billing/disputes/{seq}/accept": Action.DECIDE_DISPUTES,
    "/billing/disputes/{seq}/reject": Action.DECIDE_DISPUTES,
    "/notifications/{notification_id}/retry": Action.RETRY_NOTIFICATIONS,
    # Proposals: one state proposes, the other accepts or rejects, the proposer may withdraw
    # (DESIGN.md §12.1); which state may is the service's to say.
    "/agreements/{ref}/renewals": Action.RENEW_TERMS,
    "/agreements/{ref}/fees": Action.SCHEDULE_FEES,
    "/agreements/{ref}/quota": Action.SCHEDULE_FEES,
    "/agreements/{ref}/changes/{seq}/accept": Action.DECIDE_AGREEMENT_CHANGES,
    "/agreements/{ref}/changes/{seq}/reject": Action.DECIDE_AGREEMENT_CHANGES,
    "/agreements/{ref}/changes/{seq}/withdraw": Action.DECIDE_AGREEMENT_CHANGES,
    "/people/{public_id}/renewal": Action.RENEW_TERMS,
}
PUBLIC_PAGES = frozenset({"/login", "/locate",
                          "/subscribe", "/subscribe/confirm", "/subscribe/revoke",
                          # Like the log it explains: public, no personal data (DESIGN.md §6).
                          "/ledger/verify-instructions"})


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str


def navigation(principal: Principal) -> list[NavItem]:
    """navigation lists the pages this principal's role may open."""
    # Labels are translated where shown (base.html).
    items = [NavItem(N_("Home"), "/"), NavItem(N_("Nominations"), "/nominations"),
             NavItem(N_("Facility"), "/facilities"), NavItem(N_("Transfers"), "/transfers"),
             NavItem(N_("Court orders"), "/holds"), NavItem(N_("Integrity"), "/integrity"),
             NavItem(N_("Oversight"), "/inspections"),
             NavItem(N_("Billing"), "/billing/invoices"),
             NavItem(N_("Notifications"), "/notifications"),
             NavItem(N_("Counsel of record"), "/counsel"), NavItem(N_("Ledger"), "/log")]
    if principal.role in (Role.ADMIN, Role.MONITOR):
        items.append(NavItem(N_("API schema"), "/openapi.json"))
    return [i for i in items if i.href not in PAGE_ACTIONS
            or allowed(principal.role, PAGE_ACTIONS[i.href])]


# Each role's name as the header shows it.
ROLE_LABELS = {Role.ADMIN: N_("administrator"), Role.SENDING: N_("sending state"),
               Role.RECEIVING: N_("receiving state"), Role.COUNSEL: N_("counsel"),
               Role.MONITOR: N_("monitor")}


@dataclass(frozen=True)
class Problem:
    """Problem is a form's error: which FORM (payment, dispute, decide-N), which FIELD, and
    the refusal as the domain said it (habeas.errors)."""

    form: str
    field: str | None
    message: str
    status: int
    code: str = ErrorCode.VALIDATION_FAILED.value
    problem: str = ""  # a field's problem without the field's name, when it is about one


NOT_A_DAY = N_("give the date as YYYY-MM-DD")


def day_of(text: str, name: str) -> date:
    """day_of reads a form's date (YYYY-MM-DD), naming the field NAME if it is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise field_error(name, NOT_A_DAY) from None


def problem_of(form: str, exc: DomainError, fields: dict[str, str] | None = None) -> Problem:
    """problem_of is EXC as FORM's error, its field renamed by FIELDS (API name → form's)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    name = details.get("field")
    name = (fields or {}).get(name, name) if isinstance(name, str) else None
    said = details.get("problem")
    return Problem(form, name, exc.message, exc.status, exc.code.value,
                   said if isinstance(said, str) else "")


def explain(lang: str, message: str, code: str = "", problem: str = "") -> Markup:
    """explain is a domain refusal in LANG. The specific English message when the catalogue
    has it or the reader reads English; otherwise the translated meaning of its stable code
    with the English detail marked as English (WCAG 2.2 SC 3.1.2, language of parts): the
    domain's messages carry names and numbers no catalogue can list."""
    if lang == DEFAULT:
        return escape(message)
    for said in (problem, message):
        if said and is_translated(lang, said):
            return escape(gettext(lang, said))
    meaning = ERROR_DESCRIPTIONS.get(ErrorCode(code)) if code in ErrorCode.__members__.values() \
        else None
    head = gettext(lang, meaning) if meaning else ""
    return Markup('{} <span lang="en">({})</span>').format(head, message) if head \
        else Markup('<span lang="en">{}</span>').format(message)


@pass_context
def _explain(context: Context, message: str, code: str = "", problem: str = "") -> Markup:
    return explain(lang_of(context), message, code, problem)


install_language(templates.env)
templates.env.globals.update(explain=_explain, role_labels=ROLE_LABELS)


# A page view restarts the session's idle timeout; written at most this often per session.
TOUCH_EVERY = timedelta(minutes=1)


def safe_next(target: str | None) -> str | None:
    """safe_next is TARGET if it is a path on this site to return to after logging in, else
    None: never another host (`//evil`, `/\\evil`, `https://…`), never the login page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None  # browsers read a backslash as a slash; control characters split headers
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return None
    return target


def to_login(next_path: str | None) -> RedirectResponse:
    """to_login sends the browser to the login page, to come back to NEXT_PATH after."""
    target = safe_next(next_path)
    return RedirectResponse("/login" if target in (None, "/") else
                            "/login?next=" + quote(target, safe="/"), status_code=303)


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def _came_from(request: Request) -> str | None:
    """_came_from is the local page a form was posted from (its Referer, if same-site)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return None
    return safe_next(referer.path + ("?" + referer.query if referer.query else ""))


def _live_principal(request: Request) -> Principal | None:
    """_live_principal is who is logged in, touching their session against the idle timeout."""
    try:
        principal = optional_principal(request)
    except DomainError:
        return None
    if principal is not None and principal.via == "session":
        now = utcnow()
        if principal.seen_at is None or now - principal.seen_at >= TOUCH_EVERY:
            with unit_of_work(engine_of(request)) as db:
                sessions.touch_session(db, request.cookies.get(SESSION_COOKIE, ""), now)
    return principal


# --- Who may open a page or post a form, as FastAPI dependencies that raise (ADR 0024) ---
# A handler declares `principal: PageUser` or `principal: FormUser`; the action it needs is
# looked up from the route it serves (PAGE_ACTIONS / FORM_ACTIONS), so a path is typed once,
# in its decorator. A refusal raises; one handler per exception turns it into HTML.


class LoginRequired(Exception):
    """LoginRequired: nobody (or an expired session) is logged in; back to NEXT after."""

    def __init__(self, next_path: str | None) -> None:
        super().__init__("login required")
        self.next_path = next_path


class PageRefused(Exception):
    """PageRefused: the logged-in PRINCIPAL may not open this page or post this form."""

    def __init__(self, principal: Principal, message: str) -> None:
        super().__init__(message)
        self.principal = principal
        self.message = message


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):  # pragma: no cover - every page is served by a route
        raise RuntimeError("no route for " + request.url.path)
    return path


def page_user(request: Request) -> Principal:
    """page_user is who is logged in, if their role may open this route's page."""
    principal = _live_principal(request)
    if principal is None:
        raise LoginRequired(_here(request))
    if not allowed(principal.role, PAGE_ACTIONS[_route_path(request)]):
        raise PageRefused(principal, N_("Your role may not open this page."))
    return principal


def form_user(request: Request, csrf: str = Form("")) -> Principal:
    """form_user is who is logged in, if their form carries the session's CSRF token and
    their role may post to this route."""
    principal = _live_principal(request)
    if principal is None:
        raise LoginRequired(_came_from(request))
    if not principal.csrf_token or not same_secret(csrf, principal.csrf_token):
        raise PageRefused(principal, N_("Your form expired. Go back, reload the page and"
                                        " try again."))
    if not allowed(principal.role, FORM_ACTIONS[_route_path(request)]):
        raise PageRefused(principal, N_("Your role may not do this."))
    return principal


PageUser = Annotated[Principal, Depends(page_user)]
FormUser = Annotated[Principal, Depends(form_user)]


def page(request: Request, principal: Principal, template: str, status_code: int = 200,
         **values: object) -> Response:
    """page renders TEMPLATE for PRINCIPAL with VALUES and what every signed-in page needs
    (who, the navigation)."""
    return templates.TemplateResponse(
        request, template, {"principal": principal, "nav": navigation(principal), **values},
        status_code=status_code)


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return to_login(exc.next_path)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefused)
    return page(request, exc.principal, "error.html", status_code=403, message=exc.message)


def install_page_handlers(app: FastAPI) -> None:
    """install_page_handlers turns the page dependencies' refusals into HTML, once."""
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(PageRefused, _refused)


def refusal_page(request: Request, principal: Principal, exc: DomainError) -> Response:
    """refusal_page is the signed-in error page for a domain's refusal EXC: explained by its
    stable code in the reader's language (explain), titled "Not found" for a 404 — what
    another state's officer reads for an object it may not learn exists — else "Refused"."""
    return page(request, principal, "error.html", status_code=exc.status, message=exc.message,
                code=exc.code.value,
                title=N_("Not found") if exc.status == 404 else N_("Refused"))
