"""In a real browser: the facility map, a cell and who is in it, manifests, intake.

One SQLite database per module holds the demo after its two flights (demo.load,
nominate, transfer: the domestic population is left out, it is slow) plus two
domestic prisoners in one cell, one of them classified on tattoos alone, and a
non-association binding him.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from habeas import demo
from habeas.auth.models import ReadAudit
from habeas.custody import service as custody
from habeas.custody.models import IntakeRecord
from habeas.db import read_session, unit_of_work
from habeas.facilities import housing
from habeas.nominations.service import Row
from tests.servers import running_server
from tests.web.conftest import after_the_flights, log_in

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine
    building: str
    cell: str  # holds a man classified on tattoos alone and one convicted
    occupants: int


def _domestic(ref: str, family: str, basis: str, place: str | None = None
              ) -> dict[str, object]:
    building, cell = place.split("/") if place else (None, None)
    return {"local_ref": ref, "family_name": family, "given_names": "Test", "sex": "M",
            "date_of_birth": "1990-01-01", "legal_status": "convicted",
            "affiliation": {"group": "MS-13", "basis": basis, "source": "test"},
            "security_level": "maximum", "admitted_on": "2024-06-11",
            "building": building, "cell": cell}


def _admit(db: Session, row: dict[str, object]) -> tuple[str, str]:
    """_admit admits one domestic prisoner; (public id, "building/cell")."""
    [result] = custody.import_population(db, "CECOT", [Row(1, row)], actor="user:sv.warden",
                                         on=demo.DEMO_AS_OF)
    assert result.outcome == "admitted", result.errors
    assert result.public_id is not None and result.cell is not None
    return result.public_id, result.cell


def _after_the_flights(template: Path, path: Path) -> Site:
    engine = after_the_flights(template, path)
    with unit_of_work(engine) as db:
        tattooed, place = _admit(db, _domestic("T-1", "Tatuado", "tattoo"))
        _admit(db, _domestic("T-2", "Condenado", "conviction", place))
        elsewhere = custody.waiting_for_intake(db, "CECOT")[0]
        housing.open_non_association(db, person_a=tattooed, role_a="witness",
                                     person_b=elsewhere.public_id, role_b="accused",
                                     level="CELL", reason="witness against him",
                                     actor="user:sv.warden")
    building, cell = place.split("/")
    with read_session(engine) as db:
        occupants = len(housing.occupants(db, "CECOT", building, cell))
    return Site("", engine, building, cell, occupants)


def _status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, flights_template: Path
         ) -> Iterator[Site]:
    built = _after_the_flights(flights_template,
                               tmp_path_factory.mktemp("custody") / "custody.db")
    with running_server(built.engine) as url:
        yield Site(url, built.engine, built.building, built.cell, built.occupants)
    built.engine.dispose()


def test_the_facility_map_links_each_cell_to_who_is_in_it(browser: Browser, site: Site) -> None:
    warden = log_in(browser, site.url, "sv.warden")
    warden.get_by_role("link", name="Facility").click()
    expect(warden).to_have_url(f"{site.url}/facilities/CECOT")
    expect(warden.get_by_test_id("cell")).to_have_count(256)
    legend = warden.get_by_test_id("legend")
    for text in ("empty", "under 50% of max capacity", "full (100% or more)", "below ICRC"):
        expect(legend).to_contain_text(text)
    expect(warden.get_by_test_id("figures")).to_contain_text("0.64 m² per person if full")
    expect(warden.get_by_test_id("figures")).to_contain_text("ICRC 3.4 m² · CPT 4 m²")

    square = warden.locator(f"section.building:has(h3#b-{site.building})").get_by_label(
        re.compile(f"^{re.escape(site.cell)}: {site.occupants} of "))
    expect(square).to_have_attribute("title", re.compile(r"m² per person, meets ICRC and CPT$"))
    square.click()
    expect(warden.get_by_test_id("occupants")).to_contain_text(f"{site.occupants} of ")
    people = warden.get_by_test_id("people")
    expect(people.locator("tr", has_text="Tatuado")).to_contain_text(
        "MS-13 (tattoos only — unverified)")
    expect(people.locator("tr", has_text="Condenado")).to_contain_text(
        "MS-13 (basis: conviction)")
    expect(warden.get_by_test_id("non-associations")).to_contain_text("witness against him")
    with read_session(site.engine) as db:
        assert db.scalar(select(func.count()).select_from(ReadAudit).where(
            ReadAudit.record_kind == "cell",
            ReadAudit.record_id == f"CECOT/{site.building}/{site.cell}")) == 1


def test_a_monitor_reads_cells_and_a_sending_state_only_its_own_people(
        browser: Browser, site: Site) -> None:
    cell = f"{site.url}/facilities/CECOT/cells/{site.building}/{site.cell}"
    monitor = log_in(browser, site.url, "monitor")
    assert _status(monitor, cell) == 200
    expect(monitor.get_by_test_id("people")).to_contain_text("Tatuado")

    officer = log_in(browser, site.url, "us.officer")
    assert _status(officer, cell) == 200
    expect(officer.get_by_test_id("people")).not_to_contain_text("Tatuado")
    expect(officer.get_by_test_id("hidden")).to_contain_text("2 other people are held here")

    counsel = log_in(browser, site.url, "counsel")
    assert _status(counsel, cell) == 403


def _turn_to(page: Page, rows: Locator) -> None:
    """_turn_to follows a list's "next" links until ROWS show: a manifest's people come a
    page at a time (issue 9)."""
    while rows.count() == 0:
        following = page.locator('a[rel="next"]')
        expect(following).to_have_count(1)
        page.goto(urljoin(page.url, following.get_attribute("href") or ""))


def _count_across(page: Page, rows: Locator) -> int:
    """_count_across: how many ROWS the list shows on this page and every later one."""
    seen = rows.count()
    while (following := page.locator('a[rel="next"]')).count():
        page.goto(urljoin(page.url, following.get_attribute("href") or ""))
        seen += rows.count()
    return seen


def test_manifests_show_every_gate_and_who_was_stopped(browser: Browser, site: Site) -> None:
    officer = log_in(browser, site.url, "us.officer")
    officer.get_by_role("link", name="Transfers").click()
    officer.get_by_role("row", name=re.compile("Apr 10, 2025")).get_by_role("link").click()
    expect(officer.get_by_test_id("counts")).to_have_text("130 handed over, 1 removed")
    expect(officer.get_by_test_id("legs")).to_contain_text("GXA 6143")
    expect(officer.get_by_test_id("legs")).to_contain_text(
        "Harlingen, TX (HRL) → San Salvador (SAL)")
    stopped = officer.locator("tr.person-removed")
    _turn_to(officer, stopped)
    expect(stopped).to_have_count(1)
    expect(stopped).to_contain_text("NO_LEGAL_HOLD: barred by stay 4:25-cv-00412-STAY")
    expect(stopped.locator("li.gate-fail")).to_have_text(
        "NO_LEGAL_HOLD fail — barred by stay 4:25-cv-00412-STAY")
    expect(stopped.locator("li.gate-pass")).to_have_count(3)
    handed = officer.locator("tr.person-handed_over").first
    expect(handed).to_contain_text("from Deportation Officer R. Castillo (ICE ERO) to "
                                   "Subinspector A. Portillo (DGCP)")
    expect(handed.locator("li")).to_have_count(4)

    officer.get_by_role("link", name="All transfers").click()
    officer.get_by_role("row", name=re.compile("Apr 12, 2025")).get_by_role("link").click()
    # Stopped in the air by the court order, then flown back the next morning.
    expect(officer.get_by_test_id("counts")).to_contain_text("48 returned")
    sent_back = officer.locator("tr.person-returned")
    expect(sent_back.first).to_contain_text("temporary restraining order 1:25-cv-01101-TRO")
    expect(sent_back.first).to_contain_text("while")
    assert _count_across(officer, sent_back) == 48


def test_intake_refuses_a_bad_field_then_takes_the_person_in(browser: Browser,
                                                            site: Site) -> None:
    warden = log_in(browser, site.url, "sv.warden")
    warden.goto(site.url + "/facilities/CECOT")
    waiting = warden.get_by_test_id("awaiting-intake").get_by_role("link")
    expect(waiting).to_have_count(3)
    waiting.first.click()
    public_id = warden.url.split("/")[-2]
    intake_url = warden.url
    expect(warden.get_by_test_id("sending-state")).to_contain_text("passport")

    warden.get_by_label("Biometric hash (SHA-256, optional)").fill("xyz")
    warden.get_by_label("Security level").select_option("maximum")
    warden.get_by_label("Property (one per line: description; quantity)").fill(
        "clothing bag; 1\nwatch")
    with warden.expect_response(intake_url) as answer:
        warden.get_by_role("button", name="Record intake").click()
    assert answer.value.status == 422
    expect(warden.get_by_role("alert")).to_contain_text("biometric_sha256")
    expect(warden.get_by_label("Biometric hash (SHA-256, optional)")).to_have_value("xyz")
    expect(warden.get_by_label("Property (one per line: description; quantity)")).to_have_value(
        "clothing bag; 1\nwatch")
    with read_session(site.engine) as db:
        assert custody.latest_intake(db, public_id) is None
        assert db.scalar(select(func.count()).select_from(ReadAudit).where(
            ReadAudit.record_kind == "prisoner", ReadAudit.record_id == public_id)) == 2

    warden.get_by_label("Biometric hash (SHA-256, optional)").fill("")
    warden.get_by_role("button", name="Record intake").click()
    expect(warden).to_have_url(f"{site.url}/facilities/CECOT?intake={public_id}")
    expect(warden.get_by_role("status")).to_contain_text(f"Intake recorded for {public_id}")
    expect(warden.get_by_test_id("awaiting-intake").get_by_role("link")).to_have_count(2)
    expect(warden.get_by_test_id("awaiting-intake")).not_to_contain_text(public_id)
    with read_session(site.engine) as db:
        record = db.scalars(select(IntakeRecord).where(
            IntakeRecord.public_id == public_id)).one()
        assert record.officer == "Carlos Menjívar (Dirección General de Centros Penales)"
        assert [i["quantity"] for i in record.property_items] == [1, 1]
        assert record.contacts and record.contacts[0]["emergency"] is True

    officer = log_in(browser, site.url, "us.officer")
    assert _status(officer, intake_url) == 403
