"""Request dependencies: the database, who is asking, and whether they may."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from habeas.auth import sessions, tokens
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.db import read_session, unit_of_work
from habeas.errors import ErrorCode, Forbidden, Unauthenticated

SESSION_COOKIE = "habeas_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def read_db(request: Request) -> Iterator[Session]:
    """read_db is a read-only session for one request."""
    with read_session(engine_of(request)) as session:
        yield session


def writer(request: Request) -> Callable[[], AbstractContextManager[Session]]:
    """writer gives a handler its unit of work: `with write() as session: ...` commits once.

    A POST with an Idempotency-Key gets the unit of work the idempotency middleware
    holds open, so its stored response commits with the writes (ADR 0019).
    """
    held: Callable[[], AbstractContextManager[Session]] | None = getattr(
        request.state, "idempotent_unit_of_work", None)
    return held if held is not None else lambda: unit_of_work(engine_of(request))


ReadDB = Annotated[Session, Depends(read_db)]
Writer = Annotated[Callable[[], AbstractContextManager[Session]], Depends(writer)]


def optional_principal(request: Request) -> Principal | None:
    """optional_principal resolves a Bearer token or a session cookie, or None."""
    header = request.headers.get("Authorization", "")
    with read_session(engine_of(request)) as session:
        if header:
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret:
                raise Unauthenticated("Authorization: use 'Bearer <token>'")
            return tokens.principal_from_token(session, secret.strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            return sessions.principal_from_session(session, cookie)
    return None


def current_principal(request: Request) -> Principal:
    """current_principal is the authenticated caller; cookie callers must send the CSRF token."""
    principal = optional_principal(request)
    if principal is None:
        raise Unauthenticated("log in or send 'Authorization: Bearer <token>'")
    if (principal.via == "session" and request.method not in SAFE_METHODS
            and request.headers.get(CSRF_HEADER) != principal.csrf_token):
            raise Forbidden(f"{CSRF_HEADER}: missing or wrong CSRF token",
                            code=ErrorCode.CSRF_FAILED)
    return principal


def require(action: Action) -> Callable[[Principal], Principal]:
    """require(ACTION) is the dependency that lets only permitted roles through."""

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not allowed(principal.role, action):
            raise Forbidden(f"role {principal.role.value} may not {action.value}")
        return principal

    check.action = action  # type: ignore[attr-defined]  # read by the permission matrix test
    return check
