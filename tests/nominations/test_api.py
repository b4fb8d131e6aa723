"""Nominations and court orders over HTTP, with each state's scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.app import create_app
from habeas.auth.models import ReadAudit, Role
from habeas.db import read_session
from tests.api.conftest import bearer
from tests.factories import a_token, a_user, counsel_of_record
from tests.screening.factories import nomination


@pytest.fixture
def client(demo_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(demo_engine), raise_server_exceptions=False) as test_client:
        yield test_client


def body(ref: str, **changes: object) -> dict[str, object]:
    return nomination(external_ref=ref, **changes).model_dump(mode="json")


def test_a_sending_officer_nominates_and_sees_the_rule_trace(client: TestClient,
                                                             demo_engine: Engine) -> None:
    officer = bearer(a_token(demo_engine, "us.officer"))
    response = client.post("/api/v1/nominations?as_of=2025-03-01", headers=officer,
                           json=[body("H-1"), body("H-2", convictions=[]), {"external_ref": 5}])
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["summary"] == {"rows": 3, "eligible": 1, "ineligible": 1, "review": 0,
                                 "invalid": 1, "unchanged": 0}
    assert report["results"][2]["errors"][0]["field"] == "external_ref"
    public_id = report["results"][1]["public_id"]
    detail = client.get(f"/api/v1/nominations/{public_id}", headers=officer).json()
    assert detail["decision"] == "ineligible"
    assert detail["results"][0] == {
        "rule": "CONVICTED", "outcome": "fail",
        "message": "no conviction with a custodial sentence",
        "citation": "the offer's own term; ETS 112 art. 3(1)(b); US IPTP req. 3"}
    with read_session(demo_engine) as s:
        audit = s.scalars(select(ReadAudit).where(ReadAudit.record_id == public_id)).one()
    assert audit.username == "us.officer"


def test_another_state_sees_nothing_of_these_people(client: TestClient,
                                                    demo_engine: Engine) -> None:
    officer = bearer(a_token(demo_engine, "us.officer"))
    public_id = client.post("/api/v1/nominations", headers=officer,
                            json=body("I-1")).json()["results"][0]["public_id"]
    a_user(demo_engine, "sv.liaison", Role.SENDING, "SLV")
    other = bearer(a_token(demo_engine, "sv.liaison"))
    assert client.get(f"/api/v1/nominations/{public_id}", headers=other).status_code == 404
    assert client.get("/api/v1/nominations", headers=other).json() == []
    warden = bearer(a_token(demo_engine, "sv.warden"))
    assert len(client.get("/api/v1/nominations", headers=warden).json()) == 1


def test_counsel_registers_a_court_order_that_rescreens(client: TestClient,
                                                        demo_engine: Engine) -> None:
    officer = bearer(a_token(demo_engine, "us.officer"))
    ref = client.post("/api/v1/nominations?as_of=2025-03-01", headers=officer,
                      json=body("J-1")).json()["results"][0]["public_id"]
    counsel = bearer(a_token(demo_engine, "counsel"))
    counsel_of_record(demo_engine, ref)  # counsel orders only for a client (§12.1)
    order = {"hold_ref": "1:25-cv-01000", "court": "U.S. District Court for D. Md.",
             "kind": "withholding_of_removal", "issued": "2019-10-10", "expires": None,
             "scope": {"external_ref": "J-1"}, "bars_removal_to": ["SLV"]}
    registered = client.post("/api/v1/holds", headers=counsel, json=order)
    assert registered.status_code == 201, registered.text
    assert registered.json() == {"hold_ref": "1:25-cv-01000", "outcome": "registered",
                                 "rescreened": 1}
    detail = client.get(f"/api/v1/nominations/{ref}", headers=officer).json()
    assert detail["decision"] == "ineligible"
    assert any(r["rule"] == "NON_REFOULEMENT" and r["outcome"] == "fail"
               for r in detail["results"])
    bad = client.post("/api/v1/holds", headers=counsel, json={**order, "kind": "memo"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "kind"
    conflict = client.post("/api/v1/holds", headers=counsel, json={**order, "court": "other"})
    assert conflict.status_code == 409
    lifted = client.post("/api/v1/holds/1:25-cv-01000/lift", headers=counsel,
                         json={"reason": "order vacated", "document": "Order, ECF 30"})
    assert lifted.status_code == 200 and lifted.json()["outcome"] == "lifted"
    again = client.post("/api/v1/holds/1:25-cv-01000/lift", headers=counsel,
                        json={"reason": "twice", "document": "Order, ECF 30"})
    assert again.status_code == 409
