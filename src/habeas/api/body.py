"""Bound what a request body may cost before anything parses it (issue 17).

Any client, logged in or not, could send 41 MB and have it parsed, or 5,000 nested
`[` and have the JSON decoder recurse until Python's stack gave out (a 500
`RecursionError`). A body longer than `HABEAS_MAX_BODY_BYTES` is refused with 413
before it is read through (by its Content-Length, or by counting as it streams);
a JSON body nested deeper than MAX_JSON_DEPTH is refused with 422 naming the body,
found by a scan that keeps no stack. No request of habeas nests anywhere near it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from habeas.api.errors import error_response
from habeas.api.nul import replaying
from habeas.errors import ErrorCode

# The deepest a nomination goes is 4 levels (convictions.0.sentence.kind); room to spare.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
_OPEN, _CLOSE, _QUOTE, _ESCAPE = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """too_deep: BODY's arrays and objects nest more than LIMIT levels (brackets inside
    strings aside). A scan without recursion, so any input is safe to measure."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # not enough brackets to go deeper than LIMIT
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _ESCAPE:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


class BodyLimits:
    """BodyLimits is ASGI middleware: a body over MAX_BYTES is a 413, deep JSON a 422."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        too_large = error_response(
            413, ErrorCode.PAYLOAD_TOO_LARGE,
            f"body: larger than {self.max_bytes} bytes", {"field": "body",
                                                           "limit": self.max_bytes})
        if declared.isdigit() and int(declared) > self.max_bytes:
            await too_large(scope, receive, send)
            return
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, receive, send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await too_large(scope, receive, send)
                return
        if content_type.startswith("application/json") and too_deep(body):
            response = error_response(422, ErrorCode.VALIDATION_FAILED, f"body: {TOO_DEEP}",
                                      {"field": "body", "problem": TOO_DEEP})
            await response(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)
