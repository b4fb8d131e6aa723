"""A live server on the demo database and real headless Chromium (Debian's /usr/bin/chromium).

Playwright's Python package drives the system browser through
`executable_path`; its own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from tests.conftest import shared_template
from tests.servers import running_server

CHROMIUM = os.environ.get("HABEAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture
def live_server(demo_engine: Engine) -> Iterator[str]:
    with running_server(demo_engine) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(browser: Browser, url: str, username: str) -> Page:
    """log_in opens a page logged in as a demo user."""
    from playwright.sync_api import expect

    from habeas.demo import DEMO_PASSWORD

    page = browser.new_page()
    page.goto(url + "/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("who")).to_be_visible()
    return page


def fly_the_demo(engine: Engine) -> None:
    """fly_the_demo: the demo loaded, its people nominated and flown in its two flights."""
    from habeas import demo
    from habeas.db import unit_of_work

    with unit_of_work(engine) as db:
        demo.load(db)
        demo.nominate(db)
        demo.transfer(db)


@pytest.fixture(scope="session")
def flights_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """flights_template: a SQLite file with the demo up to the two flights, built once per
    run (tests/conftest.py's shared_template)."""
    return shared_template(tmp_path_factory, "flights", fly_the_demo)[0]


def live_a_year(engine: Engine) -> None:
    """live_a_year: the demo (20 of the domestic population, the consulates) lived to the end
    of October 2025 — people housed and released, oversight, invoices and disputes — and a
    renewal the United States proposed, awaiting El Salvador (its basis typed by someone)."""
    from habeas import demo
    from habeas.agreements import service as agreements
    from habeas.db import unit_of_work

    with unit_of_work(engine) as db:
        demo.load(db)
        demo.nominate(db)
        demo.populate(db, count=20)
        demo.consulates(db)
        demo.transfer(db)
    with unit_of_work(engine) as db:
        demo.simulate(db, until=date(2025, 10, 31))
    with unit_of_work(engine) as db:
        agreements.propose_renewal(db, "USA-SLV-2025", months=12, basis="Exchange of notes",
                                   actor="user:us.officer", party="USA")


@pytest.fixture(scope="session")
def year_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """year_template: a SQLite file with the demo year (live_a_year), built once per run:
    test_security injects markup into a copy, test_accessibility audits another."""
    return shared_template(tmp_path_factory, "year", live_a_year)[0]


def after_the_flights(template: Path, path: Path) -> Engine:
    """after_the_flights: a private copy of the flights template, for one test module."""
    from habeas.db import make_engine

    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")
