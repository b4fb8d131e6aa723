"""GET /api/v1/locate: public, exactly the allowed fields, bad input named, rate-limited and
logged (DESIGN.md §9, ADR 0015)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from habeas.app import create_app
from habeas.config import get_settings
from habeas.custody.models import Prisoner
from habeas.db import read_session
from habeas.locator.models import LocatorEntry, LocatorSearch
from habeas.nominations.models import NominationRecord
from habeas.notify.tokens import person_for, subscribe_token
from tests.locator.conftest import World

# the locator's writes (a SQLite-only writer lock) and its search (docs/testing.md)
pytestmark = pytest.mark.both_engines

RIVERA = {"family_name": "RIVERA LOPEZ", "given_names": "JOSE ANTONIO",
          "country_of_birth": "SLV"}
FIELDS = ("identifier", "country_of_birth", "family_name", "given_names", "date_of_birth")


@pytest.fixture
def client(engine: Engine, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(engine), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def rate_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """rate_limit: 3 searches per minute, for the tests of the limit."""
    monkeypatch.setenv("HABEAS_LOCATOR_RATE_LIMIT", "3")
    monkeypatch.setenv("HABEAS_LOCATOR_RATE_WINDOW_S", "60")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def searches(engine: Engine) -> list[LocatorSearch]:
    with read_session(engine) as s:
        return list(s.scalars(select(LocatorSearch).order_by(LocatorSearch.id)))


def secrets_of(engine: Engine, public_id: str) -> list[str]:
    """secrets_of: what the file knows about a person that the locator must never say."""
    with read_session(engine) as s:
        record = s.get_one(NominationRecord, public_id)
        prisoner = s.get_one(Prisoner, public_id)
    person = record.data["person"]
    assert prisoner.cell_code and prisoner.building_code, "the example is housed"
    return [public_id, record.external_ref, record.date_of_birth.isoformat(),
            *(d["number"] for d in person["documents"]), *record.nationalities,
            person["country_of_birth"], prisoner.cell_code,
            f"{prisoner.building_code}/{prisoner.cell_code}", record.data["affiliation"]["group"],
            record.data["next_of_kin"][0]["name"], record.data["convictions"][0]["offense"],
            "public_id", "date_of_birth", "external_ref", "nationalit", "document", "cell",
            "building", "sex", "affiliation", "convict", "sentence", "release_date"]


class TestAnswer:
    def test_is_public_and_has_exactly_the_allowed_fields(self, client: TestClient,
                                                          world: World) -> None:
        response = client.get("/api/v1/locate", params=RIVERA)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        assert response.json() == {"results": [{
            "name": "José Antonio Rivera López", "status": "in custody",
            "facility": {"name": "Centro de Confinamiento del Terrorismo (CECOT)",
                         "address": "Carretera a Tecoluca, San Vicente, El Salvador",
                         "phone": "+503 2500 0000"},
            "legal_custodian": {"code": "USA", "name": "United States"},
            "status_changed_on": "2025-04-10",
            "subscribe_token": subscribe_token(world.rivera)}]}

    @pytest.mark.parametrize("params", [
        RIVERA, {**RIVERA, "date_of_birth": "1994-03-02"},
        {"identifier": "A1234567", "country_of_birth": "SLV"},
        {"identifier": "US-2025-000123", "country_of_birth": "SLV"}])
    def test_nothing_else_leaks(self, client: TestClient, engine: Engine, world: World,
                                params: dict[str, str]) -> None:
        response = client.get("/api/v1/locate", params=params)
        [result] = [r for r in response.json()["results"] if r["name"].endswith("López")]
        assert set(result) == {"name", "status", "facility", "legal_custodian",
                               "status_changed_on", "subscribe_token"}
        assert person_for(result["subscribe_token"]) == world.rivera  # ours, and opaque
        assert set(result["facility"]) == {"name", "address", "phone"}
        assert set(result["legal_custodian"]) == {"code", "name"}
        text = json.dumps(response.json(), ensure_ascii=False)
        for secret in secrets_of(engine, world.rivera):
            assert secret not in text, secret

    def test_a_released_person_is_gone_after_60_days(self, client: TestClient) -> None:
        # Released in 2025: long past 60 days by any clock this test runs on.
        response = client.get("/api/v1/locate", params={
            "family_name": "Martinez", "given_names": "Carlos", "country_of_birth": "SLV"})
        assert response.json() == {"results": []}

    def test_is_documented_in_openapi_with_its_429(self, client: TestClient) -> None:
        operation = client.get("/openapi.json").json()["paths"]["/api/v1/locate"]["get"]
        assert {"422", "429"} <= set(operation["responses"])
        assert "security" not in operation


class TestBadInput:
    @pytest.mark.parametrize(("params", "field"), [
        ({**RIVERA, "family_name": ""}, "family_name"),
        ({**RIVERA, "given_names": "J"}, "given_names"),
        ({**RIVERA, "country_of_birth": "ZZZ"}, "country_of_birth"),
        ({**RIVERA, "country_of_birth": "El Salvador"}, "country_of_birth"),
        ({**RIVERA, "date_of_birth": "1994-13-02"}, "date_of_birth"),
        ({**RIVERA, "date_of_birth": "yesterday"}, "date_of_birth"),
        ({"country_of_birth": "SLV"}, "identifier"),
        ({"identifier": "", "country_of_birth": "SLV"}, "identifier"),
    ])
    def test_422_names_the_field_and_nothing_is_logged(
            self, client: TestClient, engine: Engine, params: dict[str, str],
            field: str) -> None:
        response = client.get("/api/v1/locate", params=params)
        assert response.status_code == 422
        error = response.json()["error"]
        assert (error["code"], error["details"]["field"]) == ("validation_failed", field)
        assert error["details"]["problem"] and error["message"].startswith(field)
        assert searches(engine) == []

    INJECTIONS = ("' OR '1'='1", "Rivera'; DROP TABLE locator_entry; --",
                  "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
                  "%' OR 1=1 --", "\x00", "Rivera\\", "ñ" * 300)

    @pytest.mark.parametrize("field", FIELDS)
    def test_sql_or_html_in_any_field_is_harmless(self, client: TestClient, engine: Engine,
                                                  world: World, field: str) -> None:
        base = {"identifier": {"identifier": "A1234567", "country_of_birth": "SLV"}}.get(
            field, {**RIVERA, "date_of_birth": "1994-03-02"})
        for attack in self.INJECTIONS:
            response = client.get("/api/v1/locate", params={**base, field: attack})
            assert response.status_code in (200, 422), (field, attack, response.text)
            body: dict[str, Any] = response.json()
            if response.status_code == 200:
                assert all(r["name"].startswith("José") for r in body["results"])
        with read_session(engine) as s:  # the index is intact
            assert s.scalar(select(func.count()).select_from(LocatorEntry)) == 9
        assert client.get("/api/v1/locate", params=RIVERA).json()["results"]


class TestRateLimit:
    def test_429_with_retry_after_once_the_window_is_full(
            self, client: TestClient, engine: Engine, rate_limit: None) -> None:
        for _ in range(3):
            assert client.get("/api/v1/locate", params=RIVERA).status_code == 200
        refused = client.get("/api/v1/locate", params=RIVERA)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        error = refused.json()["error"]
        assert error["code"] == "rate_limited"
        assert error["details"]["retry_after"] == int(refused.headers["Retry-After"])
        assert len(searches(engine)) == 3  # a refused search is not a search

    def test_every_search_is_logged_with_a_hash_never_the_query(
            self, client: TestClient, engine: Engine) -> None:
        client.get("/api/v1/locate", params=RIVERA)
        client.get("/api/v1/locate", params={**RIVERA, "family_name": "Nadie"})
        client.get("/api/v1/locate", params={"identifier": "A1234567",
                                             "country_of_birth": "SLV"})
        logged = searches(engine)
        assert [(s.client, s.hits) for s in logged] == [("testclient", 1), ("testclient", 0),
                                                          ("testclient", 1)]
        assert all(len(s.query_sha256) == 64 for s in logged)
        assert len({s.query_sha256 for s in logged}) == 3
        for row in logged:
            assert "RIVERA" not in repr(vars(row)).upper()

    def test_the_log_is_append_only(self, client: TestClient, engine: Engine) -> None:
        client.get("/api/v1/locate", params=RIVERA)
        from sqlalchemy import delete, update
        from sqlalchemy.exc import DBAPIError

        from habeas.db import unit_of_work

        for statement in (update(LocatorSearch).values(hits=0), delete(LocatorSearch)):
            with pytest.raises(DBAPIError), unit_of_work(engine) as s:
                s.execute(statement)
        assert len(searches(engine)) == 1

    def test_switched_off_only_by_setting_zero(self, client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        assert get_settings().locator_rate_limit == 30
        monkeypatch.setenv("HABEAS_LOCATOR_RATE_LIMIT", "0")
        get_settings.cache_clear()
        try:
            assert all(client.get("/api/v1/locate", params=RIVERA).status_code == 200
                       for _ in range(35))
        finally:
            get_settings.cache_clear()
