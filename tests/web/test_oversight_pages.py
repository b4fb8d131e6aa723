"""In a real browser: the custody integrity report and its drill-down, inspections with their
findings, grievances.

One SQLite database per module holds the demo after its two flights and a year of custody
(demo.load, nominate, transfer, simulate until 30 April 2026: four solitary episodes, one
prolonged without review; a death, investigated; releases; family contacts; the term
renewed — the domestic population is left out, it is slow), plus one domestic prisoner,
an unannounced inspection with one finding answered and one overdue, and two grievances:
one alleging ill-treatment by a transferee, one by the domestic prisoner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from habeas import demo
from habeas.auth.models import ReadAudit, User
from habeas.auth.principal import Principal, principal_for
from habeas.custody import integrity
from habeas.custody import service as custody
from habeas.custody.models import IntegrityRun, Prisoner, Solitary
from habeas.custody.records import PROLONGED_SOLITARY_DAYS
from habeas.db import make_engine, read_session, unit_of_work, utcnow
from habeas.i18n import format_day
from habeas.nominations.service import Row
from habeas.oversight import service as oversight
from habeas.oversight.schemas import (
    Decision,
    FiledBy,
    FilerRole,
    FindingIn,
    FindingResponseIn,
    GrievanceCategory,
    GrievanceIn,
    InspectionIn,
    Severity,
)
from tests.conftest import shared_template
from tests.servers import running_server
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser

AS_OF = date(2026, 4, 30)


@dataclass(frozen=True)
class Records:
    inspection: int
    answered: int  # a finding answered by the administration
    overdue: int  # a finding whose answer was due on 10 April 2026
    transferee: str  # alleges ill-treatment
    alleged: int  # his grievance
    domestic: int  # the domestic prisoner's grievance


@dataclass(frozen=True)
class Site(Records):
    url: str
    engine: Engine


def _as(db: Session, username: str) -> Principal:
    user = db.scalars(select(User).where(User.username == username)).one()
    return principal_for(user, "session")


def _oversight(db: Session) -> Records:
    """_oversight records what the monitors saw and what people complained of."""
    [admitted] = custody.import_population(db, "CECOT", [Row(1, {
        "local_ref": "D-1", "family_name": "Doméstico", "given_names": "Test", "sex": "M",
        "date_of_birth": "1985-01-01", "legal_status": "convicted",
        "security_level": "medium", "admitted_on": "2024-06-11"})],
        actor="user:sv.warden", on=demo.DEMO_AS_OF)
    assert admitted.public_id is not None, admitted.errors
    transferee = db.scalars(select(Prisoner.public_id).where(
        Prisoner.kind == "transferee", Prisoner.status == "in_custody")
        .order_by(Prisoner.public_id)).first()
    assert transferee is not None
    visit = oversight.record_inspection(db, InspectionIn(
        facility_code="CECOT", visited_on=date(2026, 3, 10), announced=False,
        areas=["M1", "M2", "kitchen", "solitary confinement unit"],
        inspectors=["Inés Duarte", "Tomás Rivas"],
        summary="Unannounced visit. Cells seen in two modules; the solitary unit in use."),
        actor="user:monitor", today=AS_OF)
    answered = oversight.record_finding(db, visit.seq, FindingIn(
        text="No drinking water in cells of module M2 for two days.",
        recommendation="Restore the water supply and keep a reserve.", severity=Severity.HIGH,
        response_due=date(2026, 3, 31)), actor="user:monitor")
    overdue = oversight.record_finding(db, visit.seq, FindingIn(
        text="Solitary confinement used beyond 15 days without an independent review.",
        recommendation="End it, and have every such episode reviewed independently.",
        severity=Severity.CRITICAL, response_due=date(2026, 4, 10),
        people_concerned=[transferee]), actor="user:monitor")
    oversight.respond_to_finding(db, answered.seq, FindingResponseIn(
        text="The pump was repaired on 20 March.", decision=Decision.ACCEPTED,
        actions=["pump repaired", "a 5,000-litre reserve tank installed"],
        responded_on=date(2026, 3, 25)), by=_as(db, "sv.warden"), today=AS_OF)
    alleged = oversight.file_grievance(db, GrievanceIn(
        public_id=transferee, filed_by=FiledBy(role=FilerRole.MONITOR, name="Inés Duarte"),
        category=GrievanceCategory.TREATMENT_BY_STAFF,
        text="Says he was beaten during the night count.",
        alleges_ill_treatment=True, concerns_staff=["Custodio P. Gómez"]),
        by=_as(db, "monitor"))
    domestic = oversight.file_grievance(db, GrievanceIn(
        public_id=admitted.public_id,
        filed_by=FiledBy(role=FilerRole.STAFF, name="Carlos Menjívar"),
        category=GrievanceCategory.FOOD, text="Asks for a diet for his diabetes.",
        alleges_ill_treatment=False), by=_as(db, "sv.warden"))
    return Records(visit.seq, answered.seq, overdue.seq, transferee, alleged.seq,
                   domestic.seq)


def _live_and_record(engine: Engine) -> dict[str, int | str]:
    """_live_and_record: after the flights, a year of custody, then what oversight recorded
    (_oversight) — its seqs and the transferee's public id."""
    with unit_of_work(engine) as db:
        demo.simulate(db, until=AS_OF)
    with unit_of_work(engine) as db:
        return asdict(_oversight(db))


