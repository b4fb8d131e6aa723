"""In a real browser (headless Chromium), on both engines: the sending state proposes renewing
the agreement from its page, and only the receiving state's acceptance puts it in force
(DESIGN.md §12.1). The proposer is offered no way to accept its own proposal; the page stays
usable at a phone's width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from habeas.agreements.models import Agreement, AgreementChange
from habeas.db import read_session
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def _term(engine: Engine) -> int:
    with read_session(engine) as db:
        return db.get_one(Agreement, "USA-SLV-2025").term_months


def test_a_renewal_proposed_by_one_state_is_accepted_by_the_other(
        browser: Browser, live_server: str, demo_engine: Engine) -> None:
    months = _term(demo_engine)
    sending = log_in(browser, live_server, "us.officer")
    sending.set_viewport_size(PHONE)
    sending.get_by_test_id("agreement-link").first.click()
    expect(sending.get_by_role("heading", name="Proposed changes")).to_be_visible()
    # Nothing wider than the phone: the forms fold into one column.
    assert sending.evaluate("document.querySelector('main').scrollWidth"
                            " <= document.querySelector('main').clientWidth + 1")
    sending.get_by_label("Extend the term by (months)").fill("6")
    sending.locator("#renewal-basis").fill("Exchange of notes of 2 December 2026")
    sending.get_by_role("button", name="Propose the renewal").click()
    expect(sending.get_by_test_id("done")).to_contain_text("only once the other state")
    pending = sending.get_by_test_id("pending")
    expect(pending).to_contain_text("Exchange of notes of 2 December 2026")
    expect(pending.get_by_role("button", name="Accept")).to_have_count(0)
    expect(pending.get_by_role("button", name="Withdraw")).to_have_count(1)
    assert _term(demo_engine) == months
    sending.close()

    receiving = log_in(browser, live_server, "sv.warden")
    receiving.set_viewport_size(PHONE)
    receiving.goto(live_server + "/agreements/USA-SLV-2025")
    receiving.get_by_test_id("pending").get_by_role("button", name="Accept").click()
    expect(receiving.get_by_test_id("done")).to_contain_text("in force from now")
    expect(receiving.get_by_test_id("past")).to_contain_text("accepted by the other state")
    expect(receiving.get_by_test_id("term")).to_contain_text(f"{months + 6} months")
    with read_session(demo_engine) as db:
        change = db.scalars(select(AgreementChange)).one()
    assert (change.status, change.proposed_party, change.decided_party) == (
        "accepted", "USA", "SLV")
    assert _term(demo_engine) == months + 6
    receiving.close()
