"""Idempotency-Key on every POST under /api/v1 (ADR 0019).

A client that may have to retry a POST (a dropped connection, a server killed
mid-request) sends `Idempotency-Key: <its own unique string>`. The first request
with a key runs; its response is stored with the key *in the handler's own
transaction*: the handler's `with write()` unit of work is held open until the
response is known, the key row is added, and one commit makes the events and
the stored response durable together, or neither. So a retry either finds the
stored response — replayed byte for byte with `Idempotent-Replayed: true`,
nothing run again — or finds nothing done and runs the request afresh.

The same key with a different request (method, path, query or body) is refused
with 422 naming the header; a retry while the first is still running gets 409.
Keys are scoped to the authenticated user (anonymous callers share one scope,
so their keys must be unguessable) and forgotten after KEY_LIFETIME. Only
successful (2xx) responses are stored: a failed request changed nothing, so
running it again is safe.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from habeas import faults
from habeas.api.errors import error_response
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import Conflict, DomainError, ErrorCode
from habeas.idempotency import MAX_KEY_LENGTH, IdempotencyKey

log = logging.getLogger("habeas.api")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
API_PREFIX = "/api/v1/"
KEY_LIFETIME = timedelta(hours=24)
# Visible ASCII but no quotes, backslash or comma: a UUID, a ULID, base64 all fit.
_KEY_CHARS = re.compile(r"[A-Za-z0-9!#$%&'*+./:;<=>?@^_`|~()\[\]{}-]+")
ANONYMOUS = "anonymous"
STATE_NAME = "idempotent_unit_of_work"  # request.state attribute read by api.deps.writer


def key_problem(values: list[str]) -> str | None:
    """key_problem says what is wrong with the Idempotency-Key header values, or None."""
    if len(values) != 1:
        return "send the header once"
    value = values[0]
    if not 0 < len(value) <= MAX_KEY_LENGTH:
        return f"must be 1 to {MAX_KEY_LENGTH} characters"
    if _KEY_CHARS.fullmatch(value) is None:
        return "use visible ASCII characters only (no spaces, quotes, commas or backslashes)"
    return None


def request_digest(method: str, path: str, query: bytes, body: bytes) -> str:
    """request_digest is hex SHA-256 over the parts of a request a retry must repeat."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _live(row: IdempotencyKey | None, now: datetime) -> IdempotencyKey | None:
    return row if row is not None and row.created_at > now - KEY_LIFETIME else None


def _header_error(status: int, code: ErrorCode, problem: str, **details: Any) -> Response:
    return error_response(status, code, f"{HEADER}: {problem}",
                          {"field": HEADER, "problem": problem, **details})


def replay(row: IdempotencyKey, digest: str) -> Response:
    """replay is the stored response for ROW, or 422 if DIGEST is another request."""
    if row.request_sha256 != digest:
        return _header_error(
            422, ErrorCode.VALIDATION_FAILED,
            f"already used for another request ({row.method} {row.path}); use a new key",
            method=row.method, path=row.path)
    headers = {REPLAYED_HEADER: "true"}
    if row.location:
        headers["Location"] = row.location
    return Response(row.body.encode(), status_code=row.status, headers=headers,
                    media_type=row.content_type)


