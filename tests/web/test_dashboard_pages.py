"""In a real browser: each role's home page draws its charts with the vendored Chart.js
(fetched from /api/v1/dashboard/…, no inline script), each beside its figures as text;
and the header search finds a person and opens their file.

One SQLite database for the module: the lived demo of tests/conftest.py, to the end of July
2025 (people housed, released and returned, invoices paid, an integrity run recorded; a second
agreement, Costa Rica's, with nobody nominated under it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select

from habeas import demo
from habeas.custody.models import Prisoner
from habeas.db import make_engine, read_session
from habeas.locator.normalise import name_key
from tests.servers import running_server
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser

CHARTS = {
    "admin": ["population", "nominations", "integrity"],
    "us.officer": ["nominations", "billing", "population", "integrity"],
    "sv.warden": ["population", "nominations", "billing", "integrity"],
    "counsel": ["holds", "population"],
    "monitor": ["integrity", "population", "nominations", "billing", "holds"],
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, lived_template: Engine
         ) -> Iterator[tuple[str, Prisoner]]:
    """site: a copy of tests/conftest.py's lived demo (built once per run), served."""
    assert lived_template.url.database is not None
    path = tmp_path_factory.mktemp("dashboards") / "lived.db"
    shutil.copyfile(lived_template.url.database, path)
    engine = make_engine(f"sqlite:///{path}")
    with read_session(engine) as db:
        person = db.scalars(select(Prisoner).where(Prisoner.status == "in_custody")
                            .order_by(Prisoner.public_id)).first()
        assert person is not None
        db.expunge(person)
    with running_server(engine) as url:
        yield url, person
    engine.dispose()


def _watched(browser: Browser, url: str, username: str) -> tuple[Page, list[str]]:
    page = log_in(browser, url, username)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page, problems


@pytest.mark.parametrize("username", sorted(CHARTS))
def test_the_home_page_draws_the_roles_charts_beside_their_figures(
        browser: Browser, site: tuple[str, Prisoner], username: str) -> None:
    url, _ = site
    page, problems = _watched(browser, url, username)
    page.goto(url + "/")
    panels = page.locator("[data-testid^='panel-']")
    expect(panels).to_have_count(len(CHARTS[username]))
    assert [panels.nth(i).get_attribute("data-testid")
            for i in range(panels.count())] == [f"panel-{k}" for k in CHARTS[username]]
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() == len(CHARTS[username])  # the lived demo has data for each
    for i in range(canvases.count()):
        canvas = canvases.nth(i)
        expect(canvas).to_have_attribute("data-drawn", "true")
        drawn = canvas.evaluate("c => { const chart = window.Chart.getChart(c);"
                                " return chart ? [chart.config.type, c.width, c.height,"
                                " chart.data.datasets.length] : null; }")
        assert drawn is not None, canvas.get_attribute("data-chart")
        _, width, height, datasets = drawn
        assert width > 0 and height > 0 and datasets > 0, drawn
        assert canvas.get_attribute("aria-label")
    # The text alternative: the figures as tables and summary numbers, visible.
    if "population" in CHARTS[username]:
        expect(page.get_by_test_id("summary-population")).to_contain_text("40,000")
    if "nominations" in CHARTS[username]:
        expect(page.get_by_test_id("table-nominations")).to_contain_text("400")
    if "integrity" in CHARTS[username]:
        expect(page.get_by_test_id("table-integrity")).to_contain_text(
            "Held without a final conviction")
    if "billing" in CHARTS[username]:
        expect(page.get_by_test_id("table-billing")).to_contain_text("USD")
    if "holds" in CHARTS[username]:
        expect(page.get_by_test_id("table-holds")).to_contain_text(
            "temporary restraining order")
    assert problems == [], problems
    page.close()


def test_a_failing_rule_opens_the_nominations_that_fail_it(
        browser: Browser, site: tuple[str, Prisoner]) -> None:
    url, _ = site
    page = log_in(browser, url, "us.officer")
    link = page.locator("a[href^='/nominations?rule=']").first
    rule = link.inner_text()
    link.click()
    expect(page.get_by_label("Rule failed")).to_have_value(rule)
    failed = page.locator("table tbody tr td:nth-child(5)")  # the rules each row failed
    assert failed.count() > 0
    assert all(rule in text for text in failed.all_inner_texts())
    page.close()


def test_the_figures_are_there_without_javascript(browser: Browser,
                                                  site: tuple[str, Prisoner]) -> None:
    url, _ = site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "/login")
    page.get_by_label("User name").fill("monitor")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("summary-integrity")).to_be_visible()
    expect(page.get_by_test_id("table-nominations")).to_contain_text("400")
    context.close()


def test_the_header_search_finds_a_person_and_opens_their_file(
        browser: Browser, site: tuple[str, Prisoner]) -> None:
    url, person = site
    page, problems = _watched(browser, url, "us.officer")
    box = page.get_by_role("searchbox", name="Search people, nominations, court orders, "
                                             "invoices")
    box.fill(name_key(f"{person.given_names} {person.family_name}").upper())
    box.press("Enter")
    people = page.get_by_test_id("results-people")
    link = people.get_by_role("link", name=f"{person.given_names} {person.family_name}")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(f"{url}/people/{person.public_id}")
    expect(page.locator("h1")).to_contain_text(person.family_name)
    assert problems == [], problems
    page.close()
