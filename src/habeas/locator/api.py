"""GET /api/v1/locate — the public locator (no login), and the one way a search runs.

`run_search` owns a search's transactions, for this route and for the page
(habeas.web.locate): the rate limit and the search in a read, then the search log
row in a short write — so searches never wait on each other's reads.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Engine

from habeas.api.deps import engine_of
from habeas.api.errors import ErrorBody, documented, error_response
from habeas.config import get_settings
from habeas.db import utcnow
from habeas.locator import service
from habeas.locator.schemas import LocatedPerson, LocateOut
from habeas.locator.schemas import Query as LocatorQuery

router = APIRouter(prefix="/locate", tags=["locator"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **documented(422),
    429: {"model": ErrorBody, "description": "too many searches from this address; the "
          "Retry-After header says how many seconds to wait"},
}


def client_of(request: Request) -> str:
    """client_of is the address a search is counted against (the TCP peer)."""
    return request.client.host if request.client else "unknown"


def run_search(engine: Engine, query: LocatorQuery, client: str,
               now: datetime | None = None) -> list[LocatedPerson]:
    """run_search limits, searches and logs one public search (RateLimited when over).

    Two short transactions on plain connections: the limit and the search read (never
    blocking anyone), then the log row written (SQLite: one writer at a time).
    """
    settings = get_settings()
    moment = now or utcnow()
    with engine.connect() as conn:
        service.check_rate(conn, client, moment, limit=settings.locator_rate_limit,
                           window_s=settings.locator_rate_window_s)
        found = service.search(conn, query, moment.date())
    with _one_writer(engine), engine.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
        service.record_search(conn, client, query, len(found), moment)
    return found


_SQLITE_WRITER = threading.Lock()


def _one_writer(engine: Engine) -> AbstractContextManager[object]:
    # SQLite has one writer at a time, and a writer that finds the lock taken sleeps and
    # polls (1, 2, 5, 10 … ms): the server's own threads queue here instead, so a burst
    # of searches does not turn into a tail of sleeps (bench/locator.py; ADR 0015).
    return _SQLITE_WRITER if engine.dialect.name == "sqlite" else nullcontext()


@router.get("", response_model=LocateOut, responses=RESPONSES)
def locate(
    request: Request,
    identifier: Annotated[str | None, Query(
        description="the sending state's reference or a document number")] = None,
    country_of_birth: Annotated[str | None, Query(
        description="ISO 3166-1 alpha-3, e.g. SLV (always required)")] = None,
    family_name: Annotated[str | None, Query()] = None,
    given_names: Annotated[str | None, Query()] = None,
    date_of_birth: Annotated[str | None, Query(
        description="YYYY-MM-DD; with it, close spellings of the name are found too")] = None,
) -> Any:
    """Find a transferee: by identifier + country of birth, or by family name + given names
    + country of birth (+ date of birth). Public; rate-limited per address; every search is
    logged. Answers only name, status, facility and its public contact, legal custodian and
    the date of the last status change — never a minor, never someone released more than
    60 days ago."""
    query = service.parse_query(identifier=identifier, country_of_birth=country_of_birth,
                                family_name=family_name, given_names=given_names,
                                date_of_birth=date_of_birth, today=utcnow().date())
    try:
        found = run_search(engine_of(request), query, client_of(request))
    except service.RateLimited as exc:
        return error_response(429, exc.code, exc.message, exc.details,
                              headers={"Retry-After": str(exc.retry_after)})
    # Serialised here, once: the answer is already the response model.
    return Response(LocateOut(results=found).model_dump_json(), media_type="application/json")
