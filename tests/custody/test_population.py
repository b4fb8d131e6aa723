"""Domestic population import: housing fields, placement by the engine, bad rows reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from habeas.custody import service as custody
from habeas.custody.models import Prisoner
from habeas.db import read_session, unit_of_work
from habeas.facilities import service as facilities
from habeas.ledger.models import Event
from habeas.nominations.service import Row

ON = date(2025, 3, 1)


def row(ref: str, **changes: Any) -> dict[str, Any]:
    return {"local_ref": ref, "family_name": "Pérez", "given_names": "Juan",
            "date_of_birth": "1990-01-01", "sex": "M", "legal_status": "convicted",
            "admitted_on": "2024-01-10", **changes}


def admit(engine: Engine, *rows: dict[str, Any]) -> list[custody.AdmissionResult]:
    with unit_of_work(engine) as s:
        return custody.import_population(s, "CECOT", [Row(i + 1, r) for i, r in enumerate(rows)],
                                         actor="test", on=ON)


def prisoners(engine: Engine) -> dict[str, Prisoner]:
    with read_session(engine) as s:
        return {p.local_ref: p for p in s.scalars(select(Prisoner))}


class TestImport:
    def test_rows_without_a_cell_are_placed_and_counted_in_the_population(
            self, demo_engine: Engine) -> None:
        results = admit(demo_engine, *(row(f"D-{i}") for i in range(10)))
        assert [r.outcome for r in results] == ["admitted"] * 10
        held = prisoners(demo_engine)
        assert all(p.cell_code and p.status == "in_custody" for p in held.values())
        # Balanced: ten people into 256 empty cells share none.
        assert len({(p.building_code, p.cell_code) for p in held.values()}) == 10
        with read_session(demo_engine) as s:
            assert facilities.capacity(s, "CECOT").population == 10
            assert facilities.forecast(s, "CECOT", ON).free_places == 40_000 - 10

    def test_a_bad_row_is_reported_and_the_others_go_in(self, demo_engine: Engine) -> None:
        results = admit(demo_engine, row("D-1"), row("D-2", sex="Q"),
                        row("D-3", date_of_birth="2010-05-05"),
                        row("D-4", building="M1", cell="9-99"), row("D-5"))
        outcome = {r.local_ref: r for r in results}
        assert [outcome[f"D-{i}"].outcome for i in (1, 5)] == ["admitted", "admitted"]
        assert outcome["D-2"].errors[0]["field"] == "sex"
        assert outcome["D-3"].errors[0]["message"].startswith("SEP-001")
        assert "no cell M1/9-99" in outcome["D-4"].errors[0]["message"]
        assert set(prisoners(demo_engine)) == {"D-1", "D-5"}

    def test_a_named_cell_that_breaks_separation_is_refused(self, demo_engine: Engine) -> None:
        admit(demo_engine, row("D-1", building="M1", cell="1-01",
                               affiliation={"group": "MS-13", "basis": "conviction"}))
        [bad] = admit(demo_engine, row("D-2", building="M1", cell="1-01",
                                       affiliation={"group": "Barrio 18", "basis": "tattoo"}))
        assert bad.outcome == "invalid"
        assert bad.errors[0]["rule"] == "SEP-004"
        [untried] = admit(demo_engine, row("D-3", building="M1", cell="1-01",
                                           legal_status="untried"))
        assert untried.errors[0]["rule"] == "SEP-003"
        [woman] = admit(demo_engine, row("D-4", building="M2", cell="2-01", sex="F"))
        assert woman.errors[0]["rule"] == "SEP-002"  # CECOT's modules are for men

    def test_a_building_alone_lets_habeas_choose_the_cell_there(self, demo_engine: Engine
                                                                ) -> None:
        admit(demo_engine, *(row(f"D-{i}", building="M8") for i in range(5)))
        assert {p.building_code for p in prisoners(demo_engine).values()} == {"M8"}

    def test_importing_the_same_rows_again_changes_nothing(self, demo_engine: Engine) -> None:
        admit(demo_engine, row("D-1"), row("D-2"))
        with read_session(demo_engine) as s:
            before = s.scalar(select(func.count()).select_from(Event))
        again = admit(demo_engine, row("D-1"), row("D-2", family_name="Otro"))
        assert [r.outcome for r in again] == ["unchanged", "invalid"]
        assert again[1].errors[0]["code"] == "conflict"
        with read_session(demo_engine) as s:
            assert s.scalar(select(func.count()).select_from(Event)) == before


def test_cli_imports_a_csv_file(demo_engine: Engine, database_url: str, tmp_path: Path) -> None:
    from tests.nominations.test_cli_import import habeas

    path = tmp_path / "population.csv"
    path.write_text(
        "local_ref,family_name,given_names,date_of_birth,sex,legal_status,admitted_on,"
        "affiliation_group,affiliation_basis\n"
        "C-1,Ramos,Ana,1990-01-01,M,convicted,2024-01-01,MS-13,tattoo\n"
        "C-2,Ramos,Luis,1990-01-01,M,maybe,2024-01-01,,\n", encoding="utf-8")
    result = habeas(database_url, tmp_path, "population", "import", str(path),
                    "--facility", "CECOT")
    assert result.returncode == 0, result.stderr
    assert "admitted 1" in result.stdout and "invalid 1" in result.stdout
    assert "line 3 C-2: invalid: legal_status" in result.stdout
    held = prisoners(demo_engine)
    assert held["C-1"].affiliation_basis == "tattoo"
