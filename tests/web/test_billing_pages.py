"""In a real browser: invoices with their drill-down, a payment, a dispute accepted into a
credit note, the PDF download, and the sustainability report with its chart.

One SQLite database per module holds the demo after its two flights (10 and 12 April
2025), two domestic prisoners, and the invoices for April (issued 2 May 2025) and May
(issued 1 June 2025). Tests that change an invoice each use their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select

from habeas.billing import document, issuing, reads, report
from habeas.billing.models import CreditNote, Invoice
from habeas.custody import service as custody
from habeas.db import make_engine, read_session, unit_of_work, utcnow
from habeas.ledger.models import Event
from habeas.nominations.service import Row
from tests.conftest import shared_template
from tests.servers import running_server
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser

REF = "USA-SLV-2025"


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine
    april: int  # invoice seqs
    may: int


def _invoice_april_and_may(engine: Engine) -> dict[str, int]:
    """_invoice_april_and_may: after the flights, two domestic prisoners admitted and the
    invoices for April and May issued; their seqs."""
    rows = [Row(i + 1, {"local_ref": f"D-{i + 1}", "family_name": "Doméstico",
                        "given_names": f"Preso {i + 1}", "sex": "M",
                        "date_of_birth": "1985-01-01", "legal_status": "convicted",
                        "security_level": "medium", "admitted_on": "2024-06-11"})
            for i in range(2)]
    with unit_of_work(engine) as db:
        custody.import_population(db, "CECOT", rows, actor="user:sv.warden",
                                  on=date(2025, 4, 1))
        april = issuing.issue_invoice(db, REF, "2025-04", actor="user:sv.warden", party="SLV",
                                      today=date(2025, 5, 2)).seq
        may = issuing.issue_invoice(db, REF, "2025-05", actor="user:sv.warden", party="SLV",
                                    today=date(2025, 6, 1)).seq
    return {"april": april, "may": may}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, flights_template: Path) -> Iterator[Site]:
    """site: this module's copy of the invoiced demo (built once per run), served."""
    path, seqs = shared_template(tmp_path_factory, "invoiced", _invoice_april_and_may,
                                 parent=flights_template)
    engine = make_engine(f"sqlite:///{path}")
    with running_server(engine) as url:
        yield Site(url, engine, **seqs)
    engine.dispose()


def _invoice(site: Site, seq: int) -> Invoice:
    with read_session(site.engine) as db:
        return reads.get_invoice(db, seq)


def _status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def usd(minor: int) -> str:
    return document.money(minor, "USD")


def test_the_list_shows_each_invoice_with_balance_and_ageing(browser: Browser,
                                                             site: Site) -> None:
    april = _invoice(site, site.april)
    officer = log_in(browser, site.url, "us.officer")
    officer.get_by_role("link", name="Billing").click()
    expect(officer).to_have_url(f"{site.url}/billing/invoices")
    rows = officer.get_by_test_id("invoices").locator("tbody tr")
    expect(rows).to_have_count(2)
    row = officer.get_by_test_id(f"invoice-{site.april}")
    expect(row).to_contain_text(april.number)
    expect(row).to_contain_text("Apr 2025")  # the period, as the reader's language names it
    expect(row).to_contain_text(usd(april.total_minor))
    expect(row.get_by_test_id("balance")).to_have_text(usd(april.balance_minor))
    expect(row.get_by_test_id("ageing")).to_contain_text(
        reads.ageing(april, utcnow().date()))
    officer.get_by_label("Agreement").select_option(REF)
    officer.get_by_role("button", name="Show").click()
    expect(officer).to_have_url(re.compile(rf"agreement={REF}$"))
    expect(rows).to_have_count(2)
    officer.goto(f"{site.url}/billing/invoices?agreement=NONE")
    expect(officer.get_by_test_id("invoices")).to_contain_text("No invoice issued under NONE")


