"""Changes of what both states signed take two (DESIGN.md §12.1), and another agreement's
state is told nothing exists.

Reproductions of issue 17 on the lived demo with a second agreement (Costa Rica → El
Salvador, same prison): Costa Rica's officer renewed the USA–SLV agreement (24 → 144
months) and a U.S. person's term (201, where an unknown id answered 404). Renewals, fee
changes and a person's term renewal are now proposals by one state, in force only once
the other state of that agreement accepts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.custody import records
from habeas.custody.models import Prisoner
from habeas.db import read_session
from tests.api.conftest import bearer
from tests.conftest import OTHER_OFFICER
from tests.factories import a_token, event_count, refused

REF = "USA-SLV-2025"
RENEWAL = {"months": 12, "basis": "Exchange of notes, 1 March 2026"}
QUOTA = {"quota": 500, "basis": "Exchange of notes raising the quota"}
FEES = {"fees": {"effective_from": "2027-01-01", "per_diem_minor": 5_000},
        "basis": "note verbale 12/2026"}


@pytest.fixture(scope="module")
def world(lived: tuple[TestClient, Engine]) -> tuple[TestClient, Engine, dict[str, Any]]:
    """world: the lived demo, a bearer header per state's officer, and a U.S. person held."""
    client, engine = lived
    with read_session(engine) as s:
        # Held, and due for release after the renewal the tests propose.
        person = s.scalars(select(Prisoner.public_id).where(
            Prisoner.legal_custodian == "USA", Prisoner.status == "in_custody",
            Prisoner.release_date > date(2026, 9, 30)).order_by(Prisoner.public_id)).first()
    assert person is not None
    who = {name: bearer(a_token(engine, name))
           for name in ("us.officer", "sv.warden", OTHER_OFFICER)}
    return client, engine, {"person": person, **who}


def _agreement(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/agreements/{REF}", headers=headers).json()
    return body


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_another_agreements_state_cannot_renew_or_reprice_ours(
        world: tuple[TestClient, Engine, dict[str, Any]]) -> None:
    client, engine, h = world
    before, count = _agreement(client, h["us.officer"]), event_count(engine)
    for path, body in ((f"/api/v1/agreements/{REF}/renewals", RENEWAL),
                       (f"/api/v1/agreements/{REF}/fees", FEES),
                       (f"/api/v1/agreements/{REF}/quota", QUOTA)):
        theirs = client.post(path, json=body, headers=h[OTHER_OFFICER])
        nothing = client.post(path.replace(REF, "NO-SUCH-2025"), json=body,
                              headers=h[OTHER_OFFICER])
        assert _error(theirs) == _error(nothing) == (404, "not_found"), theirs.text
        assert theirs.json()["error"]["message"] == \
            nothing.json()["error"]["message"].replace("NO-SUCH-2025", REF)
    assert event_count(engine) == count
    assert _agreement(client, h["us.officer"])["term_months"] == before["term_months"]
    assert _agreement(client, h["us.officer"])["quota"] == before["quota"]


def test_another_agreements_state_cannot_renew_our_persons_term(
        world: tuple[TestClient, Engine, dict[str, Any]]) -> None:
    client, engine, h = world
    count = event_count(engine)
    body = {"until": "2026-12-31", "reason": "exchange of notes"}
    known = client.post(f"/api/v1/people/{h['person']}/renewal", json=body,
                        headers=h[OTHER_OFFICER])
    unknown = client.post("/api/v1/people/NNOSUCHPERSON/renewal", json=body,
                          headers=h[OTHER_OFFICER])
    # The same answer whether the person exists elsewhere or not at all.
    assert _error(known) == _error(unknown) == (404, "not_found")
    assert known.json()["error"]["message"] == \
        unknown.json()["error"]["message"].replace("NNOSUCHPERSON", h["person"])
    assert event_count(engine) == count


def test_a_renewal_is_in_force_only_once_the_other_state_accepts(
        world: tuple[TestClient, Engine, dict[str, Any]]) -> None:
    client, engine, h = world
    before = _agreement(client, h["us.officer"])["term_months"]
    proposed = client.post(f"/api/v1/agreements/{REF}/renewals", json=RENEWAL,
                           headers=h["us.officer"])
    assert proposed.status_code == 201, proposed.text
    seq = proposed.json()["seq"]
    assert _agreement(client, h["us.officer"])["term_months"] == before
    url = f"/api/v1/agreements/{REF}/changes/{seq}"
    count = event_count(engine)
    # The proposer cannot also agree: that would be one party alone.
    assert _error(client.post(url + "/accept", headers=h["us.officer"])) == (
        403, "wrong_party")
    assert _error(client.post(url + "/reject", json={"reason": "no"},
                              headers=h["us.officer"])) == (403, "wrong_party")
    # Nor may the other state withdraw what it did not propose.
    assert _error(client.post(url + "/withdraw", headers=h["sv.warden"])) == (
        403, "wrong_party")
    # Another agreement's state: the proposal does not exist for it.
    assert _error(client.post(url + "/accept", headers=h[OTHER_OFFICER])) == (404, "not_found")
    assert _error(client.get(f"/api/v1/agreements/{REF}/changes",
                             headers=h[OTHER_OFFICER])) == (404, "not_found")
    assert event_count(engine) == count
    assert _agreement(client, h["us.officer"])["term_months"] == before
    accepted = client.post(url + "/accept", headers=h["sv.warden"])
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["decided_party"]) == ("accepted", "SLV")
    assert _agreement(client, h["us.officer"])["term_months"] == before + 12
    assert _error(client.post(url + "/accept", headers=h["sv.warden"])) == (
        409, "invalid_transition")
    listed = client.get(f"/api/v1/agreements/{REF}/changes", headers=h["us.officer"]).json()
    assert listed[0]["seq"] == seq and listed[0]["status"] == "accepted"


