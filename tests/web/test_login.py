"""In a real browser: log in, see the home page, log out; a wrong password shows an error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from habeas.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_log_in_see_home_log_out(browser: Browser, live_server: str) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/login")
    page.get_by_label("User name").fill("sv.warden")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(live_server + "/")
    expect(page.get_by_test_id("who")).to_contain_text("Carlos Menjívar")
    # The agreement's card, after the role's dashboards (their own headings).
    expect(page.get_by_role("heading", level=2, name="Agreement on the custody")).to_be_visible()
    expect(page.get_by_test_id("signed-capacity")).to_have_text("40,000")
    expect(page.locator("table.standards")).to_contain_text("0.64 m²")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server + "/login")
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/login")
    assert problems == [], problems  # e.g. a CSP violation would show here


def test_wrong_password_shows_an_error(browser: Browser, live_server: str) -> None:
    page = browser.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("User name")).to_have_value("admin")


def test_keyboard_only_login(browser: Browser, live_server: str) -> None:
    page = browser.new_page()
    page.goto(live_server + "/login")
    # Skip link, brand, the language switch, then the form's first field.
    for _ in range(4):
        page.keyboard.press("Tab")
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type("monitor")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("who")).to_contain_text("Inés Duarte")

