"""The HTTP API: health, constants, JSON errors with stable codes, tokens, users, CSRF."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.auth.models import ReadAudit
from habeas.db import read_session
from habeas.demo import DEMO_PASSWORD
from habeas.errors import ErrorCode
from tests.api.conftest import bearer
from tests.factories import DEMO_EVENTS


def error_of(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]  # type: ignore[no-any-return]


class TestPublic:
    def test_healthz_reports_the_database(self, client: TestClient, engine: Engine) -> None:
        assert client.get("/healthz").json() == {"status": "ok",
                                                 "database": engine.dialect.name}

    def test_constants_list_every_error_code_role_and_event_type(
            self, client: TestClient) -> None:
        body = client.get("/api/v1/constants").json()
        assert set(body["error_codes"]) == {c.value for c in ErrorCode}
        assert body["roles"] == ["admin", "sending", "receiving", "counsel", "monitor"]
        assert "agreement.registered" in body["event_types"]
        assert body["rules"]["NOTICE"]["always"] is True

    def test_unknown_path_and_wrong_method_are_json_errors(self, client: TestClient) -> None:
        assert error_of(client.get("/api/v1/nothing-here"))["code"] == "not_found"
        response = client.post("/api/v1/constants")
        assert response.status_code == 405
        assert error_of(response)["code"] == "method_not_allowed"

    def test_openapi_documents_the_error_statuses_of_protected_routes(
            self, client: TestClient) -> None:
        from tests.api.test_permissions import PUBLIC

        paths = client.get("/openapi.json").json()["paths"]
        for path, operations in paths.items():
            for method, operation in operations.items():
                if (method.upper(), path) in PUBLIC:
                    continue
                assert "401" in operation["responses"], (method, path)
        assert "503" in paths["/healthz"]["get"]["responses"]


class TestAuthentication:
    def test_no_credentials_is_401_with_a_hint(self, client: TestClient) -> None:
        response = client.get("/api/v1/agreements")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert error_of(response)["code"] == "unauthenticated"

    def test_malformed_authorization_header(self, client: TestClient) -> None:
        response = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
        assert response.status_code == 401
        assert "Bearer" in str(error_of(response)["message"])

    def test_token_lifecycle_issue_use_revoke(self, client: TestClient,
                                              tokens: dict[str, str]) -> None:
        issued = client.post("/api/v1/tokens", json={"name": "laptop"},
                             headers=bearer(tokens["monitor"]))
        assert issued.status_code == 201
        secret, token_id = issued.json()["token"], issued.json()["id"]
        assert client.get("/api/v1/me", headers=bearer(secret)).json()["username"] == "monitor"
        listed = client.get("/api/v1/tokens", headers=bearer(secret)).json()
        assert all("token" not in t for t in listed)
        assert client.delete(f"/api/v1/tokens/{token_id}",
                             headers=bearer(tokens["monitor"])).status_code == 204
        refused = client.get("/api/v1/me", headers=bearer(secret))
        assert refused.status_code == 401
        assert error_of(refused)["code"] == "token_revoked"

    def test_a_token_in_the_past_is_refused_at_issue(self, client: TestClient,
                                                     tokens: dict[str, str]) -> None:
        response = client.post("/api/v1/tokens", headers=bearer(tokens["admin"]),
                               json={"name": "old", "expires_at": "2020-01-01T00:00:00Z"})
        assert response.status_code == 422
        assert error_of(response)["details"] == {"field": "expires_at",
                                                 "problem": "must be in the future"}


class TestUsers:
    def test_admin_adds_a_user(self, client: TestClient, tokens: dict[str, str]) -> None:
        response = client.post("/api/v1/users", headers=bearer(tokens["admin"]), json={
            "username": "sv.guard", "display_name": "Guard", "role": "receiving",
            "party": "SLV", "password": "a long enough password"})
        assert response.status_code == 201
        assert response.json()["party_code"] == "SLV"
        assert "password" not in response.text

    @pytest.mark.parametrize(("body", "status", "field"), [
        ({"username": "x1", "display_name": "X", "role": "overlord", "password": "p" * 20},
         422, "body.role"),
        ({"username": "x1", "display_name": "X", "role": "sending", "party": "XX",
          "password": "p" * 20}, 422, "body.party"),
        ({"display_name": "X", "role": "admin", "password": "p" * 20}, 422, "body.username"),
        ({"username": "x1", "display_name": "X", "role": "admin", "password": "short"},
         422, "password"),
    ])
    def test_bad_user_bodies_name_the_field(self, client: TestClient, tokens: dict[str, str],
                                            body: dict[str, str], status: int,
                                            field: str) -> None:
        response = client.post("/api/v1/users", headers=bearer(tokens["admin"]), json=body)
        assert response.status_code == status
        error = error_of(response)
        assert str(error["message"]).startswith(field), error

    def test_duplicate_user_is_409(self, client: TestClient, tokens: dict[str, str]) -> None:
        response = client.post("/api/v1/users", headers=bearer(tokens["admin"]), json={
            "username": "monitor", "display_name": "M", "role": "monitor",
            "password": "a long enough password"})
        assert response.status_code == 409
        assert error_of(response)["code"] == "duplicate_user"

    def test_reading_a_user_record_is_audited(self, client: TestClient, engine: Engine,
                                              tokens: dict[str, str]) -> None:
        me = client.get("/api/v1/me", headers=bearer(tokens["counsel"])).json()
        assert client.get(f"/api/v1/users/{me['id']}",
                          headers=bearer(tokens["admin"])).status_code == 200
        assert client.get("/api/v1/users/no-such-id",
                          headers=bearer(tokens["admin"])).status_code == 404
        with read_session(engine) as s:
            [row] = s.scalars(select(ReadAudit)).all()
        assert (row.username, row.record_id, row.channel) == ("admin", me["id"], "api")


class TestAgreementsAndFacilities:
    def test_agreement_shows_term_rules_and_fees(self, client: TestClient,
                                                 tokens: dict[str, str]) -> None:
        [agreement] = client.get("/api/v1/agreements", headers=bearer(tokens["monitor"])).json()
        assert agreement["ends_on"] == "2026-03-14"
        assert agreement["fees"]["annual_rate_minor"] == 2_000_000
        assert agreement["rules"]["CONVICTED"] == {"enabled": True, "always": True}
        missing = client.get("/api/v1/agreements/NOPE", headers=bearer(tokens["monitor"]))
        assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"

    def test_facility_capacity_is_shown_against_the_standards(
            self, client: TestClient, tokens: dict[str, str]) -> None:
        facility = client.get("/api/v1/facilities/CECOT",
                              headers=bearer(tokens["sv.warden"])).json()
        capacity = facility["capacity"]
        assert (facility["buildings"], capacity["cells"]) == (8, 256)
        assert capacity["signed_capacity"] == 40_000
        assert capacity["space_at_signed_m2"] == pytest.approx(0.64)
        assert capacity["compliant"] == {"ICRC": 256 * 29, "CPT": 256 * 25}

    def test_events_page_envelopes_without_payloads(self, client: TestClient,  # demo + 5 tokens
                                                    tokens: dict[str, str]) -> None:
        page = client.get("/api/v1/events?limit=3", headers=bearer(tokens["us.officer"]))
        body = page.json()
        assert body["size"] == DEMO_EVENTS + 5 and [e["seq"] for e in body["events"]] == [0, 1, 2]
        assert body["next_after"] == 2
        assert all("payload" not in e for e in body["events"])
        bad = client.get("/api/v1/events?limit=0", headers=bearer(tokens["admin"]))
        assert bad.status_code == 422 and str(error_of(bad)["message"]).startswith("query.limit")


class TestCookieSessions:
    def login(self, client: TestClient, username: str) -> None:
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                                "csrf": csrf}, follow_redirects=False)
        assert response.status_code == 303

    def test_cookie_callers_must_send_the_csrf_token_to_change_anything(
            self, client: TestClient) -> None:
        self.login(client, "monitor")
        assert client.get("/api/v1/me").status_code == 200
        refused = client.post("/api/v1/tokens", json={"name": "x"})
        assert refused.status_code == 403 and error_of(refused)["code"] == "csrf_failed"
        home = client.get("/")
        csrf = home.text.split('name="csrf" value="')[1].split('"')[0]
        allowed = client.post("/api/v1/tokens", json={"name": "x"},
                              headers={"X-CSRF-Token": csrf})
        assert allowed.status_code == 201

    def test_login_cookie_flags(self, client: TestClient) -> None:
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        response = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD,
                                                "csrf": csrf}, follow_redirects=False)
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie

    def test_login_without_the_form_token_is_refused(self, client: TestClient) -> None:
        response = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
        assert response.status_code == 403
        assert "expired" in response.text

    def test_pages_carry_a_strict_content_security_policy(self, client: TestClient) -> None:
        csp = client.get("/login").headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp


class TestBounds:
    """Numbers and days a query names stay within what the database and the calendar hold:
    a 422 naming the parameter, never a 500 (each was one, found by tests/api/test_fuzz.py)."""

    @pytest.mark.parametrize(("url", "field"), [
        ("/api/v1/integrity?on=0001-01-01", "query.on"),
        ("/api/v1/billing/invoices?on=9999-12-31", "query.on"),
        ("/api/v1/billing/invoices/113049471256685231210496", "path.seq"),
        ("/api/v1/findings?offset=9811558301456555573248", "query.offset"),
        ("/api/v1/billing/sustainability?period=0001", "period"),
    ])
    def test_out_of_range_is_named(self, client: TestClient, tokens: dict[str, str],
                                   url: str, field: str) -> None:
        response = client.get(url, headers=bearer(tokens["monitor"]))
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["field"] == field

    def test_a_body_that_cannot_be_read_is_422_naming_the_body(
            self, client: TestClient, tokens: dict[str, str]) -> None:
        response = client.post("/api/v1/holds", content=b"\xff\x1a\xfeq{",
                               headers={**bearer(tokens["counsel"]),
                                        "Content-Type": "application/json"})
        assert response.status_code == 422
        assert response.json()["error"]["details"]["field"] == "body"