def _build(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """_build: a copy of the oversight year of the caller's own (built once per run, shared
    with tests/web/test_oversight_language.py)."""
    path, records = shared_template(tmp_path_factory, "oversight", _live_and_record,
                                    parent=template)
    return Site(**records, url="", engine=make_engine(f"sqlite:///{path}"))


def _status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def _csrf(page: Page) -> str:
    token = page.locator('input[name="csrf"]').first.get_attribute("value")
    assert token
    return token


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, flights_template: Path
         ) -> Iterator[Site]:
    built = _build(flights_template, tmp_path_factory)
    with running_server(built.engine) as url:
        yield replace(built, url=url)
    built.engine.dispose()


def test_the_report_lists_every_check_and_shows_zeros(browser: Browser, site: Site) -> None:
    with read_session(site.engine) as db:
        # What the U.S. officer may see: its own people only (DESIGN.md §12.1).
        lines = integrity.report(db, AS_OF,
                                 scope=integrity.scope_of(db, "sending", "USA")).lines
    zeros = [line.check for line in lines if line.count == 0]
    assert "no_final_conviction" in zeros and len(zeros) >= 6
    officer = log_in(browser, site.url, "us.officer")
    officer.get_by_role("link", name="Integrity").click()
    officer.get_by_label("As of").fill(AS_OF.isoformat())
    officer.get_by_role("button", name="Show").click()
    expect(officer).to_have_url(re.compile(rf"/integrity\?on={AS_OF}"))
    expect(officer.get_by_role("heading", level=1)).to_contain_text(
        f"as of {format_day(AS_OF, 'en')}")

    checks = officer.get_by_test_id("checks").locator("tbody")
    expect(checks).to_have_count(len(lines))
    for line in lines:
        row = officer.get_by_test_id(f"check-{line.check}")
        expect(row).to_contain_text(line.title)
        expect(row).to_contain_text(line.severity)
        expect(row).to_contain_text(line.citation)
        expect(row.get_by_test_id("count")).to_have_text(
            f"{line.count:,}" if line.count else "0 ✓")
    overdue = officer.get_by_test_id("check-finding_response_overdue")
    overdue.get_by_role("group").get_by_text("Who and what is behind").click()
    expect(overdue.get_by_role("link", name=f"#{site.overdue}", exact=True)).to_be_visible()
    expect(overdue).to_contain_text(f"finding {site.overdue} (critical) at CECOT: response due "
                                    "Apr 10, 2026, 20 day(s) overdue")
    # The sending state reads the report, but records nothing.
    expect(officer.get_by_role("button", name="Record today's report on the ledger")
           ).to_have_count(0)


