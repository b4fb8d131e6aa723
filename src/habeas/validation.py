"""Turning Pydantic validation errors into one clear 'field: problem' line."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def describe(error: dict[str, Any] | Any, prefix: str = "") -> tuple[str, str]:
    """describe returns (dotted field path, human problem) for one Pydantic error."""
    parts = [str(part) for part in error["loc"]]
    field = ".".join(([prefix] if prefix else []) + parts) or (prefix or "body")
    problem = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        problem = "unknown key"
    elif error["type"] == "missing":
        problem = "required key is missing"
    return field, problem


def first_problem(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    """first_problem describes the first error of EXC."""
    return describe(exc.errors()[0], prefix)


def all_problems(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """all_problems describes every error of EXC as {"field", "problem"}."""
    return [dict(zip(("field", "problem"), describe(e, prefix), strict=True))
            for e in exc.errors()]
