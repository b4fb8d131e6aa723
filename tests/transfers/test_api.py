"""The transfer flow over HTTP, with each role doing its part and bad input refused."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.auth.models import ReadAudit
from habeas.db import read_session
from tests.api.conftest import bearer
from tests.transfers.factories import DEPARTS, LANDS, accepted_people


def plan_body(people: list[str], **leg: Any) -> dict[str, Any]:
    return {"legs": [{"mode": "flight", "carrier": "GlobalX", "number": "GXA 1",
                      "origin": "HRL", "destination": "SAL", "departs_at": DEPARTS,
                      "arrives_at": LANDS, **leg}], "people": people}


def test_plan_approve_depart_arrive_hand_over_take_in_and_house(
        client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
    people = accepted_people(engine, "T-1", "T-2")
    warden, officer = bearer(tokens["sv.warden"]), bearer(tokens["us.officer"])
    planned = client.post("/api/v1/transfers", json=plan_body(people), headers=warden)
    assert planned.status_code == 201, planned.text
    manifest = planned.json()["id"]
    early = client.post(f"/api/v1/transfers/{manifest}/depart", headers=officer,
                        json={"departed_at": DEPARTS})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "manifest_not_approved")
    assert client.post(f"/api/v1/transfers/{manifest}/approve",
                       headers=warden).status_code == 403  # the sending state approves
    assert client.post(f"/api/v1/transfers/{manifest}/approve",
                       headers=officer).status_code == 200
    departed = client.post(f"/api/v1/transfers/{manifest}/depart", headers=officer,
                           json={"departed_at": DEPARTS}).json()
    assert sorted(departed["boarded"]) == sorted(people)
    assert {g["rule"] for g in departed["manifest"]["people"][0]["gates"]} == {
        "NOTICE", "NO_LEGAL_HOLD", "NON_REFOULEMENT", "IDENTITY"}
    client.post(f"/api/v1/transfers/{manifest}/arrive", headers=warden,
                json={"arrived_at": LANDS}).raise_for_status()
    stranger = client.post(f"/api/v1/transfers/{manifest}/handover", headers=warden, json={
        "public_id": "NNOTONTHEFLGHT", "handed_over_at": LANDS})
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (409, "not_on_manifest")
    typed = client.post(f"/api/v1/transfers/{manifest}/handover", headers=warden, json={
        "public_id": people[0], "sending_officer": "A", "handed_over_at": LANDS})
    assert typed.status_code == 422  # nobody types the other state's officer
    for public_id in people:
        handing = client.post(f"/api/v1/transfers/{manifest}/handover", headers=officer,
                              json={"public_id": public_id, "handed_over_at": LANDS})
        assert handing.status_code == 201, handing.text
        assert (handing.json()["parts"], handing.json()["physical_custodian"]) == (
            ["sending"], "USA")  # one part alone passes no custody
        handed = client.post(f"/api/v1/transfers/{manifest}/handover", headers=warden, json={
            "public_id": public_id, "handed_over_at": LANDS})
        assert handed.status_code == 201, handed.text
        assert (handed.json()["legal_custodian"], handed.json()["physical_custodian"]) == (
            "USA", "CECOT")
        bad = client.post(f"/api/v1/people/{public_id}/intake", headers=warden,
                          json={"document_checked": "passport", "language": "es",
                                "security_level": "extreme"})
        assert (bad.status_code, bad.json()["error"]["details"]["field"]) == (
            422, "security_level")
        taken = client.post(f"/api/v1/people/{public_id}/intake", headers=warden,
                            json={"document_checked": "passport A1234567", "language": "es",
                                  "security_level": "high"})
        assert taken.status_code == 201, taken.text
    housed = client.post("/api/v1/facilities/CECOT/housing", headers=warden, json={}).json()
    assert sorted(housed["placed"]) == sorted(people) and housed["unplaced"] == []
    file = client.get(f"/api/v1/people/{people[0]}", headers=officer)
    assert file.status_code == 200 and file.json()["intake"]["security_level"] == "high"
    with read_session(engine) as s:
        reads = list(s.scalars(select(ReadAudit).where(ReadAudit.record_id == people[0])))
    assert [(r.username, r.record_kind) for r in reads] == [("us.officer", "prisoner")]


def test_bad_manifests_name_the_field(client: TestClient, tokens: dict[str, str],
                                      engine: Engine) -> None:
    people = accepted_people(engine, "T-1")
    warden = bearer(tokens["sv.warden"])
    backwards = client.post("/api/v1/transfers", headers=warden,
                            json=plan_body(people, arrives_at="2025-04-10T12:00:00+00:00"))
    assert backwards.status_code == 422, backwards.text
    assert backwards.json()["error"]["details"]["field"] == "body.legs.0"
    naive = client.post("/api/v1/transfers", headers=warden,
                        json=plan_body(people, departs_at="2025-04-10T13:00:00"))
    assert naive.status_code == 422
    unknown = client.post("/api/v1/transfers", headers=warden, json=plan_body(["NZZZZZZZZZZZ"]))
    assert unknown.status_code == 404
    assert client.get("/api/v1/transfers", headers=warden).json() == []


def test_a_court_order_in_flight_alerts_both_states_on_their_home_pages(
        client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
    people = accepted_people(engine, "T-1")
    warden, officer = bearer(tokens["sv.warden"]), bearer(tokens["us.officer"])
    manifest = client.post("/api/v1/transfers", json=plan_body(people),
                           headers=warden).json()["id"]
    client.post(f"/api/v1/transfers/{manifest}/approve", headers=officer).raise_for_status()
    client.post(f"/api/v1/transfers/{manifest}/depart", headers=officer,
                json={"departed_at": DEPARTS}).raise_for_status()
    order = {"hold_ref": "TRO-AIR", "court": "D.D.C.", "kind": "tro", "issued": "2025-04-10",
             "expires": None, "scope": {"external_ref": "T-1"}, "bars_removal_to": "any"}
    client.post("/api/v1/holds?as_of=2025-04-10", json=order,
                headers=officer).raise_for_status()
    for who, party in (("us.officer", "USA"), ("sv.warden", "SLV")):
        alerts = client.get("/api/v1/alerts", headers=bearer(tokens[who])).json()
        assert [(a["party"], a["kind"], a["subject"]) for a in alerts] == [
            (party, "return_required", people[0])]
    detail = client.get(f"/api/v1/transfers/{manifest}", headers=officer).json()
    assert detail["people"][0]["status"] == "return_required"


def test_release_home_over_http(client: TestClient, tokens: dict[str, str],
                                engine: Engine) -> None:
    from tests.custody.test_intake import intake, take_in
    from tests.transfers.factories import handed_over

    # 4 years from 1 Nov 2022, 190 days credited, good conduct: release in late 2025.
    [person] = accepted_people(engine, "T-1", **{"convictions.0.sentence.years": 4})
    [later] = accepted_people(engine, "T-2")  # 8 years: release in 2029
    handed_over(engine, [person, later])
    for who in (person, later):
        take_in(engine, who, intake())
    warden, officer = bearer(tokens["sv.warden"]), bearer(tokens["us.officer"])
    due = client.get("/api/v1/releases?within=30", headers=warden).json()
    assert [p["public_id"] for p in due] == [person]
    assert due[0]["release_date"] < "2026-01-01"
    legs = {"departs_at": "2025-06-01T13:00:00+00:00", "arrives_at": "2025-06-01T17:00:00+00:00",
            "origin": "SAL", "destination": "HRL"}
    going = client.post("/api/v1/transfers/returns", headers=warden,
                        json={**plan_body([person], **legs), "outcome": "released"})
    assert going.status_code == 201, going.text
    manifest = going.json()["id"]
    assert going.json()["direction"] == "released"
    client.post(f"/api/v1/transfers/{manifest}/approve", headers=officer).raise_for_status()
    client.post(f"/api/v1/transfers/{manifest}/depart", headers=officer,
                json={"departed_at": legs["departs_at"]}).raise_for_status()
    client.post(f"/api/v1/transfers/{manifest}/arrive", headers=warden,
                json={"arrived_at": legs["arrives_at"]}).raise_for_status()
    wrong = client.post(f"/api/v1/transfers/{manifest}/handover", headers=warden, json={
        "public_id": person, "handed_over_at": legs["arrives_at"]})
    assert wrong.json()["error"]["code"] == "invalid_transition"  # home is a handback
    escort = client.post(f"/api/v1/transfers/{manifest}/handback", headers=warden, json={
        "public_id": person, "handed_over_at": legs["arrives_at"]})
    assert (escort.json()["status"], escort.json()["parts"]) == ("departed", ["receiving"])
    back = client.post(f"/api/v1/transfers/{manifest}/handback", headers=officer, json={
        "public_id": person, "handed_over_at": legs["arrives_at"]})
    assert back.status_code == 201, back.text
    assert (back.json()["status"], back.json()["physical_custodian"]) == ("released", "USA")
    again = client.post("/api/v1/transfers/returns", headers=warden,
                        json={**plan_body([person], **legs), "outcome": "released"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")


def test_an_agreement_is_renewed_on_a_recorded_basis(client: TestClient,
                                                     tokens: dict[str, str]) -> None:
    officer = bearer(tokens["us.officer"])
    before = client.get("/api/v1/agreements/USA-SLV-2025", headers=officer).json()
    proposed = client.post("/api/v1/agreements/USA-SLV-2025/renewals", headers=officer,
                           json={"months": 12, "basis": "Exchange of notes, 1 March 2026"})
    assert proposed.status_code == 201, proposed.text
    assert (proposed.json()["status"], proposed.json()["proposed_party"]) == ("proposed", "USA")
    unchanged = client.get("/api/v1/agreements/USA-SLV-2025", headers=officer).json()
    assert unchanged["term_months"] == before["term_months"]  # one state alone changes nothing
    seq = proposed.json()["seq"]
    accepted = client.post(f"/api/v1/agreements/USA-SLV-2025/changes/{seq}/accept",
                           headers=bearer(tokens["sv.warden"]))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    renewed = client.get("/api/v1/agreements/USA-SLV-2025", headers=officer)
    assert renewed.json()["term_months"] == before["term_months"] + 12
    assert renewed.json()["ends_on"] > before["ends_on"]
    bad = client.post("/api/v1/agreements/USA-SLV-2025/renewals", headers=officer,
                      json={"months": 0, "basis": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "body.months"
    assert client.post("/api/v1/agreements/USA-SLV-2025/renewals", headers=bearer(
        tokens["monitor"]), json={"months": 1, "basis": "x"}).status_code == 403