def test_a_prolonged_solitary_line_drills_down_to_the_person_and_the_event(
        browser: Browser, site: Site) -> None:
    with read_session(site.engine) as db:
        unreviewed = [s for s in db.scalars(select(Solitary).order_by(Solitary.seq))
                      if s.ended_at and (s.ended_at - s.started_at).days
                      > PROLONGED_SOLITARY_DAYS and s.reviewed_by is None]
    [episode] = unreviewed
    monitor = log_in(browser, site.url, "monitor")
    monitor.goto(f"{site.url}/integrity?on={AS_OF}")
    line = monitor.get_by_test_id("check-prolonged_solitary")
    expect(line.get_by_test_id("count")).to_have_text("2")
    person = line.get_by_role("link", name=episode.public_id)
    event = line.get_by_role("link", name=f"#{episode.seq}")
    expect(person).to_be_hidden()
    line.get_by_text("Who and what is behind these 2").click()
    expect(line).to_contain_text(f"{episode.public_id}: 19 days from "
                                 f"{format_day(episode.started_at.date(), 'en')}; "
                                 "NO independent review")
    event.click()
    expect(monitor).to_have_url(f"{site.url}/events/{episode.seq}")
    expect(monitor.get_by_role("main")).to_contain_text("solitary.started")

    monitor.goto(f"{site.url}/integrity?on={AS_OF}")
    line.get_by_text("Who and what is behind these 2").click()
    person.click()
    expect(monitor).to_have_url(f"{site.url}/people/{episode.public_id}")
    expect(monitor.get_by_test_id("solitary").locator("tr.prolonged")).to_contain_text(
        "none on record")


def test_a_monitor_records_todays_report_and_the_receiving_state_may_not(
        browser: Browser, site: Site) -> None:
    warden = log_in(browser, site.url, "sv.warden")
    assert _status(warden, f"{site.url}/integrity") == 200
    expect(warden.get_by_role("button", name="Record today's report on the ledger")
           ).to_have_count(0)
    refused = warden.request.post(f"{site.url}/integrity/runs", form={"csrf": _csrf(warden)},
                                  max_redirects=0)
    assert refused.status == 403
    with read_session(site.engine) as db:
        before = db.scalar(select(func.count()).select_from(IntegrityRun)) or 0
    assert before == 1  # the demo's year ends with a recorded report

    monitor = log_in(browser, site.url, "monitor")
    monitor.goto(f"{site.url}/integrity")
    runs = monitor.get_by_test_id("runs").locator("tbody tr")
    expect(runs).to_have_count(before)
    monitor.get_by_role("button", name="Record today's report on the ledger").click()
    expect(monitor).to_have_url(re.compile(r"/integrity\?recorded=\d+$"))
    seq = int(monitor.url.rsplit("=", 1)[1])
    expect(monitor.get_by_role("status")).to_contain_text(
        f"Today's report is recorded on the ledger as event {seq}")
    with read_session(site.engine) as db:
        run = db.get_one(IntegrityRun, seq)
    expect(runs).to_have_count(before + 1)
    expect(runs.first).to_contain_text(f"#{seq}")
    expect(runs.first).to_contain_text(format_day(run.as_of, "en"))
    expect(runs.first).to_contain_text(run.sha256)
    expect(runs.first).to_contain_text("prolonged solitary 2")
    assert run.as_of == run.recorded_at.date()

    counsel = log_in(browser, site.url, "counsel")
    assert _status(counsel, f"{site.url}/integrity") == 403


