"""The /locate page: public, the same search as the API, nothing else shown, input escaped,
English and Spanish (the browser test drives it in Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.app import create_app
from habeas.config import get_settings
from tests.locator.conftest import World
from tests.locator.test_api import RIVERA, searches, secrets_of

BY_NAME = {"by": "name", **RIVERA}


@pytest.fixture
def client(engine: Engine, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(engine), raise_server_exceptions=False) as test_client:
        yield test_client


def results_section(html: str) -> str:
    found = re.search(r'<section id="results".*?</section>', html, re.S)
    assert found, "the page shows results"
    return found.group(0)


def test_the_empty_form_needs_no_login(client: TestClient) -> None:
    response = client.get("/locate")
    assert response.status_code == 200
    assert 'name="family_name"' in response.text and 'name="identifier"' in response.text
    assert 'id="results"' not in response.text


def test_the_login_page_links_to_it_and_it_links_back(client: TestClient) -> None:
    assert 'href="/locate"' in client.get("/login").text
    assert 'href="/login"' in client.get("/locate").text


def test_shows_the_person_and_nothing_else(client: TestClient, engine: Engine,
                                           world: World) -> None:
    for params in (BY_NAME, {"by": "identifier", "identifier": "A1234567",
                             "country_of_birth": "SLV"}):
        response = client.get("/locate", params=params)
        assert response.status_code == 200
        section = results_section(response.text)
        assert "José Antonio Rivera López" in section and "in custody" in section
        assert "Centro de Confinamiento del Terrorismo (CECOT)" in section
        assert "+503 2500 0000" in section and "United States (USA)" in section
        assert "April 10, 2025" in section
        for secret in secrets_of(engine, world.rivera):
            assert secret not in section, secret
        # Outside the results there is only the form as typed and the country list.
        for secret in (world.rivera, "1994-03-02", "US-2025-000123", "Ana López"):
            assert secret not in response.text, secret
    assert len(searches(engine)) == 2


def test_in_spanish(client: TestClient) -> None:
    response = client.get("/locate", params={**BY_NAME, "lang": "es"})
    assert response.status_code == 200
    assert '<html lang="es">' in response.text
    section = results_section(response.text)
    assert "1 persona encontrada" in section and "bajo custodia" in section
    assert "10 de abril de 2025" in section and "Estados Unidos (USA)" in section
    assert response.cookies.get("lang") == "es"
    # The cookie keeps Spanish; Accept-Language chooses it for a first visit.
    assert "Buscar por nombre" in client.get("/locate").text
    client.cookies.clear()
    assert "Buscar por nombre" in client.get(
        "/locate", headers={"Accept-Language": "es-SV,es;q=0.9,en;q=0.5"}).text
    assert "Search by name" in client.get("/locate").text


def test_bad_input_is_named_on_the_page_in_the_readers_language(client: TestClient,
                                                                engine: Engine) -> None:
    response = client.get("/locate", params={**BY_NAME, "given_names": "J", "lang": "es"})
    assert response.status_code == 422
    assert 'id="name-given_names" name="given_names" type="text"' in response.text
    assert 'aria-invalid="true" aria-describedby="name-given_names-error"' in response.text
    assert "Nombre(s): necesita al menos dos letras" in response.text
    assert searches(engine) == []


@pytest.mark.parametrize("field", ["family_name", "given_names", "country_of_birth",
                                   "date_of_birth", "identifier"])
def test_html_in_any_field_is_escaped(client: TestClient, field: str) -> None:
    attack = '"><script>alert(1)</script><b x="'
    by = "identifier" if field == "identifier" else "name"
    base = {"by": by, "identifier": "A1234567", "country_of_birth": "SLV"} \
        if by == "identifier" else {**BY_NAME, "date_of_birth": "1994-03-02"}
    response = client.get("/locate", params={**base, field: attack})
    assert response.status_code in (200, 422)
    assert "<script>alert(1)</script>" not in response.text
    assert '<b x="' not in response.text


def test_429_page_with_retry_after(client: TestClient, engine: Engine,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HABEAS_LOCATOR_RATE_LIMIT", "1")
    get_settings.cache_clear()
    try:
        assert client.get("/locate", params=BY_NAME).status_code == 200
        # The page and the API share one budget per address.
        assert client.get("/api/v1/locate", params=RIVERA).status_code == 429
        refused = client.get("/locate", params={**BY_NAME, "lang": "es"})
    finally:
        get_settings.cache_clear()
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Demasiadas búsquedas desde su dirección. Vuelva a intentarlo en 10 minutos." \
        in refused.text
    assert len(searches(engine)) == 1
