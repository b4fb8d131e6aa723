"""`habeas billing`: monthly invoices (DESIGN.md §8). Without --issue, a preview."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer

from habeas.console import JsonFlag, actor, day_option, emit
from habeas.db import default_engine, read_session, unit_of_work
from habeas.migrate import require_current
from habeas.nominations.cli import _agreement_ref

billing_app = typer.Typer(no_args_is_help=True, help="Invoices: preview and issue.")

CSV_COLUMNS = ("line", "kind", "public_id", "name", "days", "first_day", "last_day", "rate",
               "amount_minor", "handover_seq", "left_seq")


def _write_csv(path: Path, lines: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for line in lines:
            writer.writerow({c: line.get(c) for c in CSV_COLUMNS})


@billing_app.command("invoice")
def invoice(
    period: Annotated[str, typer.Option(help="the month, YYYY-MM")],
    agreement: Annotated[str | None, typer.Option(help="agreement ref (if more than one)")]
    = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="also write the lines as CSV")]
    = None,
    issue: Annotated[bool, typer.Option("--issue", help="record the invoice (else a preview)")]
    = False,
    today: Annotated[str | None, typer.Option(help="issue date YYYY-MM-DD (default today)")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Compute a month's invoice for an agreement; with --issue, record it."""
    from habeas.billing import service

    day = day_option("--today", today)
    engine = default_engine()
    require_current(engine)
    if issue:
        with unit_of_work(engine) as session:
            ref = _agreement_ref(session, agreement)
            issued = service.issue_invoice(session, ref, period, actor=actor(), party=None,
                                           today=day)
            data: dict[str, Any] = {
                "number": issued.number, "seq": issued.seq, "agreement_ref": ref,
                "period": period, "currency": issued.currency, "issued_on": issued.issued_on,
                "due_on": issued.due_on, "lines": issued.lines,
                "total_minor": issued.total_minor, "document_sha256": issued.document_sha256}
    else:
        with read_session(engine) as session:
            ref = _agreement_ref(session, agreement)
            data = {"number": None, **service.invoice_for(session, ref, period).as_json()}
    if csv_path is not None:
        _write_csv(csv_path, data["lines"])
    title = f"invoice {data['number']}" if data["number"] else "preview (not issued)"
    lines = [f"{title}: {ref} {period}, {len(data['lines'])} lines, total "
             f"{data['total_minor']} {data['currency']} minor units"]
    lines += [f"  {x['line']:>4} {x['kind']:<7} {x['public_id']:<12} {x['days']:>3} days "
              f"{x['amount_minor']:>12}  {x['name']}" for x in data["lines"]]
    emit(as_json, data, lines)
