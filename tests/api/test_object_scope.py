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
            .replace("{building}", building).replace("{cell}", cell)
            .replace("{ref}", "USA-SLV-2025")) + QUERIES.get(path, "")


# Routes whose id names an object of one party (a person, their nomination, a flight, an
# invoice, a grievance, an agreement's money, its proposed changes): another party's id is
# "not found".
PARTY_OBJECTS = re.compile(r"\{(public_id|manifest_id)\}|/invoices/\{seq\}|/grievances/\{seq\}"
                           r"|/billing/(charges|preview)$|/agreements/\{ref\}/changes$"
                           # an agreement's page: its proposals are its two states' alone
                           r"|^/agreements/\{ref\}$")
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


# --- the owner dimension of writes: same role, another agreement (DESIGN.md §12.1) ------

OTHER_WARDEN = "cr.warden"  # a receiving officer of a state that is no party to ours

# Writes that name no object of an agreement: a user's own tokens, a calculation over the
# body sent, witnessing the public log, the prison's outbox of dead letters.
NOT_AN_AGREEMENTS_OBJECT = {
    ("POST", "/api/v1/tokens"), ("DELETE", "/api/v1/tokens/{token_id}"),
    ("POST", "/api/v1/sentences/compute"), ("POST", "/api/v1/ledger/witnesses"),
    ("POST", "/api/v1/ledger/cosignatures"),
    ("POST", "/api/v1/notifications/{notification_id}/retry"),
}
# Writes another part of issue 17 gives their owner (counsel of record: court orders and
# grievances); their cases belong with that work.
OWNED_ELSEWHERE = {
    ("POST", "/api/v1/holds"), ("POST", "/api/v1/holds/{hold_ref}/lift"),
    ("POST", "/api/v1/grievances"), ("POST", "/api/v1/grievances/{seq}/response"),
    ("POST", "/api/v1/grievances/{seq}/close"),
}


@dataclass(frozen=True)
class Ours:
    """Ours: real ids of U.S. objects a write could name, beyond those of Demo."""

    person: str            # held, housed, a U.S. transferee
    other: str             # another U.S. transferee held in another cell
    proposal: int          # a renewal the United States proposed
    non_association: int   # keeping two U.S. transferees apart
    finding: int           # an inspection finding at CECOT
    dispute: int           # a U.S. dispute of an invoice line
    invoice_number: str


@pytest.fixture(scope="module")
def ours(world: tuple[TestClient, Demo, Engine]) -> Ours:
    """ours: the ids, and a receiving officer of Costa Rica (a state of another agreement)."""
    from habeas.agreements import service as agreements
    from habeas.auth import service as auth
    from habeas.billing import disputes, reads
    from habeas.custody.models import Prisoner as P
    from habeas.db import unit_of_work
    from habeas.demo import DEMO_PASSWORD
    from habeas.facilities import housing
    from habeas.oversight.models import Finding

    _, demo, engine = world
    with unit_of_work(engine) as s:
        auth.add_user(s, username=OTHER_WARDEN, display_name="Costa Rican warden",
                      role=Role.RECEIVING, party_code="CRI", password=DEMO_PASSWORD,
                      actor="test")
        held = list(s.scalars(select(P).where(P.legal_custodian == "USA",
                                              P.status == "in_custody",
                                              P.cell_code.is_not(None))
                              .order_by(P.public_id)))
        other = next(p for p in held if p.cell_code != held[0].cell_code
                     or p.building_code != held[0].building_code)
        proposal = agreements.propose_renewal(s, "USA-SLV-2025", months=12, basis="notes",
                                              actor="user:us.officer", party="USA").seq
        apart = housing.open_non_association(
            s, person_a=held[0].public_id, role_a="", person_b=other.public_id, role_b="",
            level="CELL", reason="witness", actor="user:sv.warden", party="SLV")
        finding = s.scalars(select(Finding.seq).order_by(Finding.seq)).first()
        invoice = reads.get_invoice(s, demo.invoice)
        dispute = disputes.open_dispute(s, invoice.number, 1, "not ours", actor="x",
                                        party="USA", today=invoice.issued_on).seq
    assert finding is not None
    return Ours(held[0].public_id, other.public_id, proposal, apart, finding, dispute,
                invoice.number)


