"""Object-level scope: a `sending` user of another party finds none of this party's people.

DESIGN.md §2: "A sending user never sees another state's people." A second
agreement (Costa Rica → El Salvador, same prison) gives a real `sending` user of
another party. Generated over the routes: every GET route and page a sending
user may use is fetched with a real id of the demo's United States objects; the
Costa Rican officer gets 404 (not 403: a 403 would confirm the id exists) for
anything that names or holds a United States person, and no page or answer
carries a United States transferee's name. The United States officer gets the
same URLs with 200, so each cell is known to name a real object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.auth.models import Role
from habeas.auth.permissions import allowed
from habeas.billing.models import Invoice
from habeas.custody.models import Prisoner
from habeas.db import read_session
from habeas.oversight.models import Grievance
from habeas.transfers.models import Manifest
from habeas.web.routes import PAGE_ACTIONS
from tests.api.conftest import bearer
from tests.api.test_permissions import ALL_ROUTES
from tests.conftest import OTHER_OFFICER as OTHER
from tests.conftest import log_in_as
from tests.factories import a_token, event_count

OWN = "us.officer"


@dataclass(frozen=True)
class Demo:
    """Demo: real ids of United States objects in the demo, and the people's names."""

    person: str           # a U.S. transferee in custody, with a nomination of the same id
    manifest: str         # a flight that carried U.S. transferees
    invoice: int          # an invoice billed to the United States
    grievance: int        # a grievance by a U.S. transferee
    cell: tuple[str, str, str]  # a cell holding only U.S. transferees
    names: frozenset[str]  # every U.S. transferee's full name


def _demo(engine: Engine) -> Demo:
    with read_session(engine) as s:
        ours = list(s.scalars(select(Prisoner).where(Prisoner.legal_custodian == "USA")))
        housed = next(p for p in ours if p.status == "in_custody" and p.cell_code)
        manifest = s.scalars(select(Manifest.id).where(
            Manifest.agreement_ref == "USA-SLV-2025").order_by(Manifest.id)).first()
        invoice = s.scalars(select(Invoice.seq).order_by(Invoice.seq)).first()
        grievance = s.scalars(select(Grievance.seq).where(Grievance.public_id.in_(
            [p.public_id for p in ours])).order_by(Grievance.seq)).first()
    assert manifest and invoice and grievance and housed.building_code and housed.cell_code
    return Demo(housed.public_id, manifest, invoice, grievance,
                (housed.facility_code, housed.building_code, housed.cell_code),
                frozenset(f"{p.given_names} {p.family_name}" for p in ours))


@pytest.fixture(scope="module")
def world(lived: tuple[TestClient, Engine]) -> tuple[TestClient, Demo, Engine]:
    """world: the lived demo on this engine (tests/conftest.py), with the U.S. ids."""
    client, engine = lived
    return client, _demo(engine), engine


# Reads that take the agreement (or period) in the query string.
QUERIES = {"/api/v1/billing/charges": "?agreement=USA-SLV-2025",
           "/api/v1/billing/preview": "?agreement=USA-SLV-2025&period=2025-06",
           "/api/v1/billing/sustainability": "?period=2025-06"}


def _url(path: str, demo: Demo) -> str:
    code, building, cell = demo.cell
    seq = demo.grievance if "grievance" in path else demo.invoice
    return (path.replace("{public_id}", demo.person).replace("{manifest_id}", demo.manifest)
            .replace("{seq}", str(seq)).replace("{code}", code)
            .replace("{building}", building).replace("{cell}", cell)) + QUERIES.get(path, "")


# Routes whose id names an object of one party (a person, their nomination, a flight, an
# invoice, a grievance, an agreement's money): another party's id is "not found".
PARTY_OBJECTS = re.compile(r"\{(public_id|manifest_id)\}|/invoices/\{seq\}|/grievances/\{seq\}"
                           r"|/billing/(charges|preview)$")
# Ids that name shared things (the agreement's prison, its cells, inspections, ledger
# entries) may be read, but must not show another party's people.
SKIPPED = {"/api/v1/agreements/{ref}", "/api/v1/users/{user_id}", "/events/{seq}",
           "/api/v1/inspections/{seq}", "/inspections/{seq}", "/ledger/tile/{path:path}"}


def _sending_gets() -> list[str]:
    api = [p for m, p, a in ALL_ROUTES
           if m == "GET" and a is not None and allowed(Role.SENDING, a)]
    pages = [p for p, a in PAGE_ACTIONS.items() if allowed(Role.SENDING, a)]
    return sorted(p for p in set(api) | set(pages) if p not in SKIPPED)


SENDING_GETS = _sending_gets()


def _leaked(body: str, names: frozenset[str]) -> list[str]:
    return sorted(n for n in names if n in body)


def test_the_routes_a_sending_user_may_read_are_all_covered() -> None:
    assert {"/api/v1/people/{public_id}", "/people/{public_id}", "/api/v1/people",
            "/billing/invoices/{seq}", "/transfers/{manifest_id}"} <= set(SENDING_GETS)


@pytest.mark.parametrize("path", [p for p in SENDING_GETS if p.startswith("/api/")])
def test_another_partys_api_user_finds_nothing_of_ours(
        world: tuple[TestClient, Demo, Engine], path: str) -> None:
    client, demo, engine = world
    url = _url(path, demo)
    own = client.get(url, headers=bearer(a_token(engine, OWN)))
    assert own.status_code == 200, (url, own.text[:200])
    other = client.get(url, headers=bearer(a_token(engine, OTHER)))
    if PARTY_OBJECTS.search(path):
        assert other.status_code == 404, (url, other.status_code, other.text[:200])
        assert other.json()["error"]["code"] == "not_found"
    else:
        assert other.status_code == 200, (url, other.text[:200])
    assert _leaked(other.text, demo.names) == [], url


@pytest.mark.parametrize("path", [p for p in SENDING_GETS if not p.startswith("/api/")])
def test_another_partys_officer_sees_no_page_of_ours(
        world: tuple[TestClient, Demo, Engine], path: str) -> None:
    client, demo, _ = world
    url = _url(path, demo)
    log_in_as(client, OWN)
    assert client.get(url).status_code == 200, url
    log_in_as(client, OTHER)
    other = client.get(url)
    if PARTY_OBJECTS.search(path):
        assert other.status_code == 404, (url, other.status_code)
    else:
        assert other.status_code == 200, (url, other.status_code)
    assert _leaked(other.text, demo.names) == [], url


def test_another_party_cannot_act_on_our_people(
        world: tuple[TestClient, Demo, Engine]) -> None:
    """The sending state's own writes (notice, erroneous transfer, disputes) on another
    party's ids: not found, and nothing recorded."""
    client, demo, engine = world
    token = bearer(a_token(engine, OTHER))
    before = event_count(engine)
    writes = {
        f"/api/v1/nominations/{demo.person}/notice": {
            "served_on": "2025-04-01", "language": "es", "method": "in_person",
            "acknowledged": True},
        f"/api/v1/people/{demo.person}/erroneous-transfer": {"reason": "not ours"},
        f"/api/v1/transfers/{demo.manifest}/approve": {},
        f"/api/v1/billing/invoices/{demo.invoice}/payments": {
            "amount_minor": 1, "paid_on": "2025-06-01", "reference": "x"},
    }
    for url, body in writes.items():
        response = client.post(url, json=body, headers=token)
        assert response.status_code == 404, (url, response.status_code, response.text)
    assert event_count(engine) == before
