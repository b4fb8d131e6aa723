"""The staff search page: one box in the header, results grouped by kind (habeas.search).

Thin: parse, call habeas.search.service, render. The role decides which kinds are
searched and principal.scope which state's people and invoices are found.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from habeas.api.deps import engine_of
from habeas.auth.models import Role
from habeas.counsel import service as counsel
from habeas.db import read_session
from habeas.search import service
from habeas.web.common import PageUser, page

router = APIRouter(include_in_schema=False)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, principal: PageUser,
                q: str = Query(default="", max_length=200)) -> Response:
    """search_page: without a query, the empty form; with one, at most PER_KIND of each kind
    the role may read, links to their pages."""
    with read_session(engine_of(request)) as db:
        results = service.search(db, q, role=principal.role, scope=principal.scope,
                                 clients=counsel.clients_of(db, principal)
                                 if principal.role is Role.COUNSEL else None)
        return page(request, principal, "search.html", r=results, per_kind=service.PER_KIND,
                    min_length=service.MIN_LENGTH)
