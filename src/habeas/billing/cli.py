"""`habeas billing`: monthly invoices (DESIGN.md §8). Without --issue, a preview."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer

from habeas.billing import sustain
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
    pdf_path: Annotated[Path | None, typer.Option("--pdf", help="also write the invoice as "
                                                  "an A4 PDF")] = None,
    issue: Annotated[bool, typer.Option("--issue", help="record the invoice (else a preview)")]
    = False,
    today: Annotated[str | None, typer.Option(help="issue date YYYY-MM-DD (default today)")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Compute a month's invoice for an agreement; with --issue, record it."""
    from habeas.billing import document, drafting, issuing

    day = day_option("--today", today)
    engine = default_engine()
    require_current(engine)
    if issue:
        with unit_of_work(engine) as session:
            ref = _agreement_ref(session, agreement)
            issued = issuing.issue_invoice(session, ref, period, actor=actor(), party=None,
                                           today=day)
            data: dict[str, Any] = {
                "number": issued.number, "seq": issued.seq, "agreement_ref": ref,
                "period": period, "currency": issued.currency, "issued_on": issued.issued_on,
                "due_on": issued.due_on, "lines": issued.lines,
                "total_minor": issued.total_minor, "document_sha256": issued.document_sha256}
            doc = document.issued_document(session, issued.seq) if pdf_path else None
    else:
        with read_session(engine) as session:
            ref = _agreement_ref(session, agreement)
            data = {"number": None, **drafting.invoice_for(session, ref, period).as_json()}
            doc = document.draft_document(session, ref, period) if pdf_path else None
    if csv_path is not None:
        _write_csv(csv_path, data["lines"])
    if pdf_path is not None and doc is not None:
        pdf_path.write_bytes(document.invoice_pdf(doc))
    title = f"invoice {data['number']}" if data["number"] else "preview (not issued)"
    lines = [f"{title}: {ref} {period}, {len(data['lines'])} lines, total "
             f"{data['total_minor']} {data['currency']} minor units"]
    lines += [f"  {x['line']:>4} {x['kind']:<7} {x['public_id']:<12} {x['days']:>3} days "
              f"{x['amount_minor']:>12}  {x['name']}" for x in data["lines"]]
    if pdf_path is not None:
        lines.append(f"PDF written to {pdf_path}")
    emit(as_json, data, lines)


@billing_app.command("sustainability")
def sustainability(
    period: Annotated[str, typer.Option(help="a month YYYY-MM or a year YYYY")],
    facility: Annotated[str | None, typer.Option(help="facility code (if more than one)")]
    = None,
    annual_cost_minor: Annotated[int, typer.Option(
        min=0, help="the prison system's reported annual cost, minor units (default: "
                    "US$200 million, President Bukele, March 2025)")]
    = sustain.REPORTED_SYSTEM_COST_MINOR,
    system_population: Annotated[int, typer.Option(
        min=1, help="people the system holds (default: ~110,000, World Prison Brief 2024)")]
    = sustain.REPORTED_SYSTEM_POPULATION,
    today: Annotated[str | None, typer.Option(help="count days before this date "
                                              "YYYY-MM-DD (default today)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fee revenue against the facility's operating cost for its whole population."""
    from habeas.billing import document, report
    from habeas.billing.arithmetic import round_half_up

    def money(minor: int | None, currency: str) -> str:
        return document.money(minor, currency).replace("\u00a0", " ")

    day = day_option("--today", today)
    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        measured = report.sustainability_report(
            session, period, today=day, facility=facility,
            annual_cost_minor=annual_cost_minor, system_population=system_population)
    data = measured.as_json()
    total, cur = measured.total, measured.currency

    def pct(share: float | None) -> str:
        return "-" if share is None else f"{100 * share:.2f}%"

    lines = [
        f"sustainability {measured.period} at {measured.facility_code} "
        f"({', '.join(measured.agreements) or 'no agreement'})"
        + (f", partial: through {total.through}" if measured.partial else ""),
        f"  fee revenue        {money(total.revenue_minor, cur)} "
        f"(invoiced {money(total.invoiced_minor, cur)}, credited "
        f"{money(total.credited_minor, cur)})",
        f"  person-days        {total.person_days:,} (whole population), "
        f"{total.agreement_person_days:,} of {total.agreement_people} transferees",
        f"  operating cost     {money(total.operating_cost_minor, cur)} "
        f"at {money(round_half_up(measured.cost_per_person_day_minor), cur)} a person-day",
        f"  share covered      {pct(data['share_covered'])}",
        f"  system cost        {money(total.system_cost_minor, cur)} for {total.days} days; "
        f"fees cover {pct(data['share_of_system_cost'])}",
        f"  per person-year    price reported "
        f"{money(measured.reported_price_per_person_year_minor, cur)}, invoiced per transferee "
        f"{money(total.revenue_per_agreement_person_year_minor, cur)}, cost of holding one "
        f"{money(measured.cost_per_person_year_minor, cur)}",
    ]
    if measured.months_not_invoiced:
        lines.append(f"  not invoiced yet: {', '.join(measured.months_not_invoiced)}")
    emit(as_json, data, lines)


@billing_app.command("reconcile")
def reconcile_invoice(
    period: Annotated[str, typer.Option(help="the month to reconcile, YYYY-MM")],
    ledger: Annotated[str, typer.Option(help="an exported ledger folder or a /ledger URL")],
    key: Annotated[str, typer.Option(help="the log's verifier key (vkey)")],
    invoice: Annotated[list[Path], typer.Option(
        help="an invoice document (GET /api/v1/billing/invoices/{seq}/document); repeat "
             "with the earlier invoices so their credits can be checked")],
    agreement: Annotated[str | None, typer.Option(help="agreement ref (if more than one)")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Recompute an invoice from a verified ledger export alone (no database); report and
    exit 1 on any difference."""
    import json

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from habeas.billing import reconcile
    from habeas.console import err
    from habeas.errors import DomainError
    from habeas.ledger.note import NoteError, parse_verifier
    from habeas.ledger.verify import Discrepancy

    try:
        log = parse_verifier(key)
    except NoteError as exc:
        raise DomainError(f"--key: {exc}") from None
    documents = []
    for path in invoice:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DomainError(f"--invoice: cannot read {path}: {exc}") from None
        try:
            documents.append(reconcile.parse_document(data, f"--invoice {path}"))
        except reconcile.ReconcileError as exc:
            raise DomainError(str(exc)) from None
    with Progress(TextColumn("verifying the ledger"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task("verify", total=None)
        try:
            found, verified = reconcile.from_export(
                ledger, log, documents, period, agreement,
                progress=lambda n: bar.advance(task, n))
        except Discrepancy as exc:
            raise DomainError(f"--ledger: the ledger does not verify: {exc}") from None
        except reconcile.ReconcileError as exc:
            raise DomainError(str(exc)) from None
    verdict = "agrees with" if found.agrees else f"DIFFERS ({len(found.differences)}) from"
    lines = [f"invoice {found.number} ({found.period}) {verdict} the ledger "
             f"(size {verified.size}): invoiced {found.invoiced_total}, ledger says "
             f"{found.recomputed_total} {found.currency} minor units; "
             f"{found.days} custody days, {found.lines} lines",
             *[f"  {d}" for d in found.differences], *[f"  note: {n}" for n in found.notes]]
    emit(as_json, found.as_json() | {"ledger_size": verified.size}, lines)
    if not found.agrees:
        raise typer.Exit(1)
