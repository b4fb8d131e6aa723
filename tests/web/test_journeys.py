"""One journey per role, in a real browser, as its user walks it (issue 9, item 7).

Each saves screenshots of the main pages it passes into docs/screenshots/ (shown in the
README). Two demo databases: the demo as loaded (the sending, receiving and counsel
journeys nominate, move and stop people of their own), and the demo after the two flights
(the monitor and the public find people already in custody).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.billing.models import Invoice
from habeas.clock import simulated
from habeas.custody.models import Prisoner
from habeas.db import make_engine, read_session, unit_of_work
from habeas.migrate import upgrade
from habeas.nominations import decisions
from habeas.nominations import service as nominations
from habeas.nominations.models import NominationRecord
from habeas.oversight import service as oversight
from habeas.oversight.models import Finding
from habeas.oversight.schemas import InspectionIn
from habeas.replay import rebuild
from habeas.transfers import service as transfers
from habeas.transfers.models import Manifest
from habeas.transfers.schemas import ManifestIn
from tests.factories import counsel_of_record
from tests.screening.factories import nomination
from tests.servers import running_server
from tests.web.conftest import after_the_flights, log_in

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
NOTICE_ON, ACCEPT_ON = date(2025, 3, 2), date(2025, 3, 20)


def shoot(page: Page, name: str) -> None:
    """shoot saves what the user sees as docs/screenshots/NAME.png (the viewport: small)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def person(ref: str, family: str, passport: str) -> dict[str, object]:
    return nomination(external_ref=ref, **{"person.family_name": family,
                                           "person.documents.0.number": passport}
                      ).model_dump(mode="json")


def user(browser: Browser, url: str, username: str) -> Page:
    """user: a page logged in as a demo user, at the screenshots' size."""
    page = log_in(browser, url, username)
    page.set_viewport_size(VIEWPORT)
    return page


def csrf(page: Page) -> str:
    token = page.locator('input[name="csrf"]').first.get_attribute("value")
    assert token
    return token


def count(engine: Engine, model: type) -> int:
    with read_session(engine) as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


# --- the sites --------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine


def _nominate(db: Session, rows: list[dict[str, object]], *, accept: bool) -> list[str]:
    """_nominate: the sending state nominates ROWS and serves notice; ACCEPT: the receiving
    state accepts them too."""
    agreement = db.get_one(Agreement, "USA-SLV-2025")
    # Recorded on 1 March 2025: the notice and acceptance dated after it follow it.
    with simulated(datetime(2025, 3, 1, 9, tzinfo=UTC)):
        results = nominations.import_rows(db, agreement, [
            nominations.Row(i + 1, r) for i, r in enumerate(rows)], as_of=date(2025, 3, 1),
            actor="user:us.officer")
    ids = [r.public_id for r in results]
    records = [db.get_one(NominationRecord, public_id) for public_id in ids]
    assert all(r.decision == "eligible" for r in records), [r.decision for r in records]
    with simulated(datetime(2025, 3, 2, 12, tzinfo=UTC)):
        for record in records:
            decisions.serve_notice(db, record, served_on=NOTICE_ON, language="es",
                                   method="in_person", acknowledged=True,
                                   actor="user:us.officer", party="USA")
    # Accepted on its day, so a flight planned after it follows it (nomination ≤
    # acceptance ≤ planned: DESIGN.md §12.2).
    if accept:
        with simulated(datetime(2025, 3, 20, 12, tzinfo=UTC)):
            for record in records:
                decisions.accept(db, record, on=ACCEPT_ON, actor="user:sv.warden",
                                 party="SLV")
    return [i for i in ids if i]


@dataclass(frozen=True)
class Fresh(Site):
    counsel_manifest: str
    stopped: str  # the external ref the counsel's order covers
    stopped_id: str  # that person's public id, whose counsel of record files the order


