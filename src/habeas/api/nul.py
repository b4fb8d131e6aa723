"""Refuse the NUL character in any request text, before it reaches a database.

PostgreSQL text cannot hold U+0000 (psycopg raises DataError: a 500), SQLite
stores it and then compares strings differently: the same input must get the
same answer on both engines. No name, reason or identifier has a NUL in it, so a
request carrying one — in the path, the query string, a JSON body (as the
`\\u0000` escape) or a form — is refused with 422 naming where it was (found by
tests/api/test_fuzz.py). Multipart uploads are left to the importers, which
check each row's fields.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from habeas.api.errors import error_response
from habeas.errors import ErrorCode

PROBLEM = "must not contain the NUL character"
FORM = "application/x-www-form-urlencoded"


def _in_json(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _in_json(key, where) or _in_json(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _in_json(item, f"{where}.{i}")
            if found:
                return found
    return None


def _in_pairs(text: str, where: str) -> str | None:
    for key, value in parse_qsl(text, keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return f"{where}.{key.replace(chr(0), '')}"
    return None


def nul_field(path: str, query: bytes, content_type: str, body: bytes) -> str | None:
    """nul_field: where a NUL is in the request (`path`, `query.NAME`, `body.A.B`), if any."""
    if "\x00" in unquote(path):
        return "path"
    found = _in_pairs(query.decode("latin-1"), "query")
    if found or not body:
        return found
    if content_type.startswith("application/json"):
        try:
            return _in_json(json.loads(body), "body")
        except ValueError:
            return None  # not JSON: the route's own validation says so
    if content_type.startswith(FORM):
        return _in_pairs(body.decode("latin-1"), "body")
    return None


class RefuseNul:
    """RefuseNul is ASGI middleware: a request with a NUL anywhere in its text is a 422."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        body = b""
        reads_body = content_type.startswith(("application/json", FORM))
        if reads_body:
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
        field = nul_field(scope.get("raw_path", b"").decode("latin-1") or scope["path"],
                          scope.get("query_string", b""), content_type, body)
        if field is not None:
            response = error_response(422, ErrorCode.VALIDATION_FAILED, f"{field}: {PROBLEM}",
                                      {"field": field, "problem": PROBLEM})
            await response(scope, receive, send)
            return
        if not reads_body:
            await self.app(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)


def replaying(body: bytes, receive: Receive) -> Receive:
    """replaying is RECEIVE with BODY, already read by a middleware, given back first, so
    the application reads the request as sent (then whatever RECEIVE says next)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
