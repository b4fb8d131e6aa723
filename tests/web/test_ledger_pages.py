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
        f"does not match checkpoint {DEMO_EVENTS}")


def test_the_browser_shows_the_hashes_it_computed(browser: Browser, ledger_server: str
                                                  ) -> None:
    page = log_in(browser, ledger_server, "monitor")
    page.goto(ledger_server + "/events/5")
    expect(page.get_by_test_id("proof-status")).to_have_text(
        f"verified in checkpoint {DEMO_EVENTS}")
    expect(page.get_by_role("status")).to_have_attribute("aria-live", "polite")
    expect(page.get_by_test_id("computed-leaf-hash")).to_have_text(
        page.get_by_test_id("leaf-hash").inner_text())


@pytest.mark.parametrize("attribute", ["proof", "leaf"])
def test_a_proof_altered_in_the_page_does_not_match_when_checked_again(
        browser: Browser, ledger_server: str, attribute: str) -> None:
    page = log_in(browser, ledger_server, "monitor")
    page.goto(ledger_server + "/events/3")
    status = page.get_by_test_id("proof-status")
    expect(status).to_have_text(f"verified in checkpoint {DEMO_EVENTS}")
    # Flip one bit of the first audit-path hash, or one character of the leaf.
    page.evaluate("""(attribute) => {
        const el = document.querySelector("[data-inclusion]");
        if (attribute === "proof") {
            const [first, ...rest] = el.dataset.proof.split(",");
            const bytes = Uint8Array.from(atob(first), (c) => c.charCodeAt(0));
            bytes[0] ^= 1;
            el.dataset.proof = [btoa(String.fromCharCode(...bytes)), ...rest].join(",");
        } else {
            el.dataset.leaf = el.dataset.leaf.replace('"seq":3', '"seq":4');
        }
    }""", attribute)
    page.get_by_role("button", name="Check again").click()
    expect(status).to_have_text(f"does not match checkpoint {DEMO_EVENTS}")
    expect(status).to_have_class("bad")


def test_the_ledger_links_to_the_verifier_instructions(browser: Browser,
                                                       ledger_server: str) -> None:
    page = log_in(browser, ledger_server, "monitor")
    page.goto(ledger_server + "/log")
    with page.expect_download() as download:
        page.get_by_role("link", name="download the verifier instructions").click()
    assert download.value.suggested_filename == "habeas-verify-the-ledger.md"
    page.get_by_test_id("verify-instructions").click()
    expect(page.locator("body")).to_contain_text("habeas ledger verify")
