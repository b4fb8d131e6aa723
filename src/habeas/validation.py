"""Turning Pydantic validation errors into one clear 'field: problem' line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from habeas.errors import ValidationFailed


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


M = TypeVar("M", bound=BaseModel)


def parse_or_422(model: type[M], data: Any, *, prefix: str = "",
                 rename: Callable[[str], str] | None = None) -> M:
    """parse_or_422 is DATA validated as MODEL, or a 422 ValidationFailed that names the
    first problem's field (renamed by RENAME, e.g. to a form's field name) and lists every
    problem: the one translation of a Pydantic error into the domain's refusal."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = all_problems(exc, prefix)
        if rename is not None:
            problems = [{"field": rename(p["field"]), "problem": p["problem"]}
                        for p in problems]
        first = problems[0]
        raise ValidationFailed(f"{first['field']}: {first['problem']}",
                               details={"field": first["field"], "problem": first["problem"],
                                        "errors": problems}) from None