class Pending:
    """Pending is one keyed POST in progress and the unit of work it holds open."""

    def __init__(self, engine: Engine, principal: str, key: str, method: str, path: str,
                 digest: str) -> None:
        self.engine, self.principal, self.key = engine, principal, key
        self.method, self.path, self.digest = method, path, digest
        self.superseded: IdempotencyKey | None = None
        self._work: AbstractContextManager[Session] | None = None
        self._session: Session | None = None

    def _begin(self) -> Session:
        self._work = unit_of_work(self.engine)
        self._session = self._work.__enter__()
        return self._session

    def _end(self, error: BaseException | None = None) -> None:
        work, self._work, self._session = self._work, None, None
        if work is None:
            return
        if error is None:
            work.__exit__(None, None, None)  # commits (raises if the commit fails)
        else:
            work.__exit__(type(error), error, error.__traceback__)  # rolls back

    def _stored(self, session: Session) -> IdempotencyKey | None:
        return _live(session.get(IdempotencyKey, (self.principal, self.key)), utcnow())

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """unit_of_work is the handler's `write()`: one transaction kept open until finish."""
        session = self._session
        if session is None:
            session = self._begin()
            # Under the write lock: a twin request with this key may have committed
            # between our first look and now (another process).
            found = self._stored(session)
            if found is not None:
                self.superseded = found
                self._end(DomainError("superseded"))
                raise Conflict(f"{HEADER}: this request has just completed",
                               details={"field": HEADER})
        try:
            yield session
            session.flush()
        except BaseException as exc:
            self._end(exc)
            raise

    def abandon(self, error: BaseException) -> None:
        """abandon rolls back whatever the request wrote (it raised past every handler)."""
        self._end(error)

    def finish(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes
               ) -> Response | None:
        """finish stores a 2xx response with the request's writes and commits them together.

        Returns a response to send instead of the handler's (a replay, or an error if
        the commit failed), or None to send the handler's own.
        """
        if self.superseded is not None:
            return replay(self.superseded, self.digest)
        store = 200 <= status < 300
        try:
            text = body.decode()
        except UnicodeDecodeError:
            log.warning("not storing a non-UTF-8 response under %s", HEADER)
            store = False
        if store and self._session is None:
            session = self._begin()  # the handler wrote nothing: the key row alone
            found = self._stored(session)
            if found is not None:
                self._end(DomainError("superseded"))
                return replay(found, self.digest)
        if self._session is None:
            return None
        if store:
            now = utcnow()
            wanted = {name.decode("latin-1").lower(): value.decode("latin-1")
                      for name, value in headers}
            self._session.execute(delete(IdempotencyKey).where(
                IdempotencyKey.created_at <= now - KEY_LIFETIME))
            self._session.add(IdempotencyKey(
                principal=self.principal, key=self.key, method=self.method,
                path=self.path[:500], request_sha256=self.digest, status=status, body=text,
                content_type=wanted.get("content-type"), location=wanted.get("location"),
                created_at=now))
        try:
            self._end()
        except IntegrityError:
            with read_session(self.engine) as session:
                found = self._stored(session)
            if found is not None:
                return replay(found, self.digest)
            raise
        except SQLAlchemyError:
            log.exception("commit failed for a request with %s", HEADER)
            return error_response(503, ErrorCode.DATABASE_UNAVAILABLE,
                                  "the database did not record the request; retry it")
        if store:
            faults.crash_point("idempotency.stored")
        return None


def _principal_of(request: Request) -> str | None:
    """_principal_of is whom the key is scoped to, or None if the credentials are bad."""
    from habeas.api.deps import optional_principal

    try:
        principal = optional_principal(request)
    except DomainError:
        return None  # the route itself refuses the request (401)
    return ANONYMOUS if principal is None else f"user:{principal.user_id}"


def _lookup(engine: Engine, principal: str, key: str) -> IdempotencyKey | None:
    with read_session(engine) as session:
        return _live(session.get(IdempotencyKey, (principal, key)), utcnow())


class IdempotencyMiddleware:
    """IdempotencyMiddleware honours Idempotency-Key on every POST under /api/v1."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._in_flight: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or not scope["path"].startswith(API_PREFIX)):
            await self.app(scope, receive, send)
            return
        values = [v.decode("latin-1") for k, v in scope["headers"]
                  if k == HEADER.lower().encode()]
        if not values:
            await self.app(scope, receive, send)
            return
        problem = key_problem(values)
        if problem is not None:
            await _header_error(422, ErrorCode.VALIDATION_FAILED, problem)(scope, receive, send)
            return
        key = values[0]
        body = await _read_body(receive)
        replayed = _replaying(body, receive)
        principal = await run_in_threadpool(_principal_of, Request(scope))
        if principal is None:
            await self.app(scope, replayed, send)
            return
        engine: Engine = scope["app"].state.engine
        digest = request_digest("POST", scope["path"], scope.get("query_string", b""), body)
        stored = await run_in_threadpool(_lookup, engine, principal, key)
        if stored is not None:
            await replay(stored, digest)(scope, receive, send)
            return
        if (principal, key) in self._in_flight:
            await _header_error(409, ErrorCode.CONFLICT,
                                "a request with this key is still running; retry shortly"
                                )(scope, receive, send)
            return
        self._in_flight.add((principal, key))
        try:
            await self._run(scope, replayed, send, Pending(
                engine, principal, key, "POST", scope["path"], digest))
        finally:
            self._in_flight.discard((principal, key))

    async def _run(self, scope: Scope, receive: Receive, send: Send, pending: Pending) -> None:
        scope.setdefault("state", {})[STATE_NAME] = pending.unit_of_work
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        except BaseException as exc:
            await run_in_threadpool(pending.abandon, exc)
            raise
        body = b"".join(chunks)
        instead = await run_in_threadpool(pending.finish, start["status"],
                                          list(start.get("headers", [])), body)
        if instead is not None:
            await instead(scope, receive, send)
            return
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
