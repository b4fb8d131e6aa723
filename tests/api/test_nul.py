"""The NUL character is refused wherever it comes in, with 422 naming where, and nothing is
stored: PostgreSQL cannot hold it and SQLite would (the same answer on both engines)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.api.nul import nul_field
from tests.api.conftest import bearer
from tests.factories import event_count


def refused_at(response_json: dict[str, object]) -> object:
    error = response_json["error"]
    assert isinstance(error, dict)
    assert error["code"] == "validation_failed"
    return error["details"]["field"]  # type: ignore[index]


@pytest.mark.parametrize(("path", "query", "ctype", "body", "where"), [
    ("/api/v1/people/N%00", b"", "", b"", "path"),
    ("/api/v1/locate", b"family_name=L%00pez&given_names=Ana", "", b"", "query.family_name"),
    ("/x", b"", "application/json", b'{"a": {"b": ["ok", "no\\u0000"]}}', "body.a.b.1"),
    ("/x", b"", "application/x-www-form-urlencoded", b"reason=a%00b", "body.reason"),
    ("/x", b"", "application/json; charset=utf-8", b'{"text": "plain"}', None),
    ("/x", b"", "multipart/form-data; boundary=z", b"\x00", None),
])
def test_nul_field_names_where_it_is(path: str, query: bytes, ctype: str, body: bytes,
                                     where: str | None) -> None:
    assert nul_field(path, query, ctype, body) == where


def test_a_nul_in_a_grievance_is_refused_and_nothing_is_recorded(
        client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
    before = event_count(engine)
    response = client.post("/api/v1/grievances", headers=bearer(tokens["monitor"]), json={
        "public_id": "N0", "category": "conditions", "text": "cold\u0000water",
        "alleges_ill_treatment": False})
    assert response.status_code == 422
    assert refused_at(response.json()) == "body.text"
    assert event_count(engine) == before


def test_a_nul_in_the_locator_query_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/locate", params={
        "family_name": "L\u0000pez", "given_names": "Ana", "country_of_birth": "SLV"})
    assert response.status_code == 422
    assert refused_at(response.json()) == "query.family_name"
    assert response.headers["content-security-policy"]  # the usual headers still apply