@pytest.fixture(scope="module")
def fresh(demo_template: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fresh]:
    """fresh: the demo as loaded, with one person noticed for the receiving journey and a
    manifest of two, approved, for the counsel's."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('journeys') / 'fresh.db'}")
    upgrade(engine)
    rebuild(demo_template, engine)
    with unit_of_work(engine) as db:
        _nominate(db, [person("R-1", "Alvarado", "A1234501")], accept=False)
        pair = _nominate(db, [person("C-1", "Castro", "A1234502"),
                              person("C-2", "Duarte", "A1234503")], accept=True)
        manifest = transfers.plan(db, ManifestIn.model_validate({
            "people": pair, "legs": [{
                "mode": "flight", "carrier": "GlobalX Airlines", "number": "GXA 7001",
                "origin": "Harlingen, TX (HRL)", "destination": "San Salvador (SAL)",
                "departs_at": "2025-04-20T13:00:00+00:00",
                "arrives_at": "2025-04-20T17:30:00+00:00"}]}),
            actor="user:sv.warden", party="SLV")
        transfers.approve(db, manifest.id, actor="user:us.officer", party="USA")
        manifest_id = manifest.id
    with running_server(engine) as url:
        yield Fresh(url, engine, manifest_id, "C-2", pair[1])
    engine.dispose()


@dataclass(frozen=True)
class Flown(Site):
    inspection: int


@pytest.fixture(scope="module")
def flown(flights_template: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Flown]:
    """flown: the demo after the two flights, with an inspection of CECOT to add to."""
    engine = after_the_flights(flights_template,
                               tmp_path_factory.mktemp("journeys") / "flown.db")
    with unit_of_work(engine) as db:
        visit = oversight.record_inspection(db, InspectionIn(
            facility_code="CECOT", visited_on=date(2025, 6, 2), announced=False,
            areas=["module 1", "kitchen"], inspectors=["Inés Duarte"],
            summary="Unannounced visit: cells far over the ICRC standard."),
            actor="user:monitor", today=date(2025, 6, 2))
        seq = visit.seq
    with running_server(engine) as url:
        yield Flown(url, engine, seq)
    engine.dispose()


# --- the journeys -----------------------------------------------------------------------


def test_sending_imports_nominations_sees_the_decisions_and_serves_notice(
        browser: Browser, fresh: Fresh, tmp_path: Path) -> None:
    upload = tmp_path / "nominations.jsonl"
    minor = person("S-2", "Escobar", "A1234505")
    minor["person"]["date_of_birth"] = "2010-02-02"  # type: ignore[index]
    upload.write_text("\n".join(json.dumps(r) for r in (
        person("S-1", "Flores", "A1234504"), minor)))

    officer = user(browser, fresh.url, "us.officer")
    officer.get_by_role("link", name="Nominations").click()
    officer.get_by_role("link", name="Import a nomination file").click()
    officer.get_by_label("Nomination file").set_input_files(str(upload))
    officer.get_by_label("Screen as of (default today)").fill("2025-03-01")
    officer.get_by_role("button", name="Import").click()
    expect(officer.get_by_test_id("summary")).to_have_text(
        "rows 2, eligible 1, ineligible 1, review 0, invalid 0, unchanged 0")
    shoot(officer, "nomination-import")

    officer.goto(fresh.url + "/nominations")
    expect(officer.get_by_role("link", name="S-2")).to_be_visible()
    shoot(officer, "nomination-decisions")
    officer.get_by_role("link", name="S-2").click()
    expect(officer.get_by_test_id("decision")).to_have_text("ineligible")
    expect(officer.get_by_test_id("trace")).to_contain_text("Mandela Rule 11(d)")

    officer.goto(fresh.url + "/nominations")
    officer.get_by_role("link", name="S-1").click()
    expect(officer.get_by_test_id("decision")).to_have_text("eligible")
    # Imported today, so served today: never before the nomination (DESIGN.md §12.2).
    officer.get_by_label("Served on").fill(date.today().isoformat())
    officer.get_by_label("Language", exact=True).fill("en")
    officer.get_by_role("button", name="Record notice").click()
    expect(officer.get_by_role("alert")).to_contain_text("person's language ('es')")
    officer.get_by_label("Served on").fill(date.today().isoformat())
    officer.get_by_label("Language", exact=True).fill("es")
    officer.get_by_role("button", name="Record notice").click()
    expect(officer.get_by_test_id("notice-text")).to_contain_text("AVISO DE TRASLADO PROPUESTO")
    shoot(officer, "notice")


def test_receiving_accepts_moves_takes_in_houses_and_invoices(browser: Browser,
                                                             fresh: Fresh) -> None:
    warden = user(browser, fresh.url, "sv.warden")
    warden.goto(fresh.url + "/nominations")
    warden.get_by_role("link", name="R-1").click()
    warden.get_by_label("Accept on").fill(ACCEPT_ON.isoformat())
    warden.get_by_role("button", name="Accept").click()
    expect(warden.get_by_test_id("status")).to_contain_text("accepted")
    public_id = warden.url.split("#")[0].rsplit("/", 1)[1]

    # Plan: a leg that lands before it leaves is named, and what was typed is kept.
    warden.get_by_role("link", name="Transfers").click()
    plan = warden.get_by_role("form", name="Plan a transfer")
    plan.get_by_label(re.compile("Alvarado")).check()
    plan.get_by_label("Carrier").fill("GlobalX Airlines")
    plan.get_by_label("Flight or convoy number").fill("GXA 7002")
    plan.get_by_label("From").fill("Harlingen, TX (HRL)")
    plan.get_by_label("To", exact=True).fill("San Salvador (SAL)")
    plan.get_by_label("Departs (UTC)").fill("2025-04-22T13:00")
    plan.get_by_label("Arrives (UTC)").fill("2025-04-22T12:00")
    token = csrf(warden)
    plan.get_by_role("button", name="Plan the transfer").click()
    expect(warden.get_by_test_id("plan-error")).to_contain_text("arrives_at must be after")
    expect(plan.get_by_label("Arrives (UTC)")).to_have_attribute("aria-invalid", "true")
    expect(plan.get_by_label("Carrier")).to_have_value("GlobalX Airlines")
    expect(plan.get_by_label(re.compile("Alvarado"))).to_be_checked()
    plan.get_by_label("Arrives (UTC)").fill("2025-04-22T17:30")
    plan.get_by_role("button", name="Plan the transfer").click()
    expect(warden.get_by_test_id("status")).to_have_text("planned")
    manifest_url = warden.url
    # The same form posted again plans nobody twice.
    manifests = count(fresh.engine, Manifest)
    again = warden.request.post(fresh.url + "/transfers", form={
        "csrf": token, "people": public_id, "mode": "flight", "carrier": "GlobalX Airlines",
        "origin": "Harlingen, TX (HRL)", "destination": "San Salvador (SAL)",
        "departs_at": "2025-04-22T13:00", "arrives_at": "2025-04-22T17:30"})
    assert again.status == 409 and "already on an active manifest" in again.text()
    assert count(fresh.engine, Manifest) == manifests

    # The sending state approves the manifest and flies it.
    officer = user(browser, fresh.url, "us.officer")
    officer.goto(manifest_url)
    officer.get_by_role("button", name="Approve the manifest").click()
    expect(officer.get_by_test_id("status")).to_have_text("approved")
    officer.get_by_role("button", name="Record the departure").click()
    expect(officer.get_by_test_id("status")).to_have_text("departed")
    expect(officer.get_by_test_id(f"person-{public_id}")).to_contain_text("NOTICE pass")

    # The prison records the arrival; each state records its own part of the handover,
    # named from its own login (DESIGN.md §12.1), the sending state's officer first.
    warden.goto(manifest_url)
    warden.get_by_role("button", name="Record the arrival").click()
    expect(warden.get_by_test_id("status")).to_have_text("arrived")
    officer.goto(manifest_url)
    handing = officer.get_by_role("form", name="Hand a person over")
    expect(handing.get_by_test_id("handover-part")).to_contain_text("Dana Whitfield")
    handing.get_by_label("Handed over at (UTC)").fill("2025-04-22T17:40")
    handing.get_by_role("button", name="Record the handover").click()
    expect(officer.get_by_test_id("done")).to_contain_text("Handover recorded")
    with read_session(fresh.engine) as db:
        assert db.get(Prisoner, public_id) is None  # one part alone passes no custody
    warden.goto(manifest_url)
    handover = warden.get_by_role("form", name="Hand a person over")
    expect(handover.get_by_label("Sending state's officer")).to_have_count(0)
    handover.get_by_label("Handed over at (UTC)").fill("2025-04-22T17:00")
    handover.get_by_role("button", name="Record the handover").click()
    expect(warden.get_by_test_id("handed_over-error")).to_contain_text("before the manifest")
    expect(handover.get_by_label("Handed over at (UTC)")).to_have_value("2025-04-22T17:00")
    handover.get_by_label("Handed over at (UTC)").fill("2025-04-22T17:40")
    handover.get_by_role("button", name="Record the handover").click()
    expect(warden.get_by_test_id("done")).to_contain_text("Handover recorded")
    shoot(warden, "manifest")

    # Intake, then a cell.
    warden.get_by_role("link", name="Record intake").click()
    shoot(warden, "intake")
    warden.get_by_role("button", name="Record intake").click()
    expect(warden.get_by_role("alert")).to_contain_text("security_level")
    warden.get_by_label("Security level").select_option("maximum")
    warden.get_by_role("button", name="Record intake").click()
    expect(warden.get_by_role("status")).to_contain_text(f"Intake recorded for {public_id}")
    warden.get_by_role("button", name=f"Find {public_id} a cell").click()
    expect(warden.locator("main")).to_contain_text(public_id)
    with read_session(fresh.engine) as db:
        housed = db.get_one(Prisoner, public_id)
        assert housed.status == "in_custody" and housed.cell_code is not None
    expect(warden).to_have_url(re.compile(rf"/cells/{housed.building_code}/{housed.cell_code}$"))
    shoot(warden, "cell")

    # The month's invoice, issued once.
    warden.get_by_role("link", name="Billing").click()
    issue = warden.get_by_role("form", name="Issue an invoice")
    issue.get_by_label("Month").fill("2099-12")
    token = csrf(warden)
    issue.get_by_role("button", name="Issue the invoice").click()
    expect(warden.get_by_test_id("issue-error")).to_contain_text("2099-12 is not over")
    expect(issue.get_by_label("Month")).to_have_attribute("aria-invalid", "true")
    issue.get_by_label("Month").fill("2025-04")
    issue.get_by_role("button", name="Issue the invoice").click()
    expect(warden.get_by_test_id("recorded")).to_be_visible()
    expect(warden.locator("main")).to_contain_text("Alvarado")
    shoot(warden, "invoice")
    again = warden.request.post(fresh.url + "/billing/invoices", form={
        "csrf": token, "agreement": "USA-SLV-2025", "period": "2025-04"})
    assert again.status == 409 and "already invoiced" in again.text()
    assert count(fresh.engine, Invoice) == 1


def test_counsel_registers_a_court_order_and_sees_the_person_taken_off(
        browser: Browser, fresh: Fresh) -> None:
    # Counsel appears for the person first: it orders only for a client of record (§12.1).
    counsel_of_record(fresh.engine, fresh.stopped_id)
    counsel = user(browser, fresh.url, "counsel")
    counsel.get_by_role("link", name="Court orders").click()
    form = counsel.locator('form[action="/holds"]')
    form.get_by_label("Reference", exact=True).fill("1:25-cv-07777-TRO")
    form.get_by_label("Court").fill("U.S. District Court for D.C.")
    form.get_by_label("Kind").select_option("tro")
    form.get_by_label("Issued").fill("2025-04-19")
    form.get_by_label("Expires (empty: until lifted)").fill("2025-04-01")
    form.get_by_label("Who").fill(fresh.stopped)
    form.get_by_role("button", name="Register").click()
    expect(counsel.get_by_test_id("hold-error")).to_be_visible()
    expect(form.get_by_label("Who")).to_have_value(fresh.stopped)
    expect(form.get_by_label("Court")).to_have_value("U.S. District Court for D.C.")
    form.get_by_label("Expires (empty: until lifted)").fill("")
    form.get_by_role("button", name="Register").click()
    expect(counsel.get_by_role("status")).to_contain_text(
        "Court order 1:25-cv-07777-TRO registered")
    row = counsel.get_by_role("row", name=re.compile("1:25-cv-07777-TRO"))
    expect(row).to_contain_text("nobody yet")

    # The sending state flies the manifest: the gate takes the person off.
    officer = user(browser, fresh.url, "us.officer")
    officer.goto(f"{fresh.url}/transfers/{fresh.counsel_manifest}")
    officer.get_by_role("button", name="Record the departure").click()
    expect(officer.get_by_test_id("status")).to_have_text("departed")

    counsel.goto(fresh.url + "/holds")
    expect(row).to_contain_text(
        f"{fresh.stopped} taken off manifest {fresh.counsel_manifest} on Apr 20, 2025")
    shoot(counsel, "court-orders")


def test_monitor_reads_the_integrity_report_drills_down_and_records_a_finding(
        browser: Browser, flown: Flown) -> None:
    monitor = user(browser, flown.url, "monitor")
    monitor.get_by_role("link", name="Open the integrity report").click()
    shoot(monitor, "integrity")
    line = monitor.get_by_test_id("check-past_agreement_term")
    line.get_by_text(re.compile("Who and what is behind")).click()
    first = line.get_by_role("link", name=re.compile(r"^[A-Z0-9]{6,}$")).first
    public_id = first.inner_text()
    first.click()
    expect(monitor).to_have_url(f"{flown.url}/people/{public_id}")
    shoot(monitor, "person")

    monitor.get_by_role("link", name="Oversight").click()
    monitor.get_by_role("link", name=re.compile("Jun 2, 2025")).first.click()
    form = monitor.get_by_role("form", name="Record a finding")
    form.get_by_label("Finding").fill("He is held past the agreement's term, with no renewal.")
    form.get_by_label("Recommendation").fill("Return him, or record the renewal.")
    form.get_by_label("Severity").select_option("high")
    form.get_by_label("Answer due").fill("2025-05-01")
    form.get_by_label("People concerned (ids, optional)").fill(public_id)
    token = csrf(monitor)
    form.get_by_role("button", name="Record the finding").click()
    expect(monitor.get_by_test_id("finding-error")).to_contain_text("before the inspection")
    expect(form.get_by_label("Answer due")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Recommendation")).to_have_value(
        "Return him, or record the renewal.")
    form.get_by_label("Answer due").fill("2025-07-02")
    form.get_by_role("button", name="Record the finding").click()
    expect(monitor.get_by_test_id("recorded")).to_be_visible()
    expect(monitor.locator("main")).to_contain_text("with no renewal")
    shoot(monitor, "inspection")
    # The same form posted twice records one finding.
    findings = count(flown.engine, Finding)
    again = monitor.request.post(f"{flown.url}/inspections/{flown.inspection}/findings", form={
        "csrf": token, "text": "He is held past the agreement's term, with no renewal.",
        "recommendation": "Return him, or record the renewal.", "severity": "high",
        "response_due": "2025-07-02", "people": public_id})
    assert again.ok
    assert count(flown.engine, Finding) == findings == 1


def test_the_public_locates_a_person_and_subscribes(browser: Browser, flown: Flown) -> None:
    with read_session(flown.engine) as db:
        someone = db.scalars(select(NominationRecord).join(
            Prisoner, Prisoner.public_id == NominationRecord.public_id).where(
            Prisoner.status == "in_custody").order_by(NominationRecord.public_id)).first()
        assert someone is not None
        born_in = someone.data["person"]["country_of_birth"]
    page = browser.new_context(locale="en-US", viewport=VIEWPORT).new_page()
    page.goto(flown.url + "/login")
    page.get_by_role("link", name="the public locator").click()
    shoot(page, "locate")
    form = page.get_by_role("form", name="Search by name")
    form.get_by_label("Family name(s)").fill(someone.family_name)
    form.get_by_label("Given name(s)").fill(someone.given_names)
    form.get_by_label("Country of birth").select_option(born_in)
    form.get_by_role("button", name="Search").click()
    located = page.get_by_test_id("located").first
    expect(located.get_by_test_id("status")).to_have_text("in custody")
    expect(located).to_contain_text("CECOT")
    shoot(page, "locate-result")
    located.get_by_role("link", name="Be told when this changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Updates about a person in custody")
    page.get_by_label("Address").fill("family@example.org")
    page.get_by_role("button", name="Send me the code").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    shoot(page, "subscribe")

