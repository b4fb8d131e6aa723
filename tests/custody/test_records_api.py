"""Custody records and the integrity report over HTTP and from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.conftest import bearer
from tests.custody.test_intake import intake, take_in
from tests.nominations.test_cli_import import habeas
from tests.transfers.factories import accepted_people, handed_over


def held(engine: Engine) -> str:
    [person] = accepted_people(engine, "T-1")
    handed_over(engine, [person])
    take_in(engine, person, intake())
    return person


def test_records_and_the_report_over_http(client: TestClient, tokens: dict[str, str],
                                          engine: Engine) -> None:
    person = held(engine)
    warden, monitor = bearer(tokens["sv.warden"]), bearer(tokens["monitor"])
    started = client.post(f"/api/v1/people/{person}/solitary", headers=warden, json={
        "at": "2025-05-01T09:00:00+00:00", "authorised_by": "Director", "reason": "fight"})
    assert started.status_code == 201, started.text
    ended = client.post(f"/api/v1/people/{person}/solitary/end", headers=warden,
                        json={"at": "2025-05-20T09:00:00+00:00"})
    assert ended.status_code == 200
    review = client.post(f"/api/v1/solitary/{started.json()['seq']}/review", headers=warden,
                         json={"reviewer": "x", "outcome": "y"})
    assert review.status_code == 403  # the independent review is the monitor's
    assert client.post(f"/api/v1/people/{person}/contacts", headers=warden, json={
        "kind": "family", "mode": "call", "on": "2025-05-25", "with_whom": "mother"}
    ).status_code == 201
    report = client.get("/api/v1/integrity?on=2025-06-01", headers=monitor).json()
    lines = {line["check"]: line for line in report["lines"]}
    assert lines["prolonged_solitary"]["count"] == 1
    assert lines["prolonged_solitary"]["people"] == [person]
    assert lines["prolonged_solitary"]["events"] == [started.json()["seq"]]
    assert lines["no_family_contact"]["count"] == 0
    death = client.post(f"/api/v1/people/{person}/death", headers=warden, json={
        "died_at": "2025-06-02T03:00:00+00:00", "place": "M8", "circumstances": "unknown"})
    assert death.status_code == 201 and len(death.json()["obligations"]) == 4
    again = client.post(f"/api/v1/people/{person}/death", headers=warden, json={
        "died_at": "2025-06-02T03:00:00+00:00", "place": "M8", "circumstances": "unknown"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")
    alerts = client.get("/api/v1/alerts", headers=bearer(tokens["us.officer"])).json()
    assert any(a["kind"] == "death" and a["subject"] == person for a in alerts)
    run = client.post("/api/v1/integrity/runs", headers=monitor)
    assert run.status_code == 201 and len(run.json()["sha256"]) == 64
    assert client.post("/api/v1/integrity/runs", headers=warden).status_code == 403


def test_bad_records_name_the_field(client: TestClient, tokens: dict[str, str],
                                    engine: Engine) -> None:
    person = held(engine)
    warden = bearer(tokens["sv.warden"])
    bad = client.post(f"/api/v1/people/{person}/contacts", headers=warden, json={
        "kind": "family", "mode": "telepathy", "on": "2025-05-25", "with_whom": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "body.mode"
    early = client.post(f"/api/v1/people/{person}/contacts", headers=warden, json={
        "kind": "family", "mode": "call", "on": "2020-01-01", "with_whom": "x"})
    assert early.json()["error"]["details"]["field"] == "on"
    nobody = client.post("/api/v1/people/PNOBODY/escape", headers=warden,
                         json={"at": "2025-05-01T00:00:00+00:00"})
    assert nobody.status_code == 404


def test_integrity_command_prints_zeros_and_records_a_run(
        demo_engine: Engine, database_url: str, tmp_path: Path) -> None:
    held(demo_engine)
    shown = habeas(database_url, tmp_path, "integrity", "--on", "2025-05-01")
    assert shown.returncode == 0, shown.stderr
    assert "0  Held past their release date [RELEASE_DATE;" in shown.stdout
    recorded = habeas(database_url, tmp_path, "integrity", "--on", "2025-06-01", "--record",
                      "--json")
    body = json.loads(recorded.stdout)
    assert body["recorded_seq"] > 0 and body["population"] == 1
    bad = habeas(database_url, tmp_path, "integrity", "--on", "yesterday")
    assert bad.returncode != 0 and bad.stderr.strip().startswith("error: --on")


def test_sentence_command_is_wired_into_habeas(engine: Engine, database_url: str,
                                               tmp_path: Path) -> None:
    path = tmp_path / "people.json"
    path.write_text(json.dumps({"people": [{
        "id": "P1", "calendar": "US", "good_conduct": "none", "good_conduct_withheld_days": 0,
        "convictions": [{"sentence": {"kind": "determinate", "years": 5, "months": 0,
                                      "days": 0},
                         "sentence_start": "2020-01-15", "credited_days": 0,
                         "relation": "concurrent"}]}]}))
    result = habeas(database_url, tmp_path, "sentence", "compute", str(path), "--json")
    assert result.returncode == 0, result.stderr
    [person] = json.loads(result.stdout)["results"]
    # 15 Jan 2020 + 5 years − 1 day = 14 Jan 2025, a Tuesday and no federal holiday.
    assert (person["sentence_expiry"], person["release_date"]) == ("2025-01-14", "2025-01-14")
