"""Facility files, the numbered facility rules, signed capacity by approval, the forecast."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.db import read_session, unit_of_work
from habeas.demo import cecot_layout
from habeas.errors import DomainError
from habeas.facilities import service
from habeas.facilities.models import Cell, Facility
from tests.api.conftest import bearer
from tests.custody.test_population import admit, row
from tests.factories import event_count
from tests.nominations.test_cli_import import habeas


def layout(**facility: Any) -> dict[str, Any]:
    doc = cecot_layout().model_dump(mode="json")
    doc["facility"].update(facility)
    return doc


def load(engine: Engine, doc: dict[str, Any]) -> service.LoadReport:
    with unit_of_work(engine) as s:
        return service.load_facility(s, service.parse_facility(doc), actor="test")


def refused(engine: Engine, doc: dict[str, Any], code: str, rule: str | None = None
            ) -> DomainError:
    before = event_count(engine)
    with pytest.raises(DomainError) as caught:
        load(engine, doc)
    assert caught.value.code == code, caught.value.message
    if rule:
        assert caught.value.message.startswith(rule)
    assert event_count(engine) == before
    return caught.value


class TestLoad:
    def test_a_new_facility_is_registered_with_every_cell(self, engine: Engine) -> None:
        report = load(engine, layout(code="NEW"))
        assert (report.outcome, report.buildings_added, report.cells_added) == (
            "registered", 8, 256)
        with read_session(engine) as s:
            summary = service.capacity(s, "NEW")
        assert (summary.cells, summary.max_capacity, summary.total_area_m2) == (
            256, 40_000, 25_600.0)
        assert load(engine, layout(code="NEW")).outcome == "unchanged"

    def test_a_changed_cell_is_updated_and_cells_are_added(self, demo_engine: Engine) -> None:
        doc = layout()
        doc["buildings"][0]["cells"][0]["max_capacity"] = 120
        doc["buildings"][0]["cells"].append({**doc["buildings"][0]["cells"][0], "code": "1-33"})
        report = load(demo_engine, doc)
        assert (report.outcome, report.cells_updated, report.cells_added) == ("updated", 1, 1)
        with read_session(demo_engine) as s:
            assert s.get_one(Cell, ("CECOT", "M1", "1-01")).max_capacity == 120
            assert s.get_one(Cell, ("CECOT", "M1", "1-33")) is not None

    def test_the_file_format_accepts_cell_series_in_toml(self, tmp_path: Path) -> None:
        text = (Path(__file__).parents[2] / "src/habeas/facilities/layouts/cecot.toml"
                ).read_text()
        path = tmp_path / "cecot.toml"
        path.write_text(text)
        doc = service.parse_facility_file(path)
        assert [c.code for c in doc.buildings[7].cells][:2] == ["8-01", "8-02"]
        assert doc.separation.rival_level == "BUILDING"


class TestNumberedRules:
    def test_working_capacity_above_max_is_fac_001(self, engine: Engine) -> None:
        doc = layout(code="X")
        doc["buildings"][0]["cells"][3]["working_capacity"] = 500
        error = refused(engine, doc, "working_above_max", "FAC-001")
        assert error.details["field"] == "buildings.M1.cells.1-04.working_capacity"

    def test_a_cell_with_negative_area_is_fac_004(self, engine: Engine) -> None:
        doc = layout(code="X")
        doc["buildings"][2]["cells"][0]["area_m2"] = -4.0
        refused(engine, doc, "area_not_positive", "FAC-004")

    def test_an_overfull_cell_in_a_file_is_fac_002(self, demo_engine: Engine) -> None:
        admit(demo_engine, *(row(f"D-{i}", building="M1", cell="1-01") for i in range(3)))
        doc = layout()
        doc["buildings"][0]["cells"][0].update(max_capacity=2, working_capacity=2)
        error = refused(demo_engine, doc, "max_below_occupancy", "FAC-002")
        assert "below the 3 people" in error.message

    def test_a_cell_with_people_cannot_be_deactivated_fac_003(self, demo_engine: Engine
                                                              ) -> None:
        admit(demo_engine, row("D-1", building="M1", cell="1-01"))
        doc = layout()
        doc["buildings"][0]["cells"][0]["active"] = False
        refused(demo_engine, doc, "occupied_cell_deactivated", "FAC-003")
        doc["buildings"][0]["cells"][0]["active"] = True
        doc["buildings"][0]["cells"][1]["active"] = False
        assert load(demo_engine, doc).cells_updated == 1  # an empty cell may close

    def test_the_signed_capacity_never_changes_by_file_fac_005(self, demo_engine: Engine
                                                               ) -> None:
        refused(demo_engine, layout(signed_capacity=50_000), "signed_capacity_needs_approval",
                "FAC-005")

    def test_bad_shapes_name_the_field(self, engine: Engine) -> None:
        doc = copy.deepcopy(layout(code="X"))
        doc["buildings"][1]["cells"][0]["cna"] = "many"
        with pytest.raises(DomainError) as caught:
            service.parse_facility(doc)
        assert caught.value.details["field"] == "buildings.1.cells.0.cna"


class TestSignedCapacity:
    def test_changes_only_by_a_second_persons_approval(self, demo_engine: Engine) -> None:
        with unit_of_work(demo_engine) as s:
            seq = service.request_capacity_change(s, "CECOT", 30_000, "CPT visit report",
                                                  actor="user:sv.warden")
        with pytest.raises(DomainError) as caught, unit_of_work(demo_engine) as s:
            service.decide_capacity_change(s, seq, approve=True, reason="ok",
                                           actor="user:sv.warden")
        assert caught.value.code == "same_person_approval"
        with unit_of_work(demo_engine) as s:
            service.decide_capacity_change(s, seq, approve=True, reason="agreed with DGCP",
                                           actor="user:admin")
        with read_session(demo_engine) as s:
            assert s.get_one(Facility, "CECOT").signed_capacity == 30_000
            [change] = service.capacity_changes(s, "CECOT")
        assert (change.requested_by, change.decided_by, change.status) == (
            "user:sv.warden", "user:admin", "approved")


class TestForecast:
    def test_population_and_booked_arrivals_take_places(self, demo_engine: Engine) -> None:
        from datetime import date

        from tests.transfers.factories import accepted_people

        admit(demo_engine, row("D-1"), row("D-2"))
        accepted_people(demo_engine, "T-1")
        with read_session(demo_engine) as s:
            outlook = service.forecast(s, "CECOT", date(2025, 4, 1))
        assert (outlook.population, outlook.scheduled_arrivals, outlook.free_places) == (
            2, 1, 40_000 - 3)

    def test_acceptance_beyond_the_forecast_is_refused(self, demo_engine: Engine) -> None:
        from tests.transfers.factories import accepted_people

        with unit_of_work(demo_engine) as s:
            seq = service.request_capacity_change(s, "CECOT", 1, "test", actor="user:a")
            service.decide_capacity_change(s, seq, approve=True, reason="t", actor="user:b")
        accepted_people(demo_engine, "T-1")
        with pytest.raises(DomainError) as caught:
            accepted_people(demo_engine, "T-2")
        assert caught.value.code == "no_space_at_receiving_facility"


class TestApi:
    def test_put_a_facility_file_and_read_cells(self, client: TestClient,
                                                tokens: dict[str, str]) -> None:
        admin = bearer(tokens["admin"])
        doc = layout(code="SMALL", signed_capacity=10)
        doc["buildings"] = [{"code": "A", "name": "Block A", "sex": "F", "cells": [
            {"code": "1", "area_m2": 12.0, "cna": 2, "working_capacity": 2,
             "max_capacity": 3}]}]
        doc["separation"] = {"rival_level": "CELL", "rivalries": []}
        put = client.put("/api/v1/facilities/SMALL", json=doc, headers=admin)
        assert put.status_code == 200, put.text
        assert put.json()["outcome"] == "registered"
        cells = client.get("/api/v1/facilities/SMALL/cells", headers=admin).json()
        assert cells[0]["meets"] == {"ICRC": True, "CPT": True}
        bad = copy.deepcopy(doc)
        bad["buildings"][0]["cells"][0]["working_capacity"] = 9
        refused_ = client.put("/api/v1/facilities/SMALL", json=bad, headers=admin)
        assert refused_.status_code == 422
        assert refused_.json()["error"]["code"] == "working_above_max"
        mismatch = client.put("/api/v1/facilities/OTHER", json=doc, headers=admin)
        assert mismatch.json()["error"]["details"]["field"] == "facility.code"

    def test_move_into_a_separation_breach_is_409_with_the_rule(
            self, client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
        admit(engine, row("MS", building="M1", cell="1-01",
                          affiliation={"group": "MS-13", "basis": "conviction"}),
              row("B18", building="M5", cell="5-01",
                  affiliation={"group": "Barrio 18", "basis": "conviction"}))
        with read_session(engine) as s:
            from habeas.custody.models import Prisoner

            b18 = s.scalars(select(Prisoner.public_id).where(Prisoner.local_ref == "B18")).one()
        response = client.post(f"/api/v1/people/{b18}/move", headers=bearer(tokens["sv.warden"]),
                               json={"building": "M1", "cell": "1-01", "reason": "x"})
        assert response.status_code == 409
        body = response.json()["error"]
        assert (body["code"], body["details"]["rule"]) == ("separation_violation", "SEP-004")
        forecast = client.get("/api/v1/facilities/CECOT/forecast?on=2025-04-01",
                              headers=bearer(tokens["monitor"])).json()
        assert forecast["population"] == 2


def test_cli_load_reports_and_refuses_with_one_line(engine: Engine, database_url: str,
                                                    tmp_path: Path) -> None:
    doc = layout(code="FILEFAC")
    good = tmp_path / "facility.json"
    good.write_text(json.dumps(doc))
    result = habeas(database_url, tmp_path, "facilities", "load", str(good))
    assert result.returncode == 0, result.stderr
    assert "facility FILEFAC: registered: 8 building(s) and 256 cell(s) added" in result.stdout
    doc["buildings"][0]["cells"][0]["area_m2"] = 0
    good.write_text(json.dumps(doc))
    failed = habeas(database_url, tmp_path, "facilities", "load", str(good))
    assert failed.returncode != 0
    assert failed.stderr.strip().splitlines()[-1].startswith("error: FAC-004")
    assert len(failed.stderr.strip().splitlines()) == 1


def test_cli_show_and_house(demo_engine: Engine, database_url: str, tmp_path: Path) -> None:
    from tests.custody.test_intake import intake, take_in
    from tests.transfers.factories import accepted_people, handed_over

    people = accepted_people(demo_engine, "T-1", "T-2")
    handed_over(demo_engine, people)
    for person in people:
        take_in(demo_engine, person, intake())
    shown = habeas(database_url, tmp_path, "facilities", "show", "CECOT", "--json")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert (body["signed_capacity"], body["population"]) == (40_000, 2)
    assert body["compliant"] == {"ICRC": 7_424, "CPT": 6_400}
    housed = habeas(database_url, tmp_path, "facilities", "house", "CECOT")
    assert housed.returncode == 0, housed.stderr
    assert housed.stdout.startswith("2 placed, 0 not placed")
    missing = habeas(database_url, tmp_path, "facilities", "show", "NOWHERE")
    assert missing.returncode != 0 and "NOWHERE" in missing.stderr