def _write(path: str, demo: Demo, ours: Ours) -> tuple[str, object, tuple[int, str]]:
    """_write: the URL, a body the owner could send, and what a stranger gets."""
    at = "2025-07-20T10:00:00+00:00"
    person = {"public_id": ours.person, "handed_over_at": at}
    legs = [{"mode": "flight", "carrier": "X", "origin": "SAL", "destination": "HRL",
             "departs_at": "2025-08-01T13:00:00+00:00",
             "arrives_at": "2025-08-01T17:00:00+00:00"}]
    bodies: dict[str, object] = {
        "/api/v1/agreements/{ref}/renewals": {"months": 12, "basis": "notes"},
        "/api/v1/agreements/{ref}/fees": {
            "fees": {"effective_from": "2027-01-01", "per_diem_minor": 5_000},
            "basis": "notes"},
        "/api/v1/agreements/{ref}/quota": {"quota": 500, "basis": "notes"},
        "/api/v1/agreements/{ref}/changes/{seq}/accept": {},
        "/api/v1/agreements/{ref}/changes/{seq}/reject": {"reason": "no"},
        "/api/v1/agreements/{ref}/changes/{seq}/withdraw": {},
        "/api/v1/facilities/{code}/capacity-changes": {"capacity": 50_000, "reason": "x"},
        "/api/v1/facilities/{code}/population": [],
        "/api/v1/facilities/{code}/housing": {"people": [ours.person]},
        "/api/v1/nominations": {},
        "/api/v1/nominations/{public_id}": {},
        "/api/v1/nominations/{public_id}/notice": {
            "served_on": "2025-04-01", "language": "es", "method": "in_person",
            "acknowledged": True},
        "/api/v1/nominations/{public_id}/accept": {},
        "/api/v1/nominations/{public_id}/reject": {"reason": "x"},
        "/api/v1/transfers": {"legs": legs, "people": [ours.person]},
        "/api/v1/transfers/returns": {"legs": legs, "people": [ours.person],
                                      "outcome": "released"},
        "/api/v1/transfers/{manifest_id}/approve": {},
        "/api/v1/transfers/{manifest_id}/depart": {"departed_at": at},
        "/api/v1/transfers/{manifest_id}/arrive": {"arrived_at": at},
        "/api/v1/transfers/{manifest_id}/cancel": {"reason": "x"},
        "/api/v1/transfers/{manifest_id}/handover": person,
        "/api/v1/transfers/{manifest_id}/handback": person,
        "/api/v1/people/{public_id}/intake": {"document_checked": "passport",
                                              "language": "es", "security_level": "maximum"},
        "/api/v1/people/{public_id}/move": {"building": "M1", "cell": "1", "reason": "x"},
        "/api/v1/non-associations": {"person_a": ours.person, "person_b": ours.other,
                                     "level": "BUILDING", "reason": "x"},
        "/api/v1/non-associations/{seq}/close": {"reason": "x"},
        "/api/v1/findings/{seq}/response": {"text": "x", "decision": "accepted",
                                            "actions": ["x"]},
        "/api/v1/people/{public_id}/renewal": {"until": "2026-06-30", "reason": "notes"},
        "/api/v1/people/{public_id}/erroneous-transfer": {"reason": "x"},
        "/api/v1/people/{public_id}/death": {"died_at": at, "place": "x",
                                             "circumstances": "x"},
        "/api/v1/people/{public_id}/death/investigation": {
            "body": "x", "reference": "x", "opened_on": "2025-07-21"},
        "/api/v1/people/{public_id}/medical-emergency": {"at": at, "nature": "illness",
                                                         "details": "x"},
        "/api/v1/people/{public_id}/escape": {"at": at},
        "/api/v1/people/{public_id}/recapture": {"at": at},
        "/api/v1/people/{public_id}/solitary": {"at": at, "authorised_by": "x",
                                                "reason": "x"},
        "/api/v1/people/{public_id}/solitary/end": {"at": at},
        "/api/v1/people/{public_id}/contacts": {"kind": "family", "mode": "call",
                                                "on": "2025-07-20", "with_whom": "x"},
        "/api/v1/billing/invoices": {"agreement_ref": "USA-SLV-2025", "period": "2025-07"},
        "/api/v1/billing/invoices/{seq}/credit-notes": {
            "lines": [{"line": 1, "amount_minor": 1}], "reason": "x"},
        "/api/v1/billing/invoices/{seq}/payments": {"amount_minor": 1,
                                                    "paid_on": "2025-07-01",
                                                    "reference": "x"},
        "/api/v1/billing/disputes": {"document": ours.invoice_number, "line": 1,
                                     "reason": "x"},
        "/api/v1/billing/disputes/{seq}/decision": {"decision": "accepted", "reason": "x"},
        "/api/v1/billing/charges": {"agreement_ref": "USA-SLV-2025",
                                    "public_id": ours.person, "kind": "medical",
                                    "incurred_on": "2025-07-01", "amount_minor": 1,
                                    "description": "x"},
    }
    seqs = {"/changes/": ours.proposal, "/non-associations/": ours.non_association,
            "/findings/": ours.finding, "/disputes/": ours.dispute,
            "/invoices/": demo.invoice}
    seq = next((v for k, v in seqs.items() if k in path), 0)
    url = (path.replace("{ref}", "USA-SLV-2025").replace("{code}", "CECOT")
           .replace("{public_id}", ours.person).replace("{manifest_id}", demo.manifest)
           .replace("{seq}", str(seq)))
    if path == "/api/v1/nominations":
        url += "?agreement=USA-SLV-2025"
    # The prison is shared and readable by all: a state that does not run it is the wrong
    # party there. Two people named in a body are a field that names no one it may see.
    expected = ((403, "wrong_party") if path.startswith(("/api/v1/facilities/",
                                                         "/api/v1/findings/"))
                else (422, "validation_failed") if path == "/api/v1/non-associations"
                else (404, "not_found"))
    return url, bodies[path], expected


