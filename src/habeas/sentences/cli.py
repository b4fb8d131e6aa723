"""`habeas sentence compute FILE`: release dates with their working (DESIGN.md §5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from habeas.console import JsonFlag, emit
from habeas.errors import DomainError, ValidationFailed
from habeas.sentences.release import compute_document, require_one_computed
from habeas.sentences.schemas import ComputeResponse, PersonResult

sentence_app = typer.Typer(no_args_is_help=True, help="Sentence expiry and release dates.")


def read_document(path: Path) -> Any:
    """read_document parses FILE as JSON, or fails in one line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DomainError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationFailed(f"{path}: not JSON: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{path}: not JSON: {exc.msg} (line {exc.lineno} column"
                               f" {exc.colno})") from None


def person_lines(result: PersonResult) -> list[str]:
    """person_lines is one person's dates on a line, then the working indented."""
    name = result.id or "(no id)"
    if result.errors:
        return [f"{name}: not computed"] + [f"  error: {e.field}: {e.problem}"
                                            for e in result.errors]
    if result.release_date is None:
        head = f"{name}: no release date"
    else:
        head = (f"{name}: release {result.release_date}  (expiry {result.sentence_expiry},"
                f" projected {result.projected_release}, good conduct"
                f" {result.good_conduct_days} day(s))")
    flags = f"  flags: {', '.join(result.flags)}" if result.flags else ""
    return [head + flags] + [f"  {step}" for step in result.steps]


def report_lines(response: ComputeResponse) -> list[str]:
    """report_lines is every person's lines, a blank line between people."""
    lines: list[str] = []
    for result in response.results:
        if lines:
            lines.append("")
        lines += [escape(line) for line in person_lines(result)]
    return lines


@sentence_app.command("compute")
def compute(
    file: Annotated[Path, typer.Argument(help='a JSON file: {"people": [...]} (DESIGN.md §5)')],
    as_json: JsonFlag = False,
) -> None:
    """Compute each person's sentence expiry and release date, with the working.

    A person with bad input is reported with errors and the others are computed
    (exit 1); when nobody can be computed, one error line (exit 2).
    """
    response = compute_document(read_document(file))
    require_one_computed(response)
    emit(as_json, response.model_dump(mode="json"), report_lines(response))
    if any(r.errors for r in response.results):
        raise typer.Exit(1)
