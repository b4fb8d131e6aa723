"""What every `habeas` command shares: the consoles, --json, and the actor name."""

from __future__ import annotations

import getpass
import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def day_option(option: str, value: str | None) -> date:
    """day_option reads a YYYY-MM-DD option, today when absent; a bad one is a one-line error."""
    from habeas.db import utcnow
    from habeas.errors import DomainError, ErrorCode

    if value is None:
        return utcnow().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{option}: {value!r} is not a date (YYYY-MM-DD)",
                          code=ErrorCode.VALIDATION_FAILED) from None


def actor() -> str:
    """actor names the operator in event envelopes: cli:<login>."""
    return f"cli:{getpass.getuser()}"


def emit(as_json: bool, data: Any, lines: list[str]) -> None:
    """emit prints DATA as JSON with --json, else the human LINES."""
    if as_json:
        out.print_json(json.dumps(data, default=str))
    else:
        for line in lines:
            # Plain text: "[RULE; citation]" must not be taken for Rich markup.
            out.print(line, highlight=False, soft_wrap=True, markup=False)
