"""`habeas facilities load|show|house` and `habeas population import`."""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from habeas.console import JsonFlag, actor, emit, err
from habeas.db import default_engine, read_session, unit_of_work, utcnow
from habeas.errors import DomainError
from habeas.migrate import require_current

facilities_app = typer.Typer(no_args_is_help=True, help="Facilities, cells and housing.")
population_app = typer.Typer(no_args_is_help=True, help="The facility's domestic population.")

POPULATION_CHUNK = 2_000  # rows per transaction: a crash loses at most the chunk in flight
# The flat CSV columns that fold into the nested affiliation of a population row.
AFFILIATION_COLUMNS = {"affiliation_group": "group", "affiliation_basis": "basis",
                       "affiliation_source": "source"}


@facilities_app.command("load")
def facilities_load(
    file: Annotated[Path, typer.Argument(help="a facility file (.toml or .json)")],
    as_json: JsonFlag = False,
) -> None:
    """Register a facility or bring its buildings and cells up to the file (all or nothing)."""
    from habeas.facilities import service

    doc = service.parse_facility_file(file)
    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        report = service.load_facility(session, doc, actor=actor())
    emit(as_json, asdict(report), [
        f"facility {report.facility}: {report.outcome}: {report.buildings_added} building(s) "
        f"and {report.cells_added} cell(s) added, {report.buildings_updated} building(s) and "
        f"{report.cells_updated} cell(s) changed"])


@facilities_app.command("show")
def facilities_show(
    code: Annotated[str, typer.Argument(help="facility code")],
    as_json: JsonFlag = False,
) -> None:
    """Signed capacity beside population, space per person and standard-compliant capacity."""
    from habeas.facilities import service

    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        summary = service.capacity(session, code)
        outlook = service.forecast(session, code, utcnow().date())
    data = {**asdict(summary), "forecast_free_places_today": outlook.free_places}
    space = f"{summary.space_now_m2:.2f} m²" if summary.space_now_m2 else "n/a"
    emit(as_json, data, [
        f"{code}: signed capacity {summary.signed_capacity:,}; population "
        f"{summary.population:,}; {summary.cells} cells, {summary.total_area_m2:,.0f} m²",
        f"  space per person now {space} (ICRC 3.4 m² shared, CPT 4 m²)",
        f"  standard-compliant capacity: ICRC {summary.compliant['ICRC']:,}, "
        f"CPT {summary.compliant['CPT']:,}",
        f"  cells below standard: ICRC {summary.cells_below['ICRC']}, "
        f"CPT {summary.cells_below['CPT']}",
        f"  forecast free places today: {outlook.free_places:,}"])


@facilities_app.command("house")
def facilities_house(
    code: Annotated[str, typer.Argument(help="facility code")],
    as_json: JsonFlag = False,
) -> None:
    """Place everyone taken in and waiting for a cell, at once, under the separation rules."""
    from habeas.facilities import housing

    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        report = housing.house(session, code, on=utcnow().date(), actor=actor())
    lines = [f"{len(report.placed)} placed, {len(report.unplaced)} not placed; highest cell "
             f"utilisation {report.max_utilisation:.0%}"]
    lines += [f"  {u['public_id']}: {u['rule']} {u['reason']}" for u in report.unplaced]
    emit(as_json, asdict(report), lines)


def read_population(path: Path) -> list[Any]:
    """read_population reads a .jsonl or .csv population file into rows (bad lines kept)."""
    from habeas.nominations import service as nominations

    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            if path.suffix.lower() == ".csv":
                return _csv_rows(stream)
            return list(nominations.read_jsonl(stream))
    except OSError as exc:
        raise DomainError(f"{path}: cannot read: {exc.strerror}") from None


def _csv_rows(stream: IO[str]) -> list[Any]:
    from habeas.nominations.service import Row

    rows = []
    for number, record in enumerate(csv.DictReader(stream), start=2):
        data: dict[str, Any] = {}
        affiliation: dict[str, str] = {}
        for key, value in record.items():
            if key is None or value in (None, ""):
                continue
            if key in AFFILIATION_COLUMNS:
                affiliation[AFFILIATION_COLUMNS[key]] = value
            else:
                data[key] = value
        if affiliation:
            data["affiliation"] = affiliation
        rows.append(Row(number, data))
    return rows


@population_app.command("import")
def population_import(
    file: Annotated[Path, typer.Argument(help="a .jsonl or .csv file of domestic prisoners")],
    facility: Annotated[str, typer.Option(help="facility code")],
    as_json: JsonFlag = False,
) -> None:
    """Admit domestic prisoners; rows without a cell are placed by the assignment engine."""
    from habeas.custody import service as custody
    from habeas.facilities import service as facilities

    rows = read_population(file)
    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        facilities.get_facility(session, facility)
    results: list[custody.AdmissionResult] = []
    with Progress(TextColumn("admitting"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("import", total=len(rows))
        for start in range(0, len(rows), POPULATION_CHUNK):
            chunk = rows[start:start + POPULATION_CHUNK]
            with unit_of_work(engine) as session:
                results += custody.import_population(session, facility, chunk, actor=actor(),
                                                     on=utcnow().date())
            bar.advance(task, len(chunk))
    counts = {"rows": len(results), "admitted": 0, "unchanged": 0, "invalid": 0}
    for result in results:
        counts[result.outcome] += 1
    lines = [", ".join(f"{k} {v}" for k, v in counts.items())]
    lines += [f"  line {r.line} {r.local_ref or '?'}: invalid: "
              + "; ".join(f"{e['field']}: {e['message']}" for e in r.errors)
              for r in results if r.outcome == "invalid"]
    emit(as_json, {"summary": counts, "results": [r.as_dict() for r in results]}, lines)
