"""After import: amendments, notice in the person's language, acceptance within quota."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.agreements import service as agreements
from habeas.agreements.models import Agreement
from habeas.app import create_app
from habeas.auth.models import Role
from habeas.clock import simulated
from habeas.db import unit_of_work
from habeas.nominations import service as nominations
from tests.api.conftest import bearer
from tests.factories import a_token, a_user
from tests.screening.factories import nomination


@pytest.fixture
def small_agreement(engine: Engine) -> Engine:
    """small_agreement: the 2025 profile with a quota of 2, and an officer on each side."""
    text = agreements.profile_text("bilateral-fee-2025").replace("quota = 300", "quota = 2")
    with unit_of_work(engine) as s:
        agreements.register(s, agreements.parse_agreement(text, "test"), actor="test")
    a_user(engine, "us.officer", Role.SENDING, "USA")
    a_user(engine, "sv.warden", Role.RECEIVING, "SLV")
    return engine


@pytest.fixture
def client(small_agreement: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(small_agreement), raise_server_exceptions=False) as c:
        yield c


def nominate(client: TestClient, engine: Engine, *refs: str, **changes: object) -> list[str]:
    """nominate: REFS nominated on 1 March 2025 — recorded that day (the injected clock),
    so the acceptance and notice the tests date in March 2025 follow it (DESIGN.md §12.2)."""
    rows = [nominations.Row(i + 1, nomination(external_ref=r, **changes).model_dump(
        mode="json")) for i, r in enumerate(refs)]
    with simulated(datetime(2025, 3, 1, 9, tzinfo=UTC)), unit_of_work(engine) as s:
        results = nominations.import_rows(s, s.get_one(Agreement, "USA-SLV-2025"), rows,
                                          as_of=date(2025, 3, 1), actor="user:us.officer")
    return [r.public_id for r in results if r.public_id is not None]


class TestAcceptance:
    def test_accept_within_quota_then_quota_exhausted(self, client: TestClient,
                                                      small_agreement: Engine) -> None:
        ids = nominate(client, small_agreement, "Q-1", "Q-2", "Q-3")
        warden = bearer(a_token(small_agreement, "sv.warden"))
        for public_id in ids[:2]:
            accepted = client.post(f"/api/v1/nominations/{public_id}/accept", headers=warden,
                                   json={"on": "2025-03-20"})
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["status"] == "accepted"
        refused = client.post(f"/api/v1/nominations/{ids[2]}/accept", headers=warden,
                              json={"on": "2025-03-20"})
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "quota_exhausted"
        again = client.post(f"/api/v1/nominations/{ids[0]}/accept", headers=warden,
                            json={"on": "2025-03-20"})
        assert again.json()["error"]["code"] == "already_decided"

    def test_only_eligible_people_are_accepted_and_rejection_needs_a_reason(
            self, client: TestClient, small_agreement: Engine) -> None:
        [minor] = nominate(client, small_agreement, "R-1",
                           **{"person.date_of_birth": "2010-01-01"})
        warden = bearer(a_token(small_agreement, "sv.warden"))
        refused = client.post(f"/api/v1/nominations/{minor}/accept", headers=warden,
                              json={"on": "2025-03-20"})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_eligible"
        assert client.post(f"/api/v1/nominations/{minor}/reject", headers=warden,
                           json={"reason": ""}).status_code == 422
        rejected = client.post(f"/api/v1/nominations/{minor}/reject", headers=warden,
                               json={"reason": "a minor (CRC art. 37)"})
        assert rejected.json() == {"public_id": minor, "status": "rejected",
                                   "reason": "a minor (CRC art. 37)"}

    def test_acceptance_outside_the_term_is_refused(self, client: TestClient,
                                                    small_agreement: Engine) -> None:
        [public_id] = nominate(client, small_agreement, "T-1")
        response = client.post(f"/api/v1/nominations/{public_id}/accept",
                               headers=bearer(a_token(small_agreement, "sv.warden")),
                               json={"on": "2027-01-01"})
        assert response.status_code == 422 and "after the agreement's term" in response.text


class TestNotice:
    def test_notice_in_the_persons_language_with_the_deadline(self, client: TestClient,
                                                              small_agreement: Engine) -> None:
        [public_id] = nominate(client, small_agreement, "N-1")
        officer = bearer(a_token(small_agreement, "us.officer"))
        wrong = client.post(f"/api/v1/nominations/{public_id}/notice", headers=officer,
                            json={"served_on": "2025-03-02", "language": "en",
                                  "method": "in_person", "acknowledged": True})
        assert wrong.status_code == 422
        assert wrong.json()["error"]["code"] == "notice_language"
        served = client.post(f"/api/v1/nominations/{public_id}/notice", headers=officer,
                             json={"served_on": "2025-03-02", "language": "es",
                                   "method": "in_person", "acknowledged": True})
        assert served.status_code == 201, served.text
        text = served.json()["text"]
        assert text.startswith("AVISO DE TRASLADO PROPUESTO")
        assert "hábeas" in text and "No será trasladado antes del 2025-04-01" in text
        assert "José Antonio Rivera López" in text


class TestAmendment:
    def test_an_amendment_is_screened_again(self, client: TestClient,
                                            small_agreement: Engine) -> None:
        [public_id] = nominate(client, small_agreement, "M-1",
                               **{"convictions.0.appeal_status": "pending"})
        officer = bearer(a_token(small_agreement, "us.officer"))
        fixed = nomination(external_ref="M-1").model_dump(mode="json")
        amended = client.patch(f"/api/v1/nominations/{public_id}?as_of=2025-03-01",
                               headers=officer, json=fixed)
        assert amended.json() == {"public_id": public_id, "outcome": "eligible"}
        same = client.patch(f"/api/v1/nominations/{public_id}", headers=officer, json=fixed)
        assert same.json()["outcome"] == "unchanged"
        renamed = client.patch(f"/api/v1/nominations/{public_id}", headers=officer,
                               json={**fixed, "external_ref": "M-2"})
        assert renamed.status_code == 422
        assert renamed.json()["error"]["details"]["field"] == "external_ref"


