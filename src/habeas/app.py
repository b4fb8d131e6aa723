"""The whole application assembled: the JSON API (/api/v1), /healthz, the web pages and static
files — the one module that knows every face. `api/` holds only the JSON API's shared plumbing."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.routing import BaseRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from habeas import __version__, i18n, projections
from habeas.agreements.api import router as agreements_router
from habeas.api.body import BodyLimits
from habeas.api.errors import documented, error_response, install
from habeas.api.idempotency import IdempotencyMiddleware
from habeas.api.nul import RefuseNul
from habeas.auth.api import router as auth_router
from habeas.auth.models import Role
from habeas.auth.permissions import PERMISSIONS
from habeas.billing.api import router as billing_router
from habeas.billing.report_api import router as billing_report_router
from habeas.config import Settings, get_settings
from habeas.counsel.api import router as counsel_router
from habeas.custody.api import router as custody_router
from habeas.custody.records_api import router as custody_records_router
from habeas.dashboard.api import router as dashboard_router
from habeas.db import default_engine
from habeas.errors import ERROR_DESCRIPTIONS, ErrorCode
from habeas.events import event_types
from habeas.facilities.api import router as facilities_router
from habeas.facilities.rules import FACILITY_RULES, SEPARATION_RULES
from habeas.holds.api import router as holds_router
from habeas.ledger.api import proofs as ledger_proofs
from habeas.ledger.api import router as ledger_router
from habeas.ledger.api import tiles_router
from habeas.locator.api import router as locator_router
from habeas.nominations.api import router as nominations_router
from habeas.notify.api import public as subscriptions_router
from habeas.notify.api import router as notifications_router
from habeas.oversight.api import router as oversight_router
from habeas.screening.catalogue import RULES
from habeas.sentences.api import router as sentences_router
from habeas.transfers.api import router as transfers_router
from habeas.web.agreements import router as agreement_pages
from habeas.web.billing import router as billing_pages
from habeas.web.common import install_page_handlers
from habeas.web.counsel import router as counsel_pages
from habeas.web.custody import router as custody_pages
from habeas.web.intake import router as intake_pages
from habeas.web.ledger import router as ledger_pages
from habeas.web.locate import router as locate_page
from habeas.web.nominations import router as nomination_pages
from habeas.web.notify import router as notify_pages
from habeas.web.oversight import router as oversight_pages
from habeas.web.people import router as people_pages
from habeas.web.routes import router as web_router
from habeas.web.search import router as search_page
from habeas.web.transfers import router as transfer_pages

# No inline script or style anywhere: the pages load only our own files
# (tests/web/test_security.py fetches every page and checks).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
# Browsers remember for a year that this site is HTTPS only (sent when cookies are Secure).
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


class Constants(BaseModel):
    version: str
    error_codes: dict[str, str]
    roles: list[str]
    permissions: dict[str, list[str]]
    event_types: list[str]
    rules: dict[str, dict[str, Any]]
    housing_rules: dict[str, dict[str, str]]


class Health(BaseModel):
    status: str
    database: str


async def _security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
    response = await call_next(request)
    i18n.remember(request, response)  # a reader's ?lang= choice holds for every page
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if get_settings().cookie_secure:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    # Pages and API answers hold personal data: no copy in any cache, so none is shown by
    # the Back button after logging out. Our static files and the ledger's tiles may be kept.
    if not request.url.path.startswith(("/static/", "/ledger/")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _constants() -> Constants:
    return Constants(
        version=__version__,
        error_codes={code.value: ERROR_DESCRIPTIONS[code] for code in ErrorCode},
        roles=[r.value for r in Role],
        permissions={a.value: sorted(r.value for r in roles) for a, roles in PERMISSIONS.items()},
        event_types=sorted(event_types()),
        rules={rid: {"checks": s.checks, "citation": s.citation, "always": s.always,
                     "params": s.params} for rid, s in RULES.items()},
        housing_rules={r.number: {"code": str(r.code), "text": r.text, "citation": r.citation}
                       for r in (*FACILITY_RULES, *SEPARATION_RULES)},
    )


def server_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """server_config is how `habeas serve` runs APP. uvicorn's own proxy handling is off: it
    believes X-Forwarded-For from 127.0.0.1 by default, so anyone reaching a local port
    could name any address (beating the rate limits, forging the logs). The app believes
    the header only from HABEAS_TRUSTED_PROXIES (create_app; issue 17)."""
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info",
                          proxy_headers=False)


@functools.cache
def _routes() -> tuple[BaseRoute, ...]:
    """_routes: every route of the API and the pages, in the order they are matched. Built once
    per process: FastAPI builds each route's validators as it is included (~0.2 s of CPU),
    and the routes hold no state of an app, so every app made here shares them (the tests
    make one per database)."""
    routes = APIRouter()
    v1 = APIRouter(prefix="/api/v1")

    @v1.get("/constants", tags=["meta"])
    def constants() -> Constants:
        """Stable error codes, roles, permissions, event types and rules (public)."""
        return _constants()

    # The public locator first: routes are matched in order, and it is the busiest.
    v1.include_router(locator_router)  # public: no login (DESIGN.md §9)
    v1.include_router(auth_router)
    v1.include_router(agreements_router)
    v1.include_router(facilities_router)
    v1.include_router(nominations_router)
    v1.include_router(holds_router)
    v1.include_router(counsel_router)
    v1.include_router(transfers_router)
    v1.include_router(custody_router)
    v1.include_router(oversight_router)
    v1.include_router(custody_records_router)
    v1.include_router(sentences_router)
    v1.include_router(billing_router)
    v1.include_router(billing_report_router)
    v1.include_router(ledger_router)
    v1.include_router(ledger_proofs)
    v1.include_router(subscriptions_router)  # public: no login (DESIGN.md §9)
    v1.include_router(notifications_router)
    v1.include_router(dashboard_router)
    routes.include_router(v1)

    @routes.get("/healthz", tags=["meta"], responses=documented(503))
    def healthz(request: Request) -> Health:
        """Liveness and database reachability (public)."""
        try:
            with request.app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return error_response(  # type: ignore[return-value]
                503, ErrorCode.DATABASE_UNAVAILABLE, "the database cannot be reached")
        return Health(status="ok", database=request.app.state.engine.dialect.name)

    routes.include_router(tiles_router)
    routes.include_router(web_router)
    routes.include_router(ledger_pages)
    routes.include_router(nomination_pages)
    routes.include_router(custody_pages)
    routes.include_router(intake_pages)
    routes.include_router(transfer_pages)
    routes.include_router(people_pages)
    routes.include_router(counsel_pages)
    routes.include_router(oversight_pages)
    routes.include_router(billing_pages)
    routes.include_router(agreement_pages)
    routes.include_router(locate_page)
    routes.include_router(notify_pages)
    routes.include_router(search_page)
    static = resources.files("habeas.web") / "static"
    routes.mount("/static", StaticFiles(directory=str(static)), name="static")
    return tuple(routes.routes)


def create_app(engine: Engine | None = None) -> FastAPI:
    """create_app builds the application bound to ENGINE (default: HABEAS_DATABASE_URL)."""
    projections.install()
    app = FastAPI(
        title="habeas", version=__version__,
        description="Custody you can prove: nomination to release on a verifiable ledger.",
        # No Swagger UI: it loads scripts from a CDN, which the CSP (and offline sites) forbid.
        openapi_url="/openapi.json", docs_url=None, redoc_url=None,
    )
    app.state.engine = engine or default_engine()
    settings = get_settings()
    install(app)
    install_page_handlers(app)
    app.add_middleware(IdempotencyMiddleware)  # inside the security headers (ADR 0019)
    app.add_middleware(RefuseNul)  # before anything stores the request's text
    # Before anything reads the body at all: its size and its JSON nesting are bounded.
    app.add_middleware(BodyLimits, max_bytes=settings.max_body_bytes)
    app.add_middleware(BaseHTTPMiddleware, dispatch=_security_headers)
    if settings.proxies:
        # Outermost: the client's address is settled before anything counts or logs it.
        # Only a listed proxy's X-Forwarded-For is believed; `habeas serve` runs uvicorn
        # without its own (which trusts 127.0.0.1 by default).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxies)

    # The routes are built once per process and shared by every app made in it (not this
    # app's own includes, so app.dependency_overrides does not reach them).
    app.router.routes.extend(_routes())
    return app
