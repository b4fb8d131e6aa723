"""In a real browser: import, filter, read the rule trace, serve notice, accept, court orders."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.screening.factories import nomination
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser


def test_the_life_of_a_nomination_in_the_browser(browser: Browser, live_server: str,
                                                 tmp_path: Path) -> None:
    records = [nomination(external_ref="W-1").model_dump(mode="json"),
               nomination(external_ref="W-2", **{"person.date_of_birth": "2010-02-02"}
                          ).model_dump(mode="json")]
    upload = tmp_path / "nominations.jsonl"
    upload.write_text("\n".join([json.dumps(r) for r in records] + ['{"external_ref": 1}']))

    officer = log_in(browser, live_server, "us.officer")
    officer.get_by_role("link", name="Nominations").click()
    officer.get_by_role("link", name="Import a nomination file").click()
    officer.get_by_label("Nomination file").set_input_files(str(upload))
    officer.get_by_label("Screen as of (default today)").fill("2025-03-01")
    officer.get_by_role("button", name="Import").click()
    expect(officer.get_by_test_id("summary")).to_have_text(
        "rows 3, eligible 1, ineligible 1, review 0, invalid 1, unchanged 0")

    officer.goto(live_server + "/nominations")
    officer.get_by_label("Rule failed").select_option("ADULT")
    officer.get_by_role("button", name="Filter").click()
    expect(officer.get_by_test_id("count")).to_have_text("1 nomination")
    officer.get_by_role("link", name="W-2").click()
    expect(officer.get_by_test_id("decision")).to_have_text("ineligible")
    expect(officer.get_by_test_id("trace")).to_contain_text("CRC art. 37; Mandela Rule 11(d)")

    officer.goto(live_server + "/nominations?decision=eligible")
    officer.get_by_role("link", name="W-1").click()
    # Imported today, so served today: never before the nomination (DESIGN.md §12.2).
    officer.get_by_label("Served on").fill(date.today().isoformat())
    # By role: the header's language switch is labelled "Language" too.
    officer.get_by_role("textbox", name="Language").fill("en")
    officer.get_by_role("button", name="Record notice").click()
    expect(officer.get_by_role("alert")).to_contain_text("person's language ('es')")
    officer.get_by_role("textbox", name="Language").fill("es")
    officer.get_by_role("button", name="Record notice").click()
    expect(officer.get_by_test_id("notice-text")).to_contain_text("AVISO DE TRASLADO PROPUESTO")
    w1 = officer.url

    warden = log_in(browser, live_server, "sv.warden")
    warden.goto(w1)
    warden.get_by_role("button", name="Accept").click()  # today: after the one-year term
    expect(warden.get_by_role("alert")).to_contain_text("after the agreement's term")
    # Backdating the acceptance into the term is refused: the nomination was recorded today
    # (causal order, DESIGN.md §12.2), so nobody is accepted after the agreement's term.
    warden.get_by_label("Accept on").fill("2025-03-20")
    warden.get_by_role("button", name="Accept").click()
    expect(warden.get_by_role("alert")).to_contain_text("was nominated")
    expect(warden.get_by_test_id("status")).not_to_contain_text("accepted")
    warden.goto(live_server + "/nominations?decision=ineligible")
    warden.get_by_role("link", name="W-2").click()
    warden.get_by_label("Reason for rejecting").fill("a minor (CRC art. 37)")
    warden.get_by_role("button", name="Reject").click()
    expect(warden.get_by_test_id("status")).to_have_text(
        "rejected by the receiving state — a minor (CRC art. 37)")

    # The sending state's legal role registers and lifts (counsel would need to appear).
    counsel = log_in(browser, live_server, "us.officer")
    counsel.get_by_role("link", name="Court orders").click()
    counsel.get_by_label("Reference", exact=True).fill("1:25-cv-09999")
    counsel.get_by_label("Court", exact=True).fill("U.S. District Court for D.C.")
    counsel.get_by_label("Issued").fill("2025-02-01")
    counsel.get_by_label("Covers").select_option("external_ref")
    counsel.get_by_label("Who").fill("W-2")
    counsel.get_by_role("button", name="Register").click()
    expect(counsel.get_by_role("status")).to_contain_text(
        "Court order 1:25-cv-09999 registered")
    expect(counsel.locator("table")).to_contain_text("person W-2")
    counsel.get_by_label("Reason").fill("order vacated")
    counsel.get_by_label("Lifting court document").fill("Order vacating the TRO, ECF 31")
    counsel.get_by_role("button", name="Lift").click()
    expect(counsel.get_by_role("status")).to_contain_text("Court order 1:25-cv-09999 lifted")
    expect(counsel.locator("table")).to_contain_text("lifted")