def test_a_line_drills_down_to_the_person_and_the_ledger_events(browser: Browser,
                                                                site: Site) -> None:
    april = _invoice(site, site.april)
    line = april.lines[0]
    monitor = log_in(browser, site.url, "monitor")
    monitor.goto(f"{site.url}/billing/invoices")
    monitor.get_by_role("link", name=april.number, exact=True).click()
    expect(monitor).to_have_url(f"{site.url}/billing/invoices/{site.april}")
    expect(monitor.get_by_role("heading", level=1)).to_contain_text(april.number)
    row = monitor.get_by_test_id(f"line-{line['line']}")
    expect(row).to_contain_text(line["name"])
    expect(row).to_contain_text(f"{line['days']}")
    expect(row).to_contain_text(usd(line["amount_minor"]))
    expect(monitor.get_by_test_id("total")).to_have_text(usd(april.total_minor))
    row.get_by_role("link", name=f"#{line['handover_seq']}").click()
    expect(monitor).to_have_url(f"{site.url}/events/{line['handover_seq']}")
    expect(monitor.get_by_role("main")).to_contain_text("custody.handed_over")
    monitor.go_back()
    row.get_by_role("link", name=line["public_id"]).click()
    expect(monitor).to_have_url(f"{site.url}/people/{line['public_id']}")
    # The monitor reads; the payment and dispute forms are not theirs.
    monitor.goto(f"{site.url}/billing/invoices/{site.april}")
    expect(monitor.get_by_role("button", name="Record payment")).to_have_count(0)
    expect(monitor.get_by_role("button", name="Dispute the line")).to_have_count(0)


def test_a_payment_is_recorded_and_a_bad_amount_is_named(browser: Browser,
                                                         site: Site) -> None:
    before = _invoice(site, site.april)
    officer = log_in(browser, site.url, "us.officer")
    officer.goto(f"{site.url}/billing/invoices/{site.april}")
    form = officer.get_by_role("form", name="Record a payment")
    form.get_by_label("Amount (USD)").fill(document.money(before.balance_minor + 1, "USD")
                                           .split("\u00a0")[1])
    form.get_by_label("Received on").fill("2025-05-20")
    form.get_by_label("Reference").fill("Fedwire 20250520-001")
    form.get_by_role("button", name="Record payment").click()
    error = officer.get_by_test_id("payment-error")
    expect(error).to_contain_text("amount")
    expect(error).to_contain_text("more than the balance")
    expect(officer.get_by_label("Amount (USD)")).to_have_attribute("aria-invalid", "true")
    expect(officer.get_by_label("Reference")).to_have_value("Fedwire 20250520-001")

    officer.get_by_label("Amount (USD)").fill("1000.00")
    officer.get_by_role("button", name="Record payment").click()
    expect(officer).to_have_url(re.compile(rf"/billing/invoices/{site.april}\?recorded=\d+"))
    expect(officer.get_by_test_id("recorded")).to_contain_text("Recorded on the custody ledger")
    expect(officer.get_by_test_id("payments")).to_contain_text("Fedwire 20250520-001")
    expect(officer.get_by_test_id("paid")).to_have_text(usd(100_000))
    expect(officer.get_by_test_id("balance")).to_have_text(usd(before.balance_minor - 100_000))
    assert _invoice(site, site.april).paid_minor == before.paid_minor + 100_000


def test_a_disputed_line_accepted_becomes_a_credit_note(browser: Browser, site: Site) -> None:
    may = _invoice(site, site.may)
    line = may.lines[1]
    officer = log_in(browser, site.url, "us.officer")
    officer.goto(f"{site.url}/billing/invoices/{site.may}")
    form = officer.get_by_role("form", name="Dispute a line")
    form.get_by_label("Line").select_option(str(line["line"]))
    form.get_by_label("Reason").fill("He was returned to the United States on 2 May.")
    form.get_by_role("button", name="Dispute the line").click()
    expect(officer).to_have_url(re.compile(r"\?recorded=\d+#dispute$"))
    seq = int(re.findall(r"recorded=(\d+)", officer.url)[0])
    dispute = officer.get_by_test_id(f"dispute-{seq}")
    expect(dispute.get_by_test_id("dispute-status")).to_have_text("open")
    expect(dispute).to_contain_text(line["name"])
    # The sending state may not decide its own dispute.
    expect(officer.get_by_role("button", name="Accept and credit the line")).to_have_count(0)

    warden = log_in(browser, site.url, "sv.warden")
    warden.goto(f"{site.url}/billing/invoices/{site.may}")
    decide = warden.get_by_test_id(f"dispute-{seq}")
    decide.get_by_label("Reason for accepting").fill("   ")
    decide.get_by_role("button", name="Accept and credit the line").click()
    expect(warden.get_by_test_id(f"decide-{seq}-error")).to_contain_text("reason")
    warden.get_by_test_id(f"dispute-{seq}").get_by_label("Reason for accepting").fill(
        "The return is on the ledger.")
    warden.get_by_test_id(f"dispute-{seq}").get_by_role(
        "button", name="Accept and credit the line").click()
    expect(warden.get_by_test_id(f"dispute-{seq}").get_by_test_id("dispute-status")
           ).to_have_text("dispute accepted")
    [note] = _credit_notes(site, site.may)
    notes = warden.get_by_test_id("credit-notes")
    expect(notes).to_contain_text(note.number)
    expect(notes).to_contain_text(f"line {line['line']}: {usd(-line['amount_minor'])}")
    expect(warden.get_by_test_id("credited")).to_have_text(usd(-line["amount_minor"]))
    expect(warden.get_by_test_id("balance")).to_have_text(
        usd(may.total_minor - line["amount_minor"] - may.paid_minor))
    with read_session(site.engine) as db:
        assert db.get_one(Event, note.seq).type == "credit_note.issued"


