"""The billing pages over HTTP, without a browser: in Spanish (issue 9: words, dates, numbers
and money per locale, the invoice PDF too), a payment form posted twice records one
payment, and the invoices and an invoice's lines come a page at a time.

The scenario is tests/billing/test_report.py's: April's invoice (two custody lines, a
credit note of USD 100.00 on line 1), and May's.
"""

from __future__ import annotations

import re
import threading
from datetime import date

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, func, select

from habeas import i18n
from habeas.app import create_app
from habeas.billing import document, issuing, reads, report
from habeas.billing.models import Payment
from habeas.db import read_session, unit_of_work
from habeas.ledger.models import Event
from habeas.web import billing as pages
from habeas.web import paging
from tests.billing.test_report import REF, domestic, held, invoiced
from tests.web.test_security import log_in

NBSP = "\u00a0"


@pytest.fixture
def april(demo_engine: Engine) -> int:
    """april: the seq of April's invoice; May's is issued after it."""
    held(demo_engine)
    domestic(demo_engine)
    seq = invoiced(demo_engine)
    with unit_of_work(demo_engine) as s:
        issuing.issue_invoice(s, REF, "2025-05", actor="user:sv.warden", party="SLV",
                              today=date(2025, 6, 2))
    return seq


def _client(engine: Engine, username: str) -> TestClient:
    client = TestClient(create_app(engine))
    assert log_in(client, username).status_code == 303
    return client


def _text(html: str) -> str:
    """_text is what a reader reads of HTML: the words, spaces folded (not the no-break
    spaces the amounts and percentages hold)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _pdf_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()
    return " ".join(" ".join(pages).split()).replace(NBSP, " ")


# --- in Spanish --------------------------------------------------------------------------


def test_the_billing_pages_speak_spanish_with_spanish_money_and_dates(
        demo_engine: Engine, april: int) -> None:
    client = _client(demo_engine, "us.officer")
    before = set(i18n.untranslated("es"))
    listed = _text(client.get("/billing/invoices?lang=es").text)
    invoice = _text(client.get(f"/billing/invoices/{april}?lang=es").text)
    month = _text(client.get("/billing/sustainability?period=2025-04&lang=es").text)
    year = client.get("/billing/sustainability?period=2025&lang=es")
    assert year.status_code == 200
    assert i18n.untranslated("es") - before == set()  # nothing asked for was missing

    assert "Facturas" in listed and "Pendiente de pago" in listed
    assert "abr 2025" in listed and "2 may 2025" in listed  # the period, the issue date
    assert f"USD{NBSP}1.643,83" in listed and "vencida hace 90+ días" in listed
    assert f"Factura {REF}/0001" in invoice and "Registrar un pago" in invoice
    assert f"USD{NBSP}-100,00" in invoice and "10 abr 2025" in invoice  # a line's first day
    assert "custodia" in invoice and "Fecha de emisión 2 may 2025" in invoice
    assert "Ingresos por tarifas" in month and "Días-persona 71 en 30 días" in month
    assert f"USD{NBSP}200.000.000,00 al año" in month and "110.000 personas" in month
    assert "presidente Bukele, marzo de 2025" in month  # a source, translated
    # The share, as Spanish writes a percentage.
    assert re.search(r"\d+,\d\u00a0%", month)
    assert ">abr<" in year.text and ">dic<" in year.text  # the chart's months


def test_english_stays_the_default(demo_engine: Engine, april: int) -> None:
    client = _client(demo_engine, "us.officer")
    listed = _text(client.get("/billing/invoices").text)
    assert "Apr 2025" in listed and "May 2, 2025" in listed and f"USD{NBSP}1,643.83" in listed


def test_the_pdf_follows_the_readers_language(demo_engine: Engine, april: int) -> None:
    client = _client(demo_engine, "us.officer")
    spanish = _pdf_text(client.get(f"/billing/invoices/{april}.pdf?lang=es").content)
    assert f"Factura {REF}/0001" in spanish and "Total USD 1.643,83" in spanish
    assert "Fecha de emisión 2 may 2025" in spanish and "Página 1 de 1" in spanish
    english = _pdf_text(client.get(f"/billing/invoices/{april}.pdf?lang=en").content)
    assert f"Invoice {REF}/0001" in english and "Page 1 of 1" in english


def test_the_sources_are_the_reports_in_the_same_words() -> None:
    # SOURCE_TEXTS is what the page translates; the report is what it cites.
    assert pages.SOURCE_TEXTS == report.SOURCES


def _form(client: TestClient, seq: int) -> dict[str, str]:
    """_form is the invoice page's payment form as the page renders it (its hidden keys)."""
    html = client.get(f"/billing/invoices/{seq}").text
    payment = html.split(f'action="/billing/invoices/{seq}/payments"', 1)[1] \
        .split("</form>", 1)[0]
    return dict(re.findall(r'name="(csrf|form_key)" value="([^"]*)"', payment))


def _pay(client: TestClient, seq: int, form: dict[str, str], amount: str,
         reference: str = "Fedwire 20250520-001") -> Response:
    return client.post(f"/billing/invoices/{seq}/payments", follow_redirects=False,
                       data={**form, "amount": amount, "paid_on": "2025-05-20",
                             "reference": reference})


def _payments(engine: Engine, seq: int) -> list[Payment]:
    with read_session(engine) as s:
        return reads.payments_of(s, seq)


def _payment_events(engine: Engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Event).where(
            Event.type == "payment.recorded")) or 0


