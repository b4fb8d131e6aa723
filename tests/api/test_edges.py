"""The request edges (issue 17, item 6): who the client is, how much a body may cost,
dates bounded by today, one 404 text for what exists elsewhere and what does not, and
an absent consent sent to review."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.api.body import MAX_JSON_DEPTH, too_deep
from habeas.app import create_app, server_config
from habeas.billing.models import Invoice
from habeas.config import Settings, get_settings
from habeas.custody import records
from habeas.custody.models import Prisoner
from habeas.db import read_session
from habeas.errors import ValidationFailed
from habeas.events import check_claim
from habeas.nominations.schemas import Nomination
from habeas.screening import rules
from habeas.screening.rules import Context, Outcome
from tests.api.conftest import bearer
from tests.conftest import OTHER_OFFICER as OTHER
from tests.factories import a_token, refused
from tests.screening.factories import EXAMPLE, nomination

PEER = ("127.0.0.1", 50000)  # a request from the loopback, as a local proxy's would be
LOCATE = {"family_name": "RIVERA LOPEZ", "given_names": "JOSE ANTONIO",
          "country_of_birth": "SLV"}


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """settings: set HABEAS_ variables for one test; the cache is cleared either side."""
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _client(engine: Engine) -> TestClient:
    return TestClient(create_app(engine), raise_server_exceptions=False, client=PEER)


class TestProxyHeaders:
    def test_a_forged_forwarded_for_does_not_reset_the_locator_limit(
            self, engine: Engine, settings: pytest.MonkeyPatch) -> None:
        settings.setenv("HABEAS_LOCATOR_RATE_LIMIT", "3")
        with _client(engine) as client:
            answers = [client.get("/api/v1/locate", params=LOCATE,
                                  headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                       for i in range(4)]
        assert answers == [200, 200, 200, 429]

    def test_serve_does_not_let_uvicorn_believe_the_header_either(
            self, engine: Engine, settings: pytest.MonkeyPatch) -> None:
        # The app as `habeas serve` runs it, wrapped by uvicorn as it would be (uvicorn's
        # default believed X-Forwarded-For from 127.0.0.1: the hole of issue 17).
        settings.setenv("HABEAS_LOCATOR_RATE_LIMIT", "3")
        config = server_config(create_app(engine), get_settings())
        config.load()
        with TestClient(config.loaded_app, raise_server_exceptions=False,
                        client=PEER) as client:
            answers = [client.get("/api/v1/locate", params=LOCATE,
                                  headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                       for i in range(4)]
        assert answers == [200, 200, 200, 429]

    def test_only_a_listed_proxy_names_the_client(self, engine: Engine,
                                                  settings: pytest.MonkeyPatch) -> None:
        settings.setenv("HABEAS_LOCATOR_RATE_LIMIT", "3")
        settings.setenv("HABEAS_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
        with _client(engine) as client:
            answers = [client.get("/api/v1/locate", params=LOCATE,
                                  headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                       for i in range(4)]
        assert answers == [200, 200, 200, 200]  # four clients behind the proxy, one each

    def test_a_forged_forwarded_for_does_not_escape_the_login_throttle(
            self, engine: Engine, settings: pytest.MonkeyPatch) -> None:
        settings.setenv("HABEAS_LOGIN_CLIENT_LIMIT", "2")
        answers = []
        with _client(engine) as client:
            for i in range(3):
                page = client.get("/login").text
                csrf = page.split('name="csrf" value="')[1].split('"')[0]
                answers.append(client.post("/login", data={
                    "username": f"guess{i}", "password": "not the password", "csrf": csrf},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code)
        assert answers[-1] == 429 and 429 not in answers[:2], answers

    def test_the_setting_names_a_bad_address(self, settings: pytest.MonkeyPatch) -> None:
        settings.setenv("HABEAS_TRUSTED_PROXIES", "127.0.0.1, proxy.example")
        with pytest.raises(ValueError, match=r"proxy\.example"):
            Settings()
        assert Settings(trusted_proxies="").proxies == []


class TestBodies:
    def test_a_body_over_the_limit_is_413_with_the_error_body(
            self, engine: Engine, settings: pytest.MonkeyPatch) -> None:
        settings.setenv("HABEAS_MAX_BODY_BYTES", "2048")
        with _client(engine) as client:
            big = client.post("/api/v1/subscriptions", content=b'{"x": "' + b"a" * 4096 + b'"}',
                              headers={"Content-Type": "application/json"})
            streamed = client.post("/api/v1/subscriptions", content=iter([b"[" * 1500] * 3),
                                   headers={"Content-Type": "application/json"})
        for answer in (big, streamed):
            assert answer.status_code == 413, answer.text
            assert answer.json()["error"]["code"] == "payload_too_large"
            assert answer.json()["error"]["details"] == {"field": "body", "limit": 2048}

    def test_deep_json_is_422_naming_the_body(self, engine: Engine) -> None:
        with _client(engine) as client:
            deep = client.post("/api/v1/subscriptions", content=b"[" * 5000,
                               headers={"Content-Type": "application/json"})
        assert deep.status_code == 422, deep.text
        error = deep.json()["error"]
        assert error["code"] == "validation_failed" and error["details"]["field"] == "body"

    def test_brackets_inside_strings_do_not_count(self) -> None:
        assert not too_deep(b'{"a": "' + b"[" * 100 + b'"}')
        assert not too_deep(b'{"a": "\\"' + b"[" * 100 + b'"}')
        assert too_deep(b"[" * (MAX_JSON_DEPTH + 1))
        assert not too_deep(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
        assert not too_deep(b"[[]]" * 100)


@pytest.fixture(scope="module")
def invoices(lived: tuple[TestClient, Engine]) -> tuple[TestClient, Engine, Invoice]:
    client, engine = lived
    with read_session(engine) as s:
        invoice = s.scalars(select(Invoice).order_by(Invoice.seq)).first()
    assert invoice is not None
    return client, engine, invoice


class TestDatesBoundedByToday:
    def test_a_payment_dated_ahead_is_422_naming_paid_on(
            self, invoices: tuple[TestClient, Engine, Invoice]) -> None:
        client, engine, invoice = invoices
        answer = client.post(f"/api/v1/billing/invoices/{invoice.seq}/payments",
                             headers=bearer(a_token(engine, "us.officer")),
                             json={"amount_minor": 1, "paid_on": "9999-12-31",
                                   "reference": "wire 1"})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"]["field"] == "paid_on"

    def test_a_charge_of_ten_to_the_fifteen_or_dated_ahead_is_422(
            self, invoices: tuple[TestClient, Engine, Invoice]) -> None:
        client, engine, invoice = invoices
        with read_session(engine) as s:
            person = s.scalars(select(Prisoner.public_id).where(
                Prisoner.kind == "transferee", Prisoner.status == "in_custody")).first()
        body = {"agreement_ref": invoice.agreement_ref, "public_id": person,
                "kind": "medical", "incurred_on": "2025-07-01", "amount_minor": 10**15,
                "description": "surgery"}
        warden = bearer(a_token(engine, "sv.warden"))
        too_much = client.post("/api/v1/billing/charges", headers=warden, json=body)
        ahead = client.post("/api/v1/billing/charges", headers=warden,
                            json={**body, "amount_minor": 100, "incurred_on": "9999-12-31"})
        for answer, field in ((too_much, "amount_minor"), (ahead, "incurred_on")):
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["details"]["field"].endswith(field)

    def test_a_contact_dated_ahead_is_422_naming_on(
            self, invoices: tuple[TestClient, Engine, Invoice]) -> None:
        client, engine, _ = invoices
        with read_session(engine) as s:
            person = s.scalars(select(Prisoner.public_id).where(
                Prisoner.status == "in_custody")).first()
        answer = client.post(f"/api/v1/people/{person}/contacts",
                             headers=bearer(a_token(engine, "sv.warden")),
                             json={"kind": "family", "mode": "visit", "on": "9999-12-31",
                                   "with_whom": "mother"})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"]["field"] == "on"


    def test_custody_events_dated_ahead_are_refused_naming_the_field(
            self, invoices: tuple[TestClient, Engine, Invoice]) -> None:
        _, engine, _ = invoices
        with read_session(engine) as s:
            person = s.scalars(select(Prisoner.public_id).where(
                Prisoner.status == "in_custody")).first()
        assert person is not None
        ahead = datetime.now(UTC) + timedelta(days=2)
        for act in (
                lambda s: records.record_medical_emergency(
                    s, person, at=ahead, nature="injury", details="x", actor="x",
                    party="SLV"),
                lambda s: records.start_solitary(
                    s, person, at=ahead, authorised_by="director", reason="x", actor="x",
                    party="SLV"),
                lambda s: records.record_escape(s, person, at=ahead, circumstances="x",
                                                actor="x", party="SLV"),
                lambda s: records.record_death(s, person, died_at=ahead, place="x",
                                               circumstances="x", actor="x", party="SLV")):
            error = refused(engine, act, "occurred_in_future")
            assert error.details["field"] in ("at", "died_at"), error.message
        # An officer's clock a minute ahead of the server's is not a claim about the future.
        check_claim("solitary.started", datetime.now(UTC) + timedelta(minutes=1), None,
                    field="at")
        with pytest.raises(ValidationFailed) as ahead_a_day:
            records.happened("on", date.today() + timedelta(days=1))
        assert ahead_a_day.value.details["field"] == "on"


class TestOneNotFound:
    def test_another_agreements_invoice_reads_as_a_missing_one(
            self, invoices: tuple[TestClient, Engine, Invoice]) -> None:
        client, engine, invoice = invoices
        stranger = bearer(a_token(engine, OTHER))
        missing = 10**9
        pay = {"amount_minor": 1, "paid_on": "2025-07-01", "reference": "wire"}
        for path in ("/api/v1/billing/invoices/{}", "/api/v1/billing/invoices/{}/payments"):
            answers = [(client.post(path.format(seq), headers=stranger, json=pay)
                        if path.endswith("payments")
                        else client.get(path.format(seq), headers=stranger))
                       for seq in (invoice.seq, missing)]
            assert [a.status_code for a in answers] == [404, 404], path
            bodies = [a.json()["error"]["message"].replace(str(seq), "N")
                      for a, seq in zip(answers, (invoice.seq, missing), strict=True)]
            assert bodies[0] == bodies[1], path

    def test_a_dispute_on_another_agreements_invoice_reads_as_a_missing_one(
            self, invoices: tuple[TestClient, Engine, Invoice]) -> None:
        client, engine, invoice = invoices
        stranger = bearer(a_token(engine, OTHER))
        answers = [client.post("/api/v1/billing/disputes", headers=stranger,
                               json={"document": number, "line": 1, "reason": "why"})
                   for number in (invoice.number, "INV-NONE-0001")]
        assert [a.status_code for a in answers] == [404, 404]
        messages = [a.json()["error"]["message"] for a in answers]
        assert messages[0].replace(invoice.number, "N") == \
            messages[1].replace("INV-NONE-0001", "N")


class TestConsentNotRecorded:
    @pytest.mark.parametrize("consent", [None, "absent"])
    def test_null_or_absent_consent_is_review_not_invalid(self, consent: str | None) -> None:
        data = {k: v for k, v in EXAMPLE.items() if k != "consent"}
        if consent is None:
            data["consent"] = None
        parsed = Nomination.model_validate(data)
        assert parsed.consent.given is None
        result = rules.consent(parsed, Context(as_of=date(2025, 3, 1), receiving_party="SLV"))
        assert result.outcome is Outcome.REVIEW

    def test_a_pending_charge_carries_its_filed_date(self) -> None:
        parsed = nomination(pending_charges=[{"offense": "assault", "filed": "2024-02-01"}])
        assert parsed.pending_charges[0].filed == date(2024, 2, 1)
        with pytest.raises(ValueError, match=r"pending_charges\.0\.filed"):
            nomination(pending_charges=[{"offense": "assault", "filed": "1900-01-01"}])
