"""`habeas integrity [--json] [--record]`: the custody integrity report."""

from __future__ import annotations

from typing import Annotated

import typer

from habeas.console import JsonFlag, actor, day_option, emit
from habeas.db import default_engine, read_session, unit_of_work
from habeas.migrate import require_current

MARK = {"critical": "!!", "high": "! ", "medium": "· "}


def integrity(
    on: Annotated[str | None, typer.Option(help="as of YYYY-MM-DD (default today)")] = None,
    record: Annotated[bool, typer.Option(
        "--record", help="also put the report on the ledger (run daily)")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The custody integrity report: every check, its count, rule and who is behind it."""
    from habeas.custody import integrity as checks

    day = day_option("--on", on)
    engine = default_engine()
    require_current(engine)
    if record:
        with unit_of_work(engine) as session:
            result = checks.report(session, day)
            seq = checks.record_run(session, result, actor=actor())
    else:
        with read_session(engine) as session:
            result = checks.report(session, day)
        seq = None
    body = result.as_dict() | ({"recorded_seq": seq} if seq is not None else {})
    lines = [f"Custody integrity report as of {day} — {result.population:,} people held; "
             f"{result.breaches} check(s) with breaches"]
    for line in result.lines:
        lines.append(f"{MARK[line.severity] if line.count else '  '} {line.count:>6,}  "
                     f"{line.title} [{line.rule}; {line.citation}]")
        lines += [f"           {note}" for note in line.notes[:5]]
        if line.count > 5 and line.notes:
            lines.append(f"           … and {line.count - 5:,} more (--json lists up to "
                         f"{checks.DRILL_DOWN})")
    if seq is not None:
        lines.append(f"recorded on the ledger as event {seq}")
    emit(as_json, body, lines)