def test_a_fee_proposal_rejected_or_withdrawn_changes_nothing(
        world: tuple[TestClient, Engine, dict[str, Any]]) -> None:
    client, _, h = world
    fees_before = _agreement(client, h["us.officer"])["fees"]
    first = client.post(f"/api/v1/agreements/{REF}/fees", json=FEES, headers=h["sv.warden"])
    assert first.status_code == 201, first.text
    url = f"/api/v1/agreements/{REF}/changes/{first.json()['seq']}"
    blank = client.post(url + "/reject", json={"reason": ""}, headers=h["us.officer"])
    assert blank.status_code == 422
    rejected = client.post(url + "/reject", json={"reason": "too dear"},
                           headers=h["us.officer"])
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "too dear")
    second = client.post(f"/api/v1/agreements/{REF}/fees", json=FEES, headers=h["sv.warden"])
    url = f"/api/v1/agreements/{REF}/changes/{second.json()['seq']}"
    assert client.post(url + "/withdraw", headers=h["sv.warden"]).json()["status"] == \
        "withdrawn"
    assert _error(client.post(url + "/accept", headers=h["us.officer"])) == (
        409, "invalid_transition")
    assert _agreement(client, h["us.officer"])["fees"] == fees_before


def test_a_persons_term_renewal_takes_both_states(
        world: tuple[TestClient, Engine, dict[str, Any]]) -> None:
    client, engine, h = world
    person = h["person"]
    proposed = client.post(f"/api/v1/people/{person}/renewal", headers=h["sv.warden"],
                           json={"until": "2026-09-30", "reason": "exchange of notes"})
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["recorded"] == "agreement.change_proposed"
    with read_session(engine) as s:
        assert s.get_one(Prisoner, person).term_renewed_until is None
    url = f"/api/v1/agreements/{REF}/changes/{proposed.json()['seq']}"
    assert _error(client.post(url + "/accept", headers=h["sv.warden"])) == (
        403, "wrong_party")
    assert client.post(url + "/accept", headers=h["us.officer"]).status_code == 200
    with read_session(engine) as s:
        assert s.get_one(Prisoner, person).term_renewed_until == date(2026, 9, 30)


def test_custody_events_belong_to_the_receiving_state_of_the_persons_agreement(
        world: tuple[TestClient, Engine, dict[str, Any]]) -> None:
    _, engine, h = world
    person = h["person"]

    def contact(party: str | None) -> Any:
        return lambda s: records.record_contact(
            s, person, kind="family", mode="call", on=date(2025, 7, 1), with_whom="mother",
            actor="x", party=party)

    missing = refused(engine, contact("CRI"), "not_found")
    assert missing.message == f"person {person!r} not found"
    assert refused(engine, contact("USA"), "wrong_party").details["owner"] == "SLV"
    refused(engine, contact(None), "wrong_party")
    refused(engine, lambda s: records.record_medical_emergency(
        s, person, at=datetime.fromisoformat("2025-07-01T10:00:00+00:00"),
        nature="illness", details="fever", actor="x", party="CRI"), "not_found")


def test_a_quota_change_is_in_force_only_once_the_other_state_accepts(
        world: tuple[TestClient, Engine, dict[str, Any]]) -> None:
    client, engine, h = world
    before = _agreement(client, h["us.officer"])["quota"]
    bad = client.post(f"/api/v1/agreements/{REF}/quota", json={**QUOTA, "quota": 0},
                      headers=h["sv.warden"])
    assert bad.status_code == 422 and "quota" in bad.text
    proposed = client.post(f"/api/v1/agreements/{REF}/quota", json=QUOTA,
                           headers=h["sv.warden"])
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["kind"] == "quota"
    assert _agreement(client, h["us.officer"])["quota"] == before  # not yet in force
    url = f"/api/v1/agreements/{REF}/changes/{proposed.json()['seq']}"
    assert _error(client.post(url + "/accept", headers=h["sv.warden"])) == (
        403, "wrong_party")
    assert _error(client.post(url + "/accept", headers=h[OTHER_OFFICER])) == (
        404, "not_found")
    count = event_count(engine)
    accepted = client.post(url + "/accept", headers=h["us.officer"])
    assert accepted.status_code == 200, accepted.text
    assert event_count(engine) == count + 2  # the acceptance and the change it puts in force
    assert _agreement(client, h["us.officer"])["quota"] == QUOTA["quota"] != before
