"""`habeas sentence compute` and POST /api/v1/sentences/compute: the same JSON, the same errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from habeas.api.deps import current_principal
from habeas.api.errors import install
from habeas.auth.models import Role
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.errors import DomainError, ValidationFailed
from habeas.sentences.api import router
from habeas.sentences.cli import sentence_app


def person(pid: str = "P1", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": pid, "calendar": "US", "good_conduct": "us-federal",
        "good_conduct_withheld_days": 0,
        "convictions": [{"sentence": {"kind": "determinate", "years": 5, "months": 0, "days": 0},
                         "sentence_start": "2020-01-15", "credited_days": 0,
                         "relation": "concurrent"}]}
    return {**base, **changes}


def negative_term(pid: str = "BAD") -> dict[str, Any]:
    bad = person(pid)
    bad["convictions"][0]["sentence"]["years"] = -1
    return bad


NEGATIVE = "people.0.convictions.0.sentence.years: Input should be greater than or equal to 0"


# --- CLI -------------------------------------------------------------------------------------

cli = typer.Typer()
cli.add_typer(sentence_app, name="sentence")


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "people.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def one_line_error(result: Any) -> str:
    """one_line_error is what habeas.cli.main prints for the command's DomainError."""
    assert isinstance(result.exception, DomainError), result.output
    assert "\n" not in result.exception.message
    return f"error: {result.exception.message}"


