"""In a real browser: a person's custody file.

One SQLite database per module holds the demo after its two flights and a year of custody
(demo.load, nominate, transfer, simulate: the domestic population is left out, it is slow),
plus one transferee convicted twice, flown in, taken in, housed and then moved, and one
domestic prisoner classified on tattoos alone. A checkpoint is signed at the end, so each
ledger mark on the file opens an event whose inclusion the browser verifies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from habeas import demo
from habeas.agreements.models import Agreement
from habeas.auth.models import ReadAudit
from habeas.clock import simulated
from habeas.custody import service as custody
from habeas.custody.schemas import IntakeIn
from habeas.db import make_engine, read_session, unit_of_work
from habeas.facilities import housing
from habeas.facilities import service as facilities
from habeas.ledger import service as ledger
from habeas.ledger.models import Event
from habeas.ledger.note import generate_signer
from habeas.nominations import decisions
from habeas.nominations import service as nominations
from habeas.transfers import service as transfers
from habeas.transfers.models import ManifestPerson
from habeas.transfers.schemas import HandoverPartIn, ManifestIn
from tests.conftest import shared_template
from tests.servers import running_server
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser

TWICE_CONVICTED: dict[str, Any] = {
    "external_ref": "US-2025-TWICE",
    "person": {"family_name": "Doscausas Rivera", "given_names": "Mateo", "aliases": [],
               "date_of_birth": "1988-02-14", "sex": "M", "country_of_birth": "SLV",
               "nationalities": ["SLV"], "status_in_sending_state": "foreign_national",
               "language": "es",
               "documents": [{"type": "passport", "number": "B1234567", "country": "SLV"}]},
    "convictions": [
        {"court": "U.S. District Court, S.D. Tex.", "case_number": "4:21-cr-00111",
         "offense_code": "8USC1326", "offense": "Illegal reentry",
         "judgment_date": "2021-06-01", "appeal_status": "none",
         "sentence": {"kind": "determinate", "years": 2, "months": 6},
         "sentence_start": "2021-07-01", "credited_days": 40},
        {"court": "U.S. District Court, D. Ariz.", "case_number": "2:22-cr-00222",
         "offense_code": "21USC841", "offense": "Drug trafficking",
         "judgment_date": "2022-09-15", "appeal_status": "exhausted",
         "sentence": {"kind": "determinate", "years": 6},
         "sentence_start": "2022-10-01", "credited_days": 12}],
    "pending_charges": [], "affiliation": {"group": "Barrio 18", "basis": "conviction"},
    "consent": {"given": None, "date": None},
    "next_of_kin": [{"name": "Rosa Rivera", "relationship": "mother",
                     "phone": "+50370000000", "email": None}],
    "counsel": None, "requested_transfer_date": "2025-05-20",
}
LEAVES = datetime(2025, 5, 20, 14, tzinfo=UTC)


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine
    transferee: str  # convicted twice; housed, then moved
    first_cell: str  # "building/cell" where housing first put him
    moved_to: str  # and where he was moved
    domestic: str  # a domestic prisoner, classified on tattoos alone


def fly_in(db: Session, nomination: dict[str, Any]) -> str:
    """fly_in takes one nomination through acceptance, notice, a flight, handover, intake
    and housing, as the services do it; its public id."""
    agreement = db.get_one(Agreement, "USA-SLV-2025")
    # Nominated on 15 April 2025 and recorded that day (DESIGN.md §12.2 causal order).
    # Accepted and served notice that day too: nomination ≤ acceptance ≤ planned.
    with simulated(datetime(2025, 4, 15, 9, tzinfo=UTC)):
        [row] = nominations.import_rows(db, agreement, [nominations.Row(1, nomination)],
                                        as_of=date(2025, 4, 15), actor="user:us.officer")
        assert row.decision == "eligible" and row.public_id is not None, row
        record = decisions.get(db, row.public_id)
        decisions.accept(db, record, on=date(2025, 4, 15), actor="user:sv.warden",
                         party="SLV")
        decisions.serve_notice(db, record, served_on=date(2025, 4, 15), language="es",
                               method="in_person", acknowledged=True,
                               actor="user:us.officer", party="USA")
    manifest = transfers.plan(db, ManifestIn.model_validate({"legs": [{
        "mode": "flight", "carrier": "GlobalX Airlines (ICE Air)", "number": "GXA 6150",
        "origin": "Harlingen, TX (HRL)", "destination": "San Salvador (SAL)",
        "departs_at": LEAVES.isoformat(), "arrives_at": (LEAVES + timedelta(hours=3)).isoformat(),
    }], "people": [row.public_id]}), actor="user:sv.warden", party="SLV")
    transfers.approve(db, manifest.id, actor="user:us.officer", party="USA")
    transfers.depart(db, manifest.id, departed_at=LEAVES, actor="user:us.officer", party="USA")
    transfers.arrive(db, manifest.id, arrived_at=LEAVES + timedelta(hours=3),
                     actor="user:sv.warden", party="SLV")
    part = HandoverPartIn(public_id=row.public_id, handed_over_at=LEAVES + timedelta(hours=3))
    transfers.hand_over(db, manifest.id, part, officer=demo.OFFICERS[0], actor="user:us.officer",
                        party="USA")
    transfers.hand_over(db, manifest.id, part, officer=demo.OFFICERS[1], actor="user:sv.warden",
                        party="SLV")
    custody.record_intake(db, row.public_id, IntakeIn.model_validate({
        "document_checked": "passport B1234567", "visible_injuries": "",
        "ill_treatment_complaint": "", "property": [], "contacts": [], "language": "es",
        "medical_flags": [], "security_level": "maximum",
        "affiliation": {"group": "Barrio 18", "basis": "conviction", "source": "nomination"}}),
        officer="Subinspector A. Portillo", actor="user:sv.warden", party="SLV",
        at=LEAVES + timedelta(hours=4))
    housing.house(db, "CECOT", on=LEAVES.date(), actor="user:sv.warden",
                  public_ids=[row.public_id])
    return row.public_id


def _admit_on_tattoos(db: Session) -> str:
    [result] = custody.import_population(db, "CECOT", [nominations.Row(1, {
        "local_ref": "T-1", "family_name": "Tatuado", "given_names": "Test", "sex": "M",
        "date_of_birth": "1990-01-01", "legal_status": "convicted",
        "affiliation": {"group": "MS-13", "basis": "tattoo", "source": "intake officer"},
        "security_level": "maximum", "admitted_on": "2024-06-11"})],
        actor="user:sv.warden", on=demo.DEMO_AS_OF)
    assert result.outcome == "admitted" and result.public_id is not None, result.errors
    return result.public_id


def _live_a_year(engine: Engine) -> dict[str, str]:
    """_live_a_year: after the flights, one man flown in, housed and moved and one domestic
    prisoner admitted on his tattoos, then a year of custody and a signed checkpoint; who
    they are, where the man was housed and where he was moved."""
    with unit_of_work(engine) as db:
        transferee = fly_in(db, TWICE_CONVICTED)
        person = custody.get_prisoner(db, transferee)
        building, first = person.building_code, person.cell_code
        assert building is not None
        # The emptiest other cell of the same building: no rival group there.
        moved_to = min((c for c in facilities.cells(db, "CECOT", building) if c.code != first),
                       key=lambda c: (c.occupants, c.code)).code
        housing.move(db, transferee, building=building, cell=moved_to,
                     reason="kept apart from a witness", on=date(2025, 6, 2),
                     actor="user:sv.warden", may_override=False)
        domestic = _admit_on_tattoos(db)
    with unit_of_work(engine) as db:
        demo.simulate(db, until=date(2026, 4, 30))
        ledger.sign_checkpoint(db, generate_signer("habeas.invalid/custody-ledger"))
    return {"transferee": transferee, "first_cell": f"{building}/{first}",
            "moved_to": f"{building}/{moved_to}", "domestic": domestic}


def _build(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """_build: a copy of the people's year of this module's own (built once per run)."""
    path, people = shared_template(tmp_path_factory, "people", _live_a_year, parent=template)
    return Site("", make_engine(f"sqlite:///{path}"), **people)


def _status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def _reads(site: Site, public_id: str, username: str) -> int:
    with read_session(site.engine) as db:
        return db.scalar(select(func.count()).select_from(ReadAudit).where(
            ReadAudit.record_kind == "prisoner", ReadAudit.record_id == public_id,
            ReadAudit.username == username, ReadAudit.channel == "web",
            ReadAudit.purpose == "custody file")) or 0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, flights_template: Path
         ) -> Iterator[Site]:
    built = _build(flights_template, tmp_path_factory)
    with running_server(built.engine) as url:
        yield Site(url, built.engine, built.transferee, built.first_cell, built.moved_to,
                   built.domestic)
    built.engine.dispose()


def test_the_file_shows_every_conviction_and_the_release_date_with_its_working(
        browser: Browser, site: Site) -> None:
    with read_session(site.engine) as db:
        person = custody.get_prisoner(db, site.transferee)
        working = list(person.release_working)
    assert len(working) > 10
    read_before = _reads(site, site.transferee, "monitor")
    monitor = log_in(browser, site.url, "monitor")
    assert _status(monitor, f"{site.url}/people/{site.transferee}") == 200
    expect(monitor.get_by_role("heading", level=1)).to_contain_text("Mateo Doscausas Rivera")
    assert _reads(site, site.transferee, "monitor") == read_before + 1

    convictions = monitor.get_by_test_id("convictions").locator("tbody tr")
    expect(convictions).to_have_count(2)
    expect(convictions.nth(0)).to_contain_text("4:21-cr-00111")
    expect(convictions.nth(0)).to_contain_text("Illegal reentry")
    expect(convictions.nth(0)).to_contain_text("2 years 6 months")
    expect(convictions.nth(0)).to_contain_text("40 days")
    expect(convictions.nth(1)).to_contain_text("U.S. District Court, D. Ariz.")
    expect(convictions.nth(1)).to_contain_text("2:22-cr-00222")
    expect(convictions.nth(1)).to_contain_text("6 years")
    expect(convictions.nth(1)).to_contain_text("exhausted")

    expect(monitor.get_by_test_id("sentence-expiry")).to_have_text("Sep 18, 2028")
    expect(monitor.get_by_test_id("release-date")).to_contain_text("Aug 24, 2027")
    lines = monitor.get_by_test_id("release-working").locator("li")
    expect(lines).to_have_text(working)
    expect(lines.nth(7)).to_have_text("conviction 2: minus 12 credited day(s) = 2028-09-18")
    expect(lines.last).to_have_text("release date: 2027-08-24, a working day in US")

    expect(monitor.get_by_test_id("legal-custodian")).to_have_text("USA")
    expect(monitor.get_by_test_id("physical-custodian")).to_have_text("CECOT")
    expect(monitor.get_by_test_id("affiliation")).to_contain_text(
        "Barrio 18 (basis: conviction)")


def test_housing_history_and_every_event_carry_a_ledger_mark_that_verifies(
        browser: Browser, site: Site) -> None:
    with read_session(site.engine) as db:
        events = list(db.execute(select(Event.seq, Event.type).where(
            Event.subject == site.transferee).order_by(Event.seq)))
    moved = next(seq for seq, kind in events if kind == "housing.moved")
    warden = log_in(browser, site.url, "sv.warden")
    warden.goto(f"{site.url}/people/{site.transferee}")

    stays = warden.get_by_test_id("housing").locator("tbody tr")
    expect(stays).to_have_count(2)
    expect(stays.nth(0)).to_contain_text("assigned")
    expect(stays.nth(0)).to_contain_text(site.first_cell)
    expect(stays.nth(1)).to_contain_text("moved — kept apart from a witness")
    expect(stays.nth(1)).to_contain_text(site.moved_to)

    # The timeline: their own events and the steps of the flight that carried them, in
    # order, each included in the checkpoint signed at the end.
    with read_session(site.engine) as db:
        [manifest] = db.scalars(select(ManifestPerson.manifest_id).where(
            ManifestPerson.public_id == site.transferee))
        flight = list(db.execute(select(Event.seq, Event.type).where(
            Event.type.like("transfer.%"), Event.subject.is_(None))))
    flight = [(seq, kind) for seq, kind in flight if seq == int(manifest[1:]) or
              _payload_manifest(site, seq) == manifest]
    timeline = sorted(events + flight)
    marks = warden.get_by_test_id("events").locator("tbody tr")
    expect(marks).to_have_count(len(timeline))
    expect(marks.locator("a.mark")).to_have_text([f"#{seq}" for seq, _ in timeline])
    expect(marks.locator("code")).to_have_text([kind for _, kind in timeline])
    expect(marks.get_by_test_id("inclusion")).to_have_text(["included"] * len(timeline))
    expect(warden.get_by_test_id("events")).to_contain_text(f"(manifest {manifest})")
    expect(warden.get_by_test_id("timeline-summary")).to_contain_text(
        f"{len(timeline)} events")

    stays.nth(1).get_by_role("link", name=f"#{moved}").click()
    expect(warden).to_have_url(f"{site.url}/events/{moved}")
    expect(warden.get_by_test_id("proof-status")).to_have_text(
        re.compile(r"^verified in checkpoint \d+$"))


def _payload_manifest(site: Site, seq: int) -> str | None:
    with read_session(site.engine) as db:
        return db.get_one(Event, seq).payload.get("manifest_id")


def test_the_legal_basis_and_release_dates_come_first(browser: Browser, site: Site) -> None:
    monitor = log_in(browser, site.url, "monitor")
    monitor.goto(f"{site.url}/people/{site.transferee}")
    basis = monitor.get_by_test_id("legal-basis")
    expect(basis.get_by_test_id("agreement")).to_have_text("USA-SLV-2025")
    expect(basis.get_by_test_id("term")).to_contain_text("from Mar 15, 2025")
    expect(basis.get_by_test_id("convictions").locator("tbody tr")).to_have_count(2)
    expect(basis.get_by_test_id("release-date")).to_contain_text("Aug 24, 2027")
    expect(basis.get_by_test_id("sentence-expiry")).to_have_text("Sep 18, 2028")
    sections = monitor.locator("main h2")
    expect(sections.first).to_have_text("Legal basis")
    expect(sections.last).to_have_text("Timeline")


def test_a_tattoo_classification_is_flagged_as_unverified(browser: Browser,
                                                          site: Site) -> None:
    warden = log_in(browser, site.url, "sv.warden")
    assert _status(warden, f"{site.url}/people/{site.domestic}") == 200
    expect(warden.get_by_test_id("affiliation")).to_contain_text(
        "MS-13 (tattoos only — unverified)")
    expect(warden.get_by_test_id("legal-custodian")).to_have_text("SLV")
    expect(warden.get_by_test_id("convictions")).to_contain_text("A domestic prisoner")
    expect(warden.get_by_test_id("housing").locator("tbody tr")).to_have_count(1)
    expect(warden.get_by_test_id("housing")).to_contain_text("admitted")
    assert _reads(site, site.domestic, "sv.warden") == 1


def test_a_sending_state_opens_only_the_files_of_its_own_people(browser: Browser,
                                                                site: Site) -> None:
    officer = log_in(browser, site.url, "us.officer")
    assert _status(officer, f"{site.url}/people/{site.transferee}") == 200
    expect(officer.get_by_test_id("convictions").locator("tbody tr")).to_have_count(2)
    assert _status(officer, f"{site.url}/people/{site.domestic}") == 404
    expect(officer.get_by_role("alert")).to_contain_text(f"person {site.domestic!r} not found")
    assert _reads(site, site.domestic, "us.officer") == 0

    # Counsel of record for nobody: the file reads as a person who does not exist (§12.1).
    for username, status in (("counsel", 404), ("admin", 403)):
        page = log_in(browser, site.url, username)
        assert _status(page, f"{site.url}/people/{site.transferee}") == status
