"""A person's custody file without a browser, in English and in Spanish: every stored code
through its label, dates and times as the reader's language writes them, and nothing asked
of the Spanish catalogue that it lacks (issue 9)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.app import create_app
from habeas.custody import service as custody
from habeas.db import unit_of_work
from habeas.i18n import untranslated
from habeas.nominations import service as nominations
from tests.conftest import log_in_as
from tests.web.test_people_pages import TWICE_CONVICTED, fly_in


@dataclass(frozen=True)
class Site:
    client: TestClient
    transferee: str
    domestic: str


@pytest.fixture
def site(demo_engine: Engine) -> Iterator[Site]:
    with unit_of_work(demo_engine) as db:
        transferee = fly_in(db, TWICE_CONVICTED)
        [admitted] = custody.import_population(db, "CECOT", [nominations.Row(1, {
            "local_ref": "T-1", "family_name": "Tatuado", "given_names": "Test", "sex": "M",
            "date_of_birth": "1990-01-01", "legal_status": "untried",
            "affiliation": {"group": "MS-13", "basis": "tattoo", "source": "intake officer"},
            "security_level": "maximum", "admitted_on": "2024-06-11"})],
            actor="user:sv.warden", on=date(2025, 6, 1))
    assert admitted.public_id is not None, admitted.errors
    with TestClient(create_app(demo_engine)) as client:
        yield Site(client, transferee, admitted.public_id)


def _section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]


def test_the_file_of_a_transferee_in_english(site: Site) -> None:
    log_in_as(site.client, "sv.warden")
    page = site.client.get(f"/people/{site.transferee}?lang=en").text
    convictions = _section(page, "convictions")
    assert "2 years 6 months" in convictions and "6 years" in convictions
    assert "Jul 1, 2021" in convictions and "40 days" in convictions
    assert "exhausted" in convictions
    assert "Barrio 18 (basis: conviction)" in page
    assert "sex: male" in page
    housing = _section(page, "housing")
    assert "assigned" in housing
    assert "(manifest T" in _section(page, "events")


def test_the_file_of_a_transferee_in_spanish_asks_for_nothing_missing(site: Site) -> None:
    log_in_as(site.client, "sv.warden")
    untranslated("es").clear()
    page = site.client.get(f"/people/{site.transferee}?lang=es").text
    assert untranslated("es") == set()
    convictions = _section(page, "convictions")
    assert "2 años 6 meses" in convictions and "1 jul 2021" in convictions
    assert "agotada" in convictions
    assert "Barrio 18 (fundamento: condena)" in page
    assert "(manifiesto T" in _section(page, "events")
    assert "bajo custodia" in page.split('data-testid="status"', 1)[1][:200]


def test_a_domestic_prisoner_classified_on_tattoos_in_spanish(site: Site) -> None:
    log_in_as(site.client, "sv.warden")
    untranslated("es").clear()
    page = site.client.get(f"/people/{site.domestic}?lang=es").text
    assert untranslated("es") == set()
    assert "MS-13 (solo tatuajes — sin verificar)" in page
    assert "en prisión preventiva" in page
    assert "11 jun 2024" in page  # admitted
    assert "ingreso" in _section(page, "housing")
