"""Counsel of record and court orders, tried as a hostile party would (issue 17, items 2-3).

DESIGN.md §12.1: counsel is a recorded link, not a role that sees everyone; a court order
is registered by the sending state's legal role or counsel of record, and lifted only by
whoever registered it or that state, citing the lifting document, dated between its issue
and today. §12.2: a lift counts from when it was recorded. Every test runs on the lived
demo (with Costa Rica's second agreement) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas import replay
from habeas.auth.models import Role
from habeas.custody import integrity
from habeas.custody import service as custody
from habeas.custody.models import Prisoner
from habeas.db import read_session, unit_of_work
from habeas.demo import DEMO_PASSWORD
from habeas.facilities.service import PRESENT
from habeas.holds.models import HoldRecord
from habeas.nominations.models import NominationRecord
from habeas.nominations.service import Row
from habeas.transfers.models import Manifest, ManifestPerson
from tests.api.conftest import bearer
from tests.conftest import OTHER_OFFICER, log_in_as
from tests.factories import a_token, a_user

API = "/api/v1"
_serial = count(1)


@pytest.fixture
def site(lived: tuple[TestClient, Engine]) -> tuple[TestClient, Engine]:
    client, _ = lived
    client.cookies.clear()
    return lived


def _headers(engine: Engine, username: str) -> dict[str, str]:
    return bearer(a_token(engine, username))


def a_counsel(engine: Engine) -> tuple[str, dict[str, str]]:
    """a_counsel: a new counsel user, of record for nobody (the module shares its data)."""
    name = f"counsel-{next(_serial)}-{id(engine) % 10_000}"
    a_user(engine, name, Role.COUNSEL, password=DEMO_PASSWORD)
    return name, _headers(engine, name)


def _ref() -> str:
    return f"1:25-cv-17{next(_serial):03d}"


@dataclass(frozen=True)
class Flown:
    public_id: str
    external_ref: str
    departed: datetime


def flown(engine: Engine, skip: int) -> Flown:
    """flown: the SKIP-th US person who departed, and when."""
    with read_session(engine) as s:
        rows = s.execute(
            select(ManifestPerson.public_id, NominationRecord.external_ref,
                   Manifest.departed_at, Manifest.departure_date)
            .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
            .join(NominationRecord, NominationRecord.public_id == ManifestPerson.public_id)
            .where(Manifest.direction == "outbound", NominationRecord.sending_party == "USA",
                   ManifestPerson.status.in_(("departed", "handed_over")))
            .order_by(ManifestPerson.public_id)).all()
    public_id, ref, departed_at, day = rows[skip]
    return Flown(public_id, ref, departed_at or datetime.combine(day, time(), UTC))


def held(engine: Engine, kind: str, skip: int) -> Prisoner:
    """held: the SKIP-th person of KIND (transferee | domestic) in custody."""
    with read_session(engine) as s:
        return list(s.scalars(select(Prisoner).where(
            Prisoner.kind == kind, Prisoner.status.in_(PRESENT))
            .order_by(Prisoner.public_id)))[skip]


def despite(engine: Engine) -> integrity.Line:
    with read_session(engine) as s:
        return integrity.departure_breaches(s)[0]


def stay(ref: str, issued: date, external_ref: str) -> dict[str, Any]:
    return {"hold_ref": ref, "court": "U.S. Court of Appeals for the D.C. Circuit",
            "kind": "stay", "issued": issued.isoformat(), "expires": None,
            "scope": {"external_ref": external_ref}, "bars_removal_to": "any"}


def grievance(public_id: str) -> dict[str, Any]:
    return {"public_id": public_id, "filed_by": {"role": "counsel", "name": "A. Lawyer"},
            "category": "legal_access", "text": "No call with counsel for ten days.",
            "alleges_ill_treatment": False}


def appearance(public_id: str, case: str = "1:25-cv-00766") -> dict[str, Any]:
    return {"public_id": public_id, "basis": "court_case",
            "court": "U.S. District Court for D.C.", "case_number": case}


def _error(response: Any) -> dict[str, Any]:
    return response.json()["error"]  # type: ignore[no-any-return]


# --- lifting a court order (DESIGN.md §12.1) ------------------------------------------------


class TestLiftingACourtOrder:
    def _registered(self, client: TestClient, engine: Engine, skip: int) -> tuple[str, Flown]:
        person = flown(engine, skip)
        ref = _ref()
        made = client.post(f"{API}/holds", headers=_headers(engine, "us.officer"),
                           json=stay(ref, person.departed.date() - timedelta(days=3),
                                     person.external_ref))
        assert made.status_code == 201, made.text
        return ref, person

    def test_another_agreements_officer_lifting_a_us_stay_reads_not_found(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        ref, _ = self._registered(client, engine, 2)
        costa_rica = _headers(engine, OTHER_OFFICER)
        lift = {"reason": "vacated", "document": "Order of the court, ECF 12"}
        tried = client.post(f"{API}/holds/{ref}/lift", headers=costa_rica, json=lift)
        nobody = client.post(f"{API}/holds/NO-SUCH-ORDER/lift", headers=costa_rica, json=lift)
        assert (tried.status_code, nobody.status_code) == (404, 404)
        assert _error(tried)["message"] == f"court order {ref!r} not found"
        assert _error(tried)["message"].replace(ref, "X") == \
            _error(nobody)["message"].replace("NO-SUCH-ORDER", "X")
        with read_session(engine) as s:
            assert s.get_one(HoldRecord, ref).lifted_on is None

    def test_the_receiving_state_never_lifts_an_order(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        ref, _ = self._registered(client, engine, 3)
        warden = _headers(engine, "sv.warden")
        tried = client.post(f"{API}/holds/{ref}/lift", headers=warden, json={
            "reason": "vacated", "document": "none", "lifted_on": "2025-04-01"})
        assert tried.status_code == 403
        with read_session(engine) as s:
            assert s.get_one(HoldRecord, ref).lifted_on is None

    def test_counsel_who_did_not_register_it_may_not_lift_it(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        ref, _ = self._registered(client, engine, 4)
        _, counsel = a_counsel(engine)
        tried = client.post(f"{API}/holds/{ref}/lift", headers=counsel, json={
            "reason": "vacated", "document": "Order, ECF 3"})
        assert tried.status_code == 403 and _error(tried)["code"] == "lift_not_allowed"

    @pytest.mark.parametrize(("when", "code"), [("before", "lift_before_issue"),
                                                ("future", "lift_in_future")])
    def test_a_lift_dated_before_its_order_or_in_the_future_is_refused_naming_lifted_on(
            self, site: tuple[TestClient, Engine], when: str, code: str) -> None:
        client, engine = site
        ref, person = self._registered(client, engine, 5)
        issued = person.departed.date() - timedelta(days=3)
        day = issued - timedelta(days=1) if when == "before" else \
            datetime.now(UTC).date() + timedelta(days=2)
        tried = client.post(f"{API}/holds/{ref}/lift", headers=_headers(engine, "us.officer"),
                            json={"reason": "vacated", "document": "Order, ECF 9",
                                  "lifted_on": day.isoformat()})
        assert tried.status_code == 422, tried.text
        assert _error(tried)["code"] == code
        assert _error(tried)["details"]["field"] == "lifted_on"

    def test_a_lift_cites_its_court_document(self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        ref, _ = self._registered(client, engine, 6)
        tried = client.post(f"{API}/holds/{ref}/lift", headers=_headers(engine, "us.officer"),
                            json={"reason": "vacated"})
        assert tried.status_code == 422
        assert _error(tried)["details"]["field"] == "body.document"


# --- a lift never rewrites history (DESIGN.md §12.2) ----------------------------------------


class TestTransferredDespiteACourtOrder:
    def test_an_order_registered_after_the_departure_but_issued_before_it_counts(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        person = flown(engine, 0)
        before = despite(engine)
        assert person.public_id not in before.people
        ref = _ref()
        made = client.post(f"{API}/holds", headers=_headers(engine, "us.officer"),
                           json=stay(ref, person.departed.date() - timedelta(days=2),
                                     person.external_ref))
        assert made.status_code == 201, made.text
        after = despite(engine)
        assert after.count == before.count + 1
        assert person.public_id in after.people
        with read_session(engine) as s:
            assert s.get_one(HoldRecord, ref).registered_seq in after.events

    def test_a_backdated_lift_recorded_after_the_departure_leaves_the_breach_counted(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        person = flown(engine, 1)
        before = despite(engine)
        assert person.public_id not in before.people
        ref = _ref()
        issued = person.departed.date() - timedelta(days=4)
        officer = _headers(engine, "us.officer")
        assert client.post(f"{API}/holds", headers=officer,
                           json=stay(ref, issued, person.external_ref)).status_code == 201
        lifted = client.post(f"{API}/holds/{ref}/lift", headers=officer, json={
            "reason": "stay dissolved", "document": "Order dissolving the stay, ECF 41",
            "lifted_on": issued.isoformat()})  # claims the stay never bound the flight
        assert lifted.status_code == 200, lifted.text
        after = despite(engine)
        assert after.count == before.count + 1
        assert person.public_id in after.people
        with read_session(engine) as s:
            order = s.get_one(HoldRecord, ref)
            assert order.lifted_on == issued and order.lift_document.startswith("Order")
            assert {order.registered_seq, order.lifted_seq} <= set(after.events)
        # The events alone rebuild the order, its registrant and when its lift was recorded.
        report = replay.check(engine)
        assert report.clean, [d.describe() for d in report.differences]


# --- counsel of record (DESIGN.md §12.1) -----------------------------------------------------


class TestCounselNotOfRecord:
    def test_cannot_open_file_for_or_order_for_a_person_it_does_not_represent(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        name, counsel = a_counsel(engine)
        person = held(engine, "transferee", 0)
        with read_session(engine) as s:
            ref = s.get_one(NominationRecord, person.public_id).external_ref
        opened = client.get(f"{API}/people/{person.public_id}", headers=counsel)
        assert opened.status_code == 404
        assert _error(opened)["message"] == f"person {person.public_id!r} not found"
        filed = client.post(f"{API}/grievances", headers=counsel,
                            json=grievance(person.public_id))
        nobody = client.post(f"{API}/grievances", headers=counsel, json=grievance("ZZZZZZZZ"))
        assert (filed.status_code, nobody.status_code) == (404, 404)
        assert _error(filed)["message"].replace(person.public_id, "X") == \
            _error(nobody)["message"].replace("ZZZZZZZZ", "X")
        ordered = client.post(f"{API}/holds", headers=counsel,
                              json=stay(_ref(), date(2025, 3, 1), ref))
        assert ordered.status_code == 404
        log_in_as(client, name)
        assert client.get(f"/people/{person.public_id}").status_code == 404
        found = client.get("/search", params={"q": person.public_id}).text
        assert f"/people/{person.public_id}" not in found

    def test_cannot_give_a_domestic_prisoner_a_grievance(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        _, counsel = a_counsel(engine)
        local_ref = f"D-17-{next(_serial)}"
        with unit_of_work(engine) as s:
            [admitted] = custody.import_population(s, "CECOT", [Row(1, {
                "local_ref": local_ref, "family_name": "Pérez", "given_names": "Juan",
                "date_of_birth": "1990-01-01", "sex": "M", "legal_status": "convicted",
                "admitted_on": "2024-01-10"})], actor="test", on=date(2025, 3, 1))
        assert admitted.outcome == "admitted", admitted.errors
        with read_session(engine) as s:
            domestic = s.scalars(select(Prisoner).where(Prisoner.local_ref == local_ref)).one()
        filed = client.post(f"{API}/grievances", headers=counsel,
                            json=grievance(domestic.public_id))
        assert filed.status_code == 404
        assert _error(filed)["message"] == f"no person {domestic.public_id!r} in custody"

    def test_the_receiving_state_registers_no_court_order(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        person = held(engine, "transferee", 1)
        with read_session(engine) as s:
            ref = s.get_one(NominationRecord, person.public_id).external_ref
        tried = client.post(f"{API}/holds", headers=_headers(engine, "sv.warden"),
                            json=stay(_ref(), date(2025, 3, 1), ref))
        assert tried.status_code == 403

    def test_another_agreements_officer_registers_no_order_for_a_us_person(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        person = held(engine, "transferee", 1)
        with read_session(engine) as s:
            ref = s.get_one(NominationRecord, person.public_id).external_ref
        tried = client.post(f"{API}/holds", headers=_headers(engine, OTHER_OFFICER),
                            json=stay(_ref(), date(2025, 3, 1), ref))
        assert tried.status_code == 404
        assert _error(tried)["message"] == f"person {ref!r} not found"


class TestCounselOfRecord:
    def test_reads_finds_files_and_orders_for_its_client_until_it_withdraws(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        name, counsel = a_counsel(engine)
        person = held(engine, "transferee", 2)
        with read_session(engine) as s:
            ref = s.get_one(NominationRecord, person.public_id).external_ref
        appeared = client.post(f"{API}/counsel/appearances", headers=counsel,
                               json=appearance(person.public_id))
        assert appeared.status_code == 201, appeared.text
        seq = appeared.json()["seq"]
        again = client.post(f"{API}/counsel/appearances", headers=counsel,
                            json=appearance(person.public_id))
        assert again.status_code == 409 and _error(again)["code"] == "already_of_record"

        assert client.get(f"{API}/people/{person.public_id}", headers=counsel).status_code == 200
        filed = client.post(f"{API}/grievances", headers=counsel,
                            json=grievance(person.public_id))
        assert filed.status_code == 201, filed.text
        order = _ref()
        made = client.post(f"{API}/holds", headers=counsel,
                           json=stay(order, date(2025, 3, 1), ref))
        assert made.status_code == 201, made.text
        lifted = client.post(f"{API}/holds/{order}/lift", headers=counsel, json={
            "reason": "moot", "document": "Stipulated dismissal, ECF 20"})
        assert lifted.status_code == 200, lifted.text

        log_in_as(client, name)
        home = client.get("/").text
        assert 'data-testid="clients"' in home and f"/people/{person.public_id}" in home
        page = client.get(f"/people/{person.public_id}")
        assert page.status_code == 200 and 'data-testid="counsel-of-record"' in page.text
        found = client.get("/search", params={"q": person.family_name}).text
        assert f"/people/{person.public_id}" in found

        withdrawn = client.post(f"{API}/counsel/appearances/{seq}/withdraw", headers=counsel,
                                json={"reason": "the client engaged other counsel"})
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        assert client.get(f"{API}/people/{person.public_id}", headers=counsel).status_code == 404
        _, other = a_counsel(engine)
        assert client.post(f"{API}/counsel/appearances/{seq}/withdraw", headers=other,
                           json={"reason": "not mine"}).status_code == 404
        # Appearance and withdrawal are events: replay rebuilds the link exactly.
        report = replay.check(engine)
        assert report.clean, [d.describe() for d in report.differences]

    def test_class_counsel_names_the_case_it_appeared_in(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        _, counsel = a_counsel(engine)
        person = held(engine, "transferee", 3)
        case = "1:25-cv-00766-JEB"
        assert client.post(f"{API}/counsel/appearances", headers=counsel,
                           json=appearance(person.public_id, case)).status_code == 201
        order = {"hold_ref": _ref(), "court": "U.S. District Court for D.C.", "kind": "tro",
                 "issued": "2025-03-15", "expires": None, "scope": {"nationality": "ZWE"},
                 "bars_removal_to": "any"}
        unnamed = client.post(f"{API}/holds", headers=counsel, json=order)
        assert unnamed.status_code == 422
        assert _error(unnamed)["details"]["field"] == "case_number"
        elsewhere = client.post(f"{API}/holds", headers=counsel,
                                json={**order, "case_number": "1:25-cv-99999"})
        assert elsewhere.status_code == 403
        assert _error(elsewhere)["code"] == "not_counsel_of_record"
        named = client.post(f"{API}/holds", headers=counsel,
                            json={**order, "case_number": case})
        assert named.status_code == 201, named.text
        with read_session(engine) as s:
            assert s.get_one(HoldRecord, order["hold_ref"]).party == "USA"

    def test_an_appearance_names_someone_and_cites_its_basis(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        _, counsel = a_counsel(engine)
        nobody = client.post(f"{API}/counsel/appearances", headers=counsel,
                             json=appearance("ZZZZZZZZ"))
        assert nobody.status_code == 404
        person = held(engine, "transferee", 4)
        bare = client.post(f"{API}/counsel/appearances", headers=counsel,
                           json={"public_id": person.public_id, "basis": "engagement"})
        assert bare.status_code == 422 and "engagement" in _error(bare)["message"]
        monitor = client.post(f"{API}/counsel/appearances", headers=_headers(engine, "monitor"),
                              json=appearance(person.public_id))
        assert monitor.status_code == 403


# --- the pages: counsel appears and files; monitors answer and close ------------------------


class TestThePages:
    def test_counsel_appears_and_files_a_grievance_a_monitor_answers_and_closes_it(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        name, _ = a_counsel(engine)
        person = held(engine, "transferee", 5)
        csrf = log_in_as(client, name)
        appeared = client.post("/counsel/appearances", data={
            "csrf": csrf, "public_id": person.public_id, "basis": "engagement",
            "engagement": "engagement letter signed 2025-05-02"}, follow_redirects=True)
        assert appeared.status_code == 200 and "Appearance filed." in appeared.text
        filed = client.post(f"/people/{person.public_id}/grievances", data={
            "csrf": csrf, "filed_by_role": "counsel", "filed_by_name": "A. Lawyer",
            "category": "legal_access", "text": "Legal calls refused since May.",
            "alleges_ill_treatment": "", "concerns_staff": ""}, follow_redirects=False)
        assert filed.status_code == 303, filed.text
        seq = int(filed.headers["location"].split("filed=")[1].split("#")[0])

        csrf = log_in_as(client, "monitor")
        answered = client.post(f"/grievances/{seq}/response", data={
            "csrf": csrf, "text": "Calls restored; the log is checked weekly."},
            follow_redirects=True)
        assert answered.status_code == 200 and "The grievance is answered." in answered.text
        closed = client.post(f"/grievances/{seq}/close", data={
            "csrf": csrf, "reason": "resolved"}, follow_redirects=True)
        assert closed.status_code == 200 and "The grievance is closed." in closed.text

    def test_counsel_not_of_record_files_nothing_from_the_pages(
            self, site: tuple[TestClient, Engine]) -> None:
        client, engine = site
        name, _ = a_counsel(engine)
        person = held(engine, "transferee", 6)
        csrf = log_in_as(client, name)
        tried = client.post(f"/people/{person.public_id}/grievances", data={
            "csrf": csrf, "filed_by_role": "counsel", "filed_by_name": "A. Lawyer",
            "category": "other", "text": "x", "alleges_ill_treatment": "",
            "concerns_staff": ""})
        assert tried.status_code == 404