def _credit_notes(site: Site, seq: int) -> list[CreditNote]:
    with read_session(site.engine) as db:
        return reads.credit_notes_of(db, seq)


def test_the_pdf_downloads_as_the_same_invoice(browser: Browser, site: Site,
                                               tmp_path: Path) -> None:
    april = _invoice(site, site.april)
    officer = log_in(browser, site.url, "us.officer")
    officer.goto(f"{site.url}/billing/invoices/{site.april}")
    with officer.expect_download() as caught:
        officer.get_by_test_id("pdf").click()
    download = caught.value
    assert download.suggested_filename == "USA-SLV-2025-0001.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF")
    doc = pdfium.PdfDocument(pdf)
    try:
        first = doc[0]
        text = first.get_textpage()
        words = " ".join(text.get_text_range().split())
        text.close()
        first.close()
    finally:
        doc.close()
    assert april.number in words and april.lines[0]["name"].split()[0] in words


def test_the_sustainability_report_draws_its_chart_from_its_table(browser: Browser,
                                                                  site: Site) -> None:
    with read_session(site.engine) as db:
        measured = report.sustainability_report(db, "2025-04", today=utcnow().date())
    monitor = log_in(browser, site.url, "monitor")
    monitor.goto(f"{site.url}/billing/invoices")
    monitor.get_by_role("link", name="sustainability report").click()
    expect(monitor).to_have_url(f"{site.url}/billing/sustainability")
    monitor.get_by_label("Period (YYYY-MM or YYYY)").fill("2025-04")
    monitor.get_by_role("button", name="Show").click()
    expect(monitor).to_have_url(re.compile(r"period=2025-04"))
    expect(monitor.get_by_test_id("revenue")).to_have_text(usd(measured.total.revenue_minor))
    expect(monitor.get_by_test_id("cost")).to_have_text(
        usd(measured.total.operating_cost_minor))
    chart = monitor.get_by_role("img", name="Fee revenue against the facility's operating "
                                           "cost, Apr 2025")
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text(
        f"revenue {usd(measured.total.revenue_minor)}")
    expect(chart.locator("rect[fill='#1f6f3f']").first).to_be_visible()
    month = monitor.get_by_test_id("month-2025-04")
    expect(month).to_contain_text(f"{measured.total.person_days:,}")
    expect(month).to_contain_text(usd(measured.total.operating_cost_minor))
    expect(monitor.get_by_test_id("reported-price")).to_have_text(usd(2_000_000))
    expect(monitor.get_by_test_id("sources")).to_contain_text("President Bukele, March 2025")

    monitor.get_by_label("Period (YYYY-MM or YYYY)").fill("2025-4")
    monitor.get_by_role("button", name="Show").click()
    expect(monitor.get_by_test_id("report-error")).to_contain_text("period")
    expect(monitor.get_by_label("Period (YYYY-MM or YYYY)")).to_have_attribute(
        "aria-invalid", "true")

    monitor.goto(f"{site.url}/billing/sustainability?period=2025")
    expect(monitor.get_by_test_id("months").locator("tbody tr")).to_have_count(12)
    expect(monitor.get_by_test_id("chart").locator("rect")).to_have_count(12 * 2 + 2)


def test_counsel_may_not_open_billing_pages(browser: Browser, site: Site) -> None:
    counsel = log_in(browser, site.url, "counsel")
    expect(counsel.get_by_role("navigation", name="Main")).not_to_contain_text("Billing")
    for path in ("/billing/invoices", f"/billing/invoices/{site.april}",
                 f"/billing/invoices/{site.april}.pdf", "/billing/sustainability"):
        assert _status(counsel, site.url + path) == 403, path
    with read_session(site.engine) as db:
        assert db.scalar(select(Invoice.seq).where(Invoice.seq == site.april))
