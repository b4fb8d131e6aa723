"""The one mapping of errors to HTTP responses: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from habeas.errors import DomainError, ErrorCode
from habeas.validation import describe

log = logging.getLogger("habeas.api")


class ErrorDetail(BaseModel):
    code: ErrorCode
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    error: ErrorDetail


_STATUS_DESCRIPTIONS = {
    400: "bad request",
    401: "not logged in, or the API token is invalid, expired or revoked",
    403: "your role may not do this, or the CSRF token is missing",
    404: "no such record, or not one you may see",
    409: "conflicts with an existing record",
    422: "a field is missing or malformed; details name it",
    503: "the database or the ledger's key is unavailable",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """documented declares a route's error responses in OpenAPI, all with ErrorBody."""
    # Errors are JSON even where the route answers in text (the C2SP checkpoint, tiles):
    # the media type is named, or FastAPI would document the route's own.
    return {s: {"model": ErrorBody, "description": _STATUS_DESCRIPTIONS[s],
                "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/ErrorBody"}}}} for s in statuses}


def error_response(status: int, code: ErrorCode, message: str,
                   details: dict[str, Any] | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code.value, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [dict(zip(("field", "problem"), describe(e), strict=True)) for e in exc.errors()]
    first = problems[0] if problems else {"field": "body", "problem": "invalid"}
    return error_response(422, ErrorCode.VALIDATION_FAILED,
                          f"{first['field']}: {first['problem']}",
                          {"field": first["field"], "problem": first["problem"],
                           "errors": problems})


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI answers 400 for a body it cannot decode at all (not UTF-8, broken JSON
        # or form data); bad input like any other: 422, naming the body (found by fuzzing).
        problem = "could not be read: send UTF-8 JSON (or form data where a form is asked)"
        return error_response(422, ErrorCode.VALIDATION_FAILED, f"body: {problem}",
                              {"field": "body", "problem": problem})
    code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED,
            401: ErrorCode.UNAUTHENTICATED, 403: ErrorCode.FORBIDDEN}.get(
        exc.status_code, ErrorCode.VALIDATION_FAILED)
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, ErrorCode.INTERNAL_ERROR, "an unexpected fault; it has been logged")


def install(app: FastAPI) -> None:
    """install maps every error type to its JSON response, once."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