def _writes() -> list[tuple[str, str, Role]]:
    found = []
    for method, path, action in ALL_ROUTES:
        if method == "GET" or action is None or (method, path) in (
                NOT_AN_AGREEMENTS_OBJECT | OWNED_ELSEWHERE):
            continue
        for role in (Role.SENDING, Role.RECEIVING):
            if allowed(role, action):
                found.append((method, path, role))
    return found


WRITES = _writes()


def test_every_write_a_state_may_make_has_a_stranger_case() -> None:
    """A new write route fails here until it says what another agreement's state gets."""
    demo = Demo("N1", "T1", 1, 1, ("CECOT", "M1", "1"), frozenset())
    ours = Ours("N1", "N2", 1, 1, 1, 1, "INV-1")
    missing = []
    for _, path, _ in WRITES:
        try:
            _write(path, demo, ours)
        except KeyError:
            missing.append(path)
    assert missing == []
    assert len(WRITES) >= 50


@pytest.mark.parametrize(("method", "path", "role"), WRITES,
                         ids=[f"{m} {p} {r.value}" for m, p, r in WRITES])
def test_a_state_of_another_agreement_writes_nothing_of_ours(
        world: tuple[TestClient, Demo, Engine], ours: Ours, method: str, path: str,
        role: Role) -> None:
    """Same role, another agreement: Costa Rica's sending officer and its receiving officer
    each try every write their role may make, with the real ids of U.S. objects."""
    client, demo, engine = world
    stranger = OTHER if role is Role.SENDING else OTHER_WARDEN
    url, body, expected = _write(path, demo, ours)
    token = bearer(a_token(engine, stranger))
    before = event_count(engine)
    response = client.request(method, url, json=body, headers=token)
    assert (response.status_code, response.json()["error"]["code"]) == expected, (
        url, response.text[:300])
    assert _leaked(response.text, demo.names) == [], url
    assert event_count(engine) == before
