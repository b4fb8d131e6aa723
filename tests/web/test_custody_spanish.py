"""The custody pages in Spanish (issue 9): the facility map, a cell, the transfers, a manifest
and the intake form, with their refusals, ask the catalogue for nothing it lacks and show no
English message untranslated; the stored codes (statuses, kinds, levels) are shown in words.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.requests import Request

from habeas import i18n
from habeas.app import create_app
from habeas.auth.models import Role
from habeas.auth.principal import Principal
from habeas.custody import service as custody
from habeas.db import read_session
from habeas.transfers.models import Manifest
from habeas.web.intake import NotPlaced, not_placed_page, parse_contacts
from tests.web.test_custody_lists import Demo, demo  # noqa: F401 - the module's database
from tests.web.test_security import _english_only, _Text, log_in, session_csrf


@pytest.fixture
def client(demo: Demo) -> Iterator[TestClient]:  # noqa: F811 - the fixture imported above
    with TestClient(create_app(demo.engine)) as test_client:
        yield test_client


def _in_spanish(client: TestClient, username: str) -> None:
    assert log_in(client, username).status_code == 303
    assert client.get("/?lang=es").cookies.get(i18n.COOKIE) == "es"


class Reader:
    """Reader opens pages in Spanish and keeps any English message one of them shows."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.english = _english_only()
        self.shown_english: set[tuple[str, str]] = set()

    def check(self, url: str, text: str) -> str:
        assert '<html lang="es">' in text, url
        nodes = _Text()
        nodes.feed(text)
        self.shown_english.update((url, n) for n in nodes.nodes if n in self.english)
        return text

    def get(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return self.check(url, response.text)

    def post(self, url: str, form: dict[str, str], status: int) -> str:
        response = self.client.post(url, data=form, follow_redirects=False)
        assert response.status_code == status, (url, response.status_code)
        return self.check(url, response.text)


INTAKE = {"document_checked": "pasaporte A1", "biometric_sha256": "", "visible_injuries": "",
          "ill_treatment_complaint": "", "property": "", "contacts": "", "language": "es",
          "medical_flags": "", "security_level": "maximum", "affiliation_group": "",
          "affiliation_basis": "none", "affiliation_source": "", "legal_status": "convicted"}


def test_the_custody_pages_speak_spanish(client: TestClient, demo: Demo) -> None:  # noqa: F811
    with read_session(demo.engine) as db:
        manifests = list(db.scalars(select(Manifest.id)))
        waiting = custody.waiting_for_intake(db, "CECOT")[0].public_id
    cell = f"/facilities/CECOT/cells/{demo.cell}"
    i18n.untranslated("es").clear()

    _in_spanish(client, "sv.warden")
    read = Reader(client)
    facility = read.get(f"/facilities/CECOT?intake={waiting}")
    assert "Buscar una celda para" in facility and "Pendientes de ingreso" in facility
    assert "Personas en el centro: entregado/a, pendiente de ingreso: 3, bajo custodia: " \
        in facility
    people = read.get(cell)
    assert "condenado/a" in people and "máxima" in people and "MS-13 (fundamento: condena)" \
        in people
    read.get("/transfers")
    for manifest in manifests:
        page = read.get(f"/transfers/{manifest}")
        assert "entregado/a: 130" in page or "devuelto/a" in page
        # Why people were taken off or sent back, and every gate's finding, in Spanish too.
        main = page.split('<main id="main">', 1)[1]
        assert "barred by" not in main and " while " not in main and 'lang="en"' not in main
    intake = f"/people/{waiting}/intake"
    read.get(intake)
    csrf = session_csrf(client)
    refused = read.post(intake, {**INTAKE, "csrf": csrf, "property": "bolsa; 1\nreloj; x"}, 422)
    assert "Pertenencias, línea 2: escriba “descripción; cantidad”" in refused
    refused = read.post(intake, {**INTAKE, "csrf": csrf, "biometric_sha256": "xyz"}, 422)
    assert "debe ser el SHA-256 del dato biométrico capturado" in refused

    _in_spanish(client, "us.officer")
    hidden = read.get(cell)
    assert "Aquí se encuentran 3 personas más que no están bajo la custodia legal de USA" \
        in hidden
    read.get("/transfers")
    read.get(f"/transfers/{manifests[0]}")

    assert sorted(i18n.untranslated("es")) == []
    assert sorted(read.shown_english) == []


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/facilities/CECOT/housing",
                    "headers": [], "query_string": query.encode(), "root_path": "",
                    "scheme": "http", "server": ("testserver", 80)})


def test_a_person_not_placed_is_told_by_the_rule_in_the_readers_language() -> None:
    warden = Principal("u1", "sv.warden", "Warden", Role.RECEIVING, "SLV", "session", "token")
    why = {"public_id": "P1", "rule": "SEP-004", "constraint": "rival_group",
           "reason": "rival_group: it bars all 3 cells left, e.g. 1-01 <holds> MS-13"}
    spanish = not_placed_page(_request("lang=es"), warden, NotPlaced("P1", why))
    assert spanish.status_code == 409
    text = bytes(spanish.body).decode()
    assert ("No se pudo asignar una celda a P1: SEP-004, los grupos rivales se mantienen "
            "separados en el nivel configurado — <span lang=\"en\">rival_group: it bars all 3 "
            "cells left, e.g. 1-01 &lt;holds&gt; MS-13</span>") in text
    english = bytes(not_placed_page(_request(""), warden, NotPlaced("P1", why)).body).decode()
    assert ("P1 could not be placed: SEP-004, rival groups are kept apart at the configured "
            "level — rival_group: it bars all 3 cells left, e.g. 1-01 &lt;holds&gt; MS-13"
            ) in english


def test_an_emergency_contact_is_marked_in_either_language() -> None:
    contacts = parse_contacts("Ana; madre; 555; ; emergencia\nLuis; hermano\nJo; sister; emergency")
    assert [c["emergency"] for c in contacts] == [True, False, True]
