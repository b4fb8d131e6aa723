"""`habeas nominations import` and `habeas holds import`: bulk files, line by line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from habeas.config import get_settings
from habeas.console import JsonFlag, actor, day_option, emit, err
from habeas.db import default_engine, read_session, unit_of_work
from habeas.errors import DomainError
from habeas.migrate import require_current

nominations_app = typer.Typer(no_args_is_help=True, help="Nominations by the sending state.")
holds_app = typer.Typer(no_args_is_help=True, help="Court orders that bar transfers.")




def _agreement_ref(session: Any, ref: str | None) -> str:
    from habeas.nominations import service as nominations

    # The operator acts for no state: the one chooser, with no party (the only agreement
    # registered, or --agreement).
    return nominations.choose_agreement(session, None, ref).ref


@nominations_app.command("import")
def nominations_import(
    file: Annotated[Path, typer.Argument(help="a .jsonl or .csv nomination file")],
    as_of: Annotated[str | None, typer.Option(help="screen as of YYYY-MM-DD (default today)")]
    = None,
    agreement: Annotated[str | None, typer.Option(help="agreement ref (if more than one)")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Import nominations: each line validated, screened and recorded; bad lines reported."""
    from habeas.nominations import files
    from habeas.nominations import service as nominations

    day = day_option("--as-of", as_of)
    rows = files.read_path(file)
    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        ref = _agreement_ref(session, agreement)
    report = nominations.ImportReport()
    with Progress(TextColumn("importing nominations"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("import", total=len(rows))
        # Whole chunks only, each its own transaction (Settings.import_chunk).
        size = get_settings().import_chunk
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            with unit_of_work(engine) as session:
                from habeas.agreements.models import Agreement

                report.results += nominations.import_rows(
                    session, session.get_one(Agreement, ref), chunk, as_of=day, actor=actor())
            bar.advance(task, len(chunk))
    summary = report.summary
    lines = [", ".join(f"{k} {v}" for k, v in summary.items())]
    for result in report.results:
        if result.decision in ("invalid", "ineligible", "review"):
            why = "; ".join([f"{e['field']}: {e['message']}" for e in result.errors]
                            + [f"{r['rule']}: {r['message']}" for r in result.reasons])
            lines.append(f"  line {result.line} {result.external_ref or '?'}:"
                         f" {result.decision}: {why}")
    emit(as_json, report.as_dict(), lines)


@holds_app.command("import")
def holds_import(
    file: Annotated[Path, typer.Argument(help="a .jsonl file of court orders")],
    as_of: Annotated[str | None, typer.Option(help="re-screen as of YYYY-MM-DD")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register court orders; everyone an order matches is screened again."""
    from habeas.holds import service as holds
    from habeas.nominations import files

    day = day_option("--as-of", as_of)
    if file.suffix.lower() == ".csv":
        raise DomainError(f"{file}: court orders come as .jsonl (DESIGN.md §4)")
    rows = files.read_jsonl_path(file)
    engine = default_engine()
    require_current(engine)
    results: list[dict[str, Any]] = []
    for row in rows:
        if row.errors:
            results.append({"line": row.line, "outcome": "invalid", "errors": row.errors})
            continue
        try:
            with unit_of_work(engine) as session:
                hold = holds.parse_hold(row.data)
                outcome, changed = holds.register(session, hold, actor=actor(), party=None,
                                                  as_of=day)
            results.append({"line": row.line, "hold_ref": hold.hold_ref, "outcome": outcome,
                            "rescreened": changed})
        except DomainError as exc:
            results.append({"line": row.line, "outcome": "invalid",
                            "errors": [{"field": exc.details.get("field", ""),
                                        "message": exc.message}]})
    lines = [f"line {r['line']}: {r.get('hold_ref', '?')}: {r['outcome']}"
             + (f" ({r['rescreened']} decision(s) changed)" if r.get("rescreened") else "")
             + ("; " + "; ".join(e["message"] for e in r["errors"]) if r.get("errors") else "")
             for r in results]
    emit(as_json, {"results": results}, lines)
