"""In a real browser: an event's inclusion proof is recomputed with Web Crypto and marked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.conftest import Ledger
from tests.factories import DEMO_EVENTS
from tests.servers import running_server
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def ledger_server(ledger: Ledger) -> Iterator[str]:
    with running_server(ledger.engine) as url:
        yield url


def test_event_proof_is_verified_in_the_browser(browser: Browser, ledger_server: str) -> None:
    page = log_in(browser, ledger_server, "monitor")
    page.get_by_role("link", name="Ledger").click()
    expect(page.get_by_role("heading", name="Custody ledger")).to_be_visible()
    expect(page.get_by_test_id("vkey")).to_contain_text("habeas.invalid/custody-ledger+")
    page.get_by_label("Look up event number").fill("3")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(ledger_server + "/events/3")
    expect(page.get_by_test_id("proof-status")).to_have_text(
        f"verified in checkpoint {DEMO_EVENTS}")


def test_a_tampered_proof_is_flagged(browser: Browser, ledger_server: str) -> None:
    page = log_in(browser, ledger_server, "monitor")

    def corrupt(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace('data-index="3"', 'data-index="4"')
        route.fulfill(response=response, body=body)

    page.route("**/events/3", corrupt)
    page.goto(ledger_server + "/events/3")
    expect(page.get_by_test_id("proof-status")).to_have_text(
        f"DOES NOT VERIFY against checkpoint {DEMO_EVENTS}")
