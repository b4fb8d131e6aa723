"""A live server on the demo database and real headless Chromium (Debian's /usr/bin/chromium).

Playwright's Python package drives the system browser through
`executable_path`; its own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

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


@pytest.fixture(scope="session")
def flights_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """flights_template: a SQLite file with the demo up to the two flights, built once."""
    from habeas import demo
    from habeas.db import make_engine, unit_of_work
    from habeas.migrate import upgrade

    path = tmp_path_factory.mktemp("flights") / "flights.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with unit_of_work(engine) as db:
        demo.load(db)
        demo.nominate(db)
        demo.transfer(db)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def after_the_flights(template: Path, path: Path) -> Engine:
    """after_the_flights: a private copy of the flights template, for one test module."""
    from habeas.db import make_engine

    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")