class TestCli:
    def test_json_has_every_date_and_its_working(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(cli, ["sentence", "compute",
                                          str(write(tmp_path, {"people": [person()]})), "--json"])
        assert result.exit_code == 0, result.output
        [only] = json.loads(result.stdout)["results"]
        assert {"id", "sentence_expiry", "release_date", "steps"} <= set(only)
        assert (only["id"], only["sentence_expiry"], only["release_date"]) == (
            "P1", "2025-01-14", "2024-04-19")
        assert only["good_conduct_days"] == 270
        assert "projected release: 2024-04-19" in only["steps"]

    def test_readable_lines_per_person(self, tmp_path: Path) -> None:
        life = person("LIFER", convictions=[{"sentence": {"kind": "life"},
                                             "sentence_start": "2020-01-15"}])
        result = CliRunner().invoke(cli, ["sentence", "compute", str(write(
            tmp_path, {"people": [person(), life]}))], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == ("P1: release 2024-04-19  (expiry 2025-01-14, projected 2024-04-19,"
                            " good conduct 270 day(s))")
        assert "  release date: 2024-04-19, a working day in US" in lines
        assert "LIFER: no release date" in lines

    def test_a_bad_person_never_stops_the_others(self, tmp_path: Path) -> None:
        path = write(tmp_path, {"people": [negative_term(), person("GOOD")]})
        result = CliRunner().invoke(cli, ["sentence", "compute", str(path), "--json"])
        assert result.exit_code == 1  # something was not computed
        bad, good = json.loads(result.stdout)["results"]
        assert bad["errors"] == [{"field": "people.0.convictions.0.sentence.years",
                                  "problem": "Input should be greater than or equal to 0"}]
        assert bad["release_date"] is None
        assert good["release_date"] == "2024-04-19"
        human = CliRunner().invoke(cli, ["sentence", "compute", str(path)],
                                   env={"COLUMNS": "200"})
        assert f"  error: {NEGATIVE}" in human.stdout.splitlines()

    @pytest.mark.parametrize(("document", "message"), [
        ({"people": [negative_term()]}, f"error: {NEGATIVE}"),
        ({"people": [person(good_conduct="california")]},
         "error: people.0.good_conduct: Input should be 'none' or 'us-federal'"),
        ({"people": [person(calendar="XX")]}, "error: people.0.calendar: unknown calendar 'XX':"),
        ({"persons": []}, "error: persons: unknown key"),
        ({}, "error: people: required key is missing"),
        ({"people": []}, "error: people: give at least one person"),
        ([1, 2], "error: body: must be a JSON object"),
    ])
    def test_nothing_computable_is_one_line(self, tmp_path: Path, document: Any,
                                            message: str) -> None:
        result = CliRunner().invoke(cli, ["sentence", "compute", str(write(tmp_path, document))])
        assert one_line_error(result).startswith(message)
        assert isinstance(result.exception, ValidationFailed)  # habeas.cli.main: exit 2

    def test_every_bad_person_is_counted(self, tmp_path: Path) -> None:
        path = write(tmp_path, {"people": [negative_term(), person(calendar="XX")]})
        result = CliRunner().invoke(cli, ["sentence", "compute", str(path)])
        assert one_line_error(result) == f"error: {NEGATIVE} (and 1 more)"

    def test_not_json(self, tmp_path: Path) -> None:
        path = write(tmp_path, '{"people": [')
        result = CliRunner().invoke(cli, ["sentence", "compute", str(path)])
        assert one_line_error(result).startswith(f"error: {path}: not JSON: ")

    def test_no_such_file(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(cli, ["sentence", "compute", str(tmp_path / "nope.json")])
        assert one_line_error(result).endswith("cannot read: No such file or directory")


# --- API -------------------------------------------------------------------------------------

def as_role(role: Role) -> Principal:
    return Principal(user_id="u1", username="someone", display_name="Someone", role=role,
                     party_code="SLV" if role is Role.RECEIVING else None, via="token")


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = FastAPI()
    install(app)
    app.include_router(router, prefix="/api/v1")
    app.dependency_overrides[current_principal] = lambda: as_role(Role.RECEIVING)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class TestApi:
    def test_same_json_as_the_cli(self, client: TestClient, tmp_path: Path) -> None:
        document = {"people": [person(), negative_term(), person("LIFER", convictions=[
            {"sentence": {"kind": "life"}, "sentence_start": "2020-01-15"}])]}
        response = client.post("/api/v1/sentences/compute", json=document)
        assert response.status_code == 200, response.text
        cli_out = CliRunner().invoke(cli, ["sentence", "compute", str(write(tmp_path, document)),
                                           "--json"])
        assert response.json() == json.loads(cli_out.stdout)
        good, bad, lifer = response.json()["results"]
        assert good["release_date"] == "2024-04-19"
        assert bad["errors"][0]["field"] == "people.1.convictions.0.sentence.years"
        assert lifer["sentence_expiry"] is None and lifer["release_date"] is None

    @pytest.mark.parametrize(("document", "field"), [
        ({"people": [negative_term()]}, "people.0.convictions.0.sentence.years"),
        ({"people": [person(good_conduct="california")]}, "people.0.good_conduct"),
        ({"people": [person(calendar="XX")]}, "people.0.calendar"),
        ({"people": [person(convictions=[{
            "sentence": {"kind": "determinate", "years": 1}, "sentence_start": "2020-01-15",
            "relation": "consecutive"}])]}, "people.0.convictions.0.relation"),
        ({"nobody": 1}, "nobody"),
        ({}, "people"),
    ])
    def test_nothing_computable_is_422_naming_the_field(self, client: TestClient,
                                                        document: Any, field: str) -> None:
        response = client.post("/api/v1/sentences/compute", json=document)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_failed"
        assert error["details"]["field"] == field
        assert error["message"].startswith(f"{field}: ")

    def test_not_json_is_422(self, client: TestClient) -> None:
        response = client.post("/api/v1/sentences/compute", content=b"{not json",
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_failed"

    def test_every_role_may_compute(self, client: TestClient) -> None:
        app = client.app
        assert isinstance(app, FastAPI)
        for role in Role:
            app.dependency_overrides[current_principal] = lambda role=role: as_role(role)
            response = client.post("/api/v1/sentences/compute", json={"people": [person()]})
            assert response.status_code == 200, (role, response.text)

    def test_the_route_declares_its_action(self) -> None:
        [route] = router.routes
        assert isinstance(route, APIRoute)
        actions = [getattr(d.call, "action", None) for d in route.dependant.dependencies]
        assert Action.COMPUTE_SENTENCES in actions