def test_an_amount_is_read_as_the_readers_language_writes_it(demo_engine: Engine,
                                                             april: int) -> None:
    client = _client(demo_engine, "us.officer")
    client.cookies.set("lang", "es")
    assert _form(client, april)["form_key"]
    page = client.get(f"/billing/invoices/{april}").text
    assert 'value="1543,83"' in page  # the balance, as the form takes it in Spanish
    assert _pay(client, april, _form(client, april), "1.000,50").status_code == 303
    assert [p.amount_minor for p in _payments(demo_engine, april)] == [100_050]
    # In English, "1000,50" is not read as a hundred times the amount: it is refused.
    client.cookies.set("lang", "en")
    refused = _pay(client, april, _form(client, april), "1000,50", "another wire")
    assert refused.status_code == 422 and 'data-testid="payment-error"' in refused.text
    assert len(_payments(demo_engine, april)) == 1


# --- a payment form posted twice ---------------------------------------------------------


@pytest.mark.both_engines  # two writers race (docs/testing.md)
def test_the_same_payment_form_posted_twice_records_one_payment(demo_engine: Engine,
                                                                april: int) -> None:
    client = _client(demo_engine, "us.officer")
    form = _form(client, april)
    events = _payment_events(demo_engine)
    first = _pay(client, april, form, "250.00")
    second = _pay(client, april, form, "250.00")  # a double click: the same form again
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    [payment] = _payments(demo_engine, april)
    assert payment.amount_minor == 25_000
    assert _payment_events(demo_engine) == events + 1
    assert first.headers["location"].startswith(f"/billing/invoices/{april}?recorded="
                                                f"{payment.seq}")


def test_a_reused_form_with_other_values_is_refused_and_a_fresh_one_pays_again(
        demo_engine: Engine, april: int) -> None:
    client = _client(demo_engine, "us.officer")
    form = _form(client, april)
    assert _pay(client, april, form, "250.00").status_code == 303
    reused = _pay(client, april, form, "300.00", "Fedwire 20250521-002")
    assert reused.status_code == 409
    assert "already used to record a payment" in reused.text
    assert len(_payments(demo_engine, april)) == 1
    # The page shown again carries a new key: a second, real payment goes through.
    fresh = dict(re.findall(r'name="(csrf|form_key)" value="([^"]*)"', reused.text))
    assert fresh["form_key"] != form["form_key"]
    assert _pay(client, april, fresh, "300.00", "Fedwire 20250521-002").status_code == 303
    assert sorted(p.amount_minor for p in _payments(demo_engine, april)) == [25_000, 30_000]


def test_two_postings_of_one_form_at_once_record_one_payment(demo_engine: Engine,
                                                             april: int) -> None:
    client = _client(demo_engine, "us.officer")
    form = _form(client, april)
    twin = TestClient(create_app(demo_engine), cookies=dict(client.cookies.items()))
    answers: list[int] = []
    start = threading.Barrier(2)

    def post(who: TestClient) -> None:
        start.wait()
        answers.append(_pay(who, april, form, "250.00").status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in (client, twin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303, 303]
    assert [p.amount_minor for p in _payments(demo_engine, april)] == [25_000]


# --- a page at a time --------------------------------------------------------------------


def _rows(html: str, testid: str) -> list[str]:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-testid="([^"]+)"', table.split("<tbody>", 1)[1])


def _next(html: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_invoices_come_a_page_at_a_time(demo_engine: Engine, april: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    client = _client(demo_engine, "monitor")
    first = client.get("/billing/invoices").text
    assert _rows(first, "invoices") == [f"invoice-{april}"]
    assert 'data-testid="pager"' in first and _next(first) == "/billing/invoices?page=2"
    second = client.get("/billing/invoices?page=2").text
    [may] = _rows(second, "invoices")
    assert may != f"invoice-{april}" and _next(second) is None
    assert 'rel="prev" href="/billing/invoices"' in second
    # What is still owed is every page's, not only this one's.
    with read_session(demo_engine) as s:
        owed = sum(i.balance_minor for i in reads.list_invoices(s))
    assert f'data-testid="owed">{document.money(owed, "USD")}<' in second
    assert "Still owed, all pages" in second
    # The filter is kept from page to page.
    assert _next(client.get(f"/billing/invoices?agreement={REF}").text) == \
        f"/billing/invoices?agreement={REF}&page=2"


def test_an_invoices_lines_come_a_page_at_a_time(demo_engine: Engine, april: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    client = _client(demo_engine, "monitor")
    first = client.get(f"/billing/invoices/{april}").text
    assert _rows(first, "invoice-lines") == ["line-1"]
    assert _next(first) == f"/billing/invoices/{april}?page=2"
    second = client.get(f"/billing/invoices/{april}?page=2").text
    assert _rows(second, "invoice-lines") == ["line-2"] and _next(second) is None
    # After a form, the notice of what was recorded is not carried to the next page.
    after = client.get(f"/billing/invoices/{april}?recorded={april}").text
    assert _next(after) == f"/billing/invoices/{april}?page=2"
    # The totals are the invoice's, whichever page of lines is shown.
    assert f'data-testid="total">{document.money(164_383, "USD")}<' in second
    # The PDF has every line.
    text = _pdf_text(client.get(f"/billing/invoices/{april}.pdf").content)
    assert "R1 USD 493.15" in text and "R1 USD 1,150.68" in text