def test_an_inspection_shows_its_findings_and_which_answer_is_overdue(
        browser: Browser, site: Site) -> None:
    monitor = log_in(browser, site.url, "monitor")
    monitor.get_by_role("link", name="Oversight").click()
    expect(monitor).to_have_url(f"{site.url}/inspections")
    with read_session(site.engine) as db:
        visits = len(oversight.list_inspections(db))
        overdue_now = len(oversight.overdue_findings(db, utcnow().date()))
    expect(monitor.get_by_test_id("overdue").locator("tbody tr")).to_have_count(overdue_now)
    expect(monitor.get_by_test_id("overdue").locator("tr", has_text="without an independent")
           ).to_contain_text("Apr 10, 2026")
    expect(monitor.get_by_test_id("inspections").locator("tbody tr")).to_have_count(visits)
    visit = monitor.get_by_test_id("inspections").locator("tbody tr", has_text="Mar 10, 2026")
    expect(visit).to_contain_text("unannounced")
    expect(visit).to_contain_text("Inés Duarte, Tomás Rivas")
    expect(visit).to_contain_text("1 overdue, 1 responded")
    visit.get_by_role("link", name="Mar 10, 2026").click()

    expect(monitor).to_have_url(f"{site.url}/inspections/{site.inspection}")
    expect(monitor.get_by_test_id("summary")).to_contain_text("Unannounced visit.")
    answered = monitor.get_by_test_id(f"finding-{site.answered}")
    expect(answered).to_contain_text("No drinking water")
    expect(answered.get_by_test_id("answer")).to_contain_text(
        "accepted on Mar 25, 2026 by user:sv.warden")
    expect(answered.get_by_test_id("answer")).to_contain_text("a 5,000-litre reserve tank")
    overdue = monitor.get_by_test_id(f"finding-{site.overdue}")
    expect(overdue).to_contain_text("critical")
    expect(overdue.get_by_test_id("answer")).to_contain_text(re.compile(r"days? overdue"))
    overdue.get_by_role("link", name=site.transferee).click()
    expect(monitor).to_have_url(f"{site.url}/people/{site.transferee}")

    assert _status(monitor, f"{site.url}/inspections/999999") == 404


def test_grievances_are_scoped_and_reading_one_is_recorded(browser: Browser,
                                                           site: Site) -> None:
    def reads(seq: int) -> int:
        with read_session(site.engine) as db:
            return db.scalar(select(func.count()).select_from(ReadAudit).where(
                ReadAudit.record_kind == "grievance", ReadAudit.record_id == str(seq),
                ReadAudit.channel == "web")) or 0

    with read_session(site.engine) as db:
        everyone = len(oversight.list_grievances(db, scope=None))
        americans = len(oversight.list_grievances(db, scope="USA"))
    assert everyone > americans
    monitor = log_in(browser, site.url, "monitor")
    monitor.goto(f"{site.url}/grievances")
    rows = monitor.get_by_test_id("grievances").locator("tbody tr")
    expect(rows).to_have_count(everyone)
    expect(rows.first).to_contain_text("food")  # the newest first
    alleged = rows.filter(has=monitor.get_by_role("link", name=str(site.alleged), exact=True))
    expect(alleged).to_contain_text("alleges ill-treatment, routed to the monitors")
    expect(monitor.get_by_test_id("grievances")).not_to_contain_text("beaten")
    before = reads(site.alleged)
    alleged.get_by_role("link", name=str(site.alleged), exact=True).click()
    expect(monitor).to_have_url(f"{site.url}/grievances/{site.alleged}")
    expect(monitor.get_by_test_id("text")).to_have_text(
        "Says he was beaten during the night count.")
    expect(monitor.get_by_test_id("routed")).to_be_visible()
    expect(monitor.get_by_test_id("grievance")).to_contain_text("Custodio P. Gómez")
    expect(monitor.get_by_test_id("status")).to_have_text("sent to the monitor")
    assert reads(site.alleged) == before + 1

    officer = log_in(browser, site.url, "us.officer")
    officer.goto(f"{site.url}/grievances")
    expect(officer.get_by_test_id("grievances").locator("tbody tr")).to_have_count(americans)
    expect(officer.get_by_test_id("grievances")).to_contain_text(site.transferee)
    assert _status(officer, f"{site.url}/grievances/{site.alleged}") == 200
    assert _status(officer, f"{site.url}/grievances/{site.domestic}") == 404
    assert reads(site.domestic) == 0


def test_counsel_may_not_open_oversight_pages(browser: Browser, site: Site) -> None:
    counsel = log_in(browser, site.url, "counsel")
    expect(counsel.get_by_role("navigation", name="Main")).not_to_contain_text("Oversight")
    for path in ("/inspections", f"/inspections/{site.inspection}", "/grievances",
                 f"/grievances/{site.alleged}"):
        assert _status(counsel, site.url + path) == 403, path
