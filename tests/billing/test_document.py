"""Invoice documents: the PDF (WeasyPrint) from the page's own template, in bundled fonts.

The PDF is checked as a reader sees it: each page rasterised to PNG with PDFium
(pypdfium2) must be A4 and not blank. There is no OCR here, so the words are read back
with PDFium's text-page API from the very PDF the PNG was rasterised from: the invoice
number, a person's name and the total must be in it, drawn in the bundled font.
"""

from __future__ import annotations

import ctypes
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image
from sqlalchemy import Engine

from habeas.billing import document
from habeas.db import read_session
from tests.billing.test_report import REF, domestic, held, invoiced
from tests.test_cli import habeas

A4_LANDSCAPE = (841.89, 595.28)  # 297 × 210 mm at 72 points to the inch


@contextmanager
def opened(pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    doc = pdfium.PdfDocument(pdf)
    try:
        yield doc
    finally:
        doc.close()


def read_pdf(pdf: bytes) -> tuple[str, set[str], list[Image.Image]]:
    """read_pdf: the text (whitespace folded), the fonts it is drawn in, and each page as
    a PNG-ready image, all from PDF; every page must be A4 (landscape: the lines are wide)."""
    texts, fonts, images = [], set(), []
    with opened(pdf) as doc:
        for index in range(len(doc)):
            page = doc[index]
            width, height = page.get_size()
            assert (round(width, 2), round(height, 2)) == A4_LANDSCAPE
            images.append(page.render(scale=1).to_pil())
            text = page.get_textpage()
            texts.append(text.get_text_range())
            for i in range(text.count_chars()):
                name = ctypes.create_string_buffer(128)
                if pdfium_c.FPDFText_GetFontInfo(text, i, name, len(name), None):
                    fonts.add(name.value.decode())
            text.close()
            page.close()
    return " ".join(" ".join(texts).split()), fonts, images


def assert_not_blank(image: Image.Image, tmp_path: Path) -> None:
    path = tmp_path / "page.png"
    image.save(path)
    grey = Image.open(path).convert("L")
    inked = sum(grey.histogram()[:128])  # pixels darker than mid-grey
    assert inked > 0.005 * grey.width * grey.height, "the page is (nearly) blank"


@pytest.fixture
def issued(demo_engine: Engine) -> tuple[Engine, int]:
    held(demo_engine)
    domestic(demo_engine)
    return demo_engine, invoiced(demo_engine)


class TestInvoicePdf:
    def test_an_issued_invoice_reads_back_its_number_a_name_and_the_total(
            self, issued: tuple[Engine, int], tmp_path: Path) -> None:
        engine, seq = issued
        with read_session(engine) as s:
            doc = document.issued_document(s, seq)
        pdf = document.invoice_pdf(doc)
        assert pdf.startswith(b"%PDF-")
        text, fonts, pages = read_pdf(pdf)
        assert_not_blank(pages[0], tmp_path)
        name = doc.lines[0]["name"]
        assert f"Invoice {REF}/0001" in text
        assert name in text
        assert f"Total {document.money(doc.total_minor, 'USD')}".replace("\u00a0", " ") \
            in text.replace("\u00a0", " ")
        assert "USD 1,643.83" in text.replace("\u00a0", " ")  # 164,383 cents
        assert "Credited USD -100.00" in text.replace("\u00a0", " ")  # the credit note
        # Drawn in the bundled DejaVu Sans (embedded as "Habeas Sans"), not a system font.
        assert fonts and all("Habeas-Sans" in f for f in fonts if f), fonts

    def test_a_kept_pdf_is_rendered_once_per_html_and_per_language(
            self, issued: tuple[Engine, int], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> None:
        import weasyprint

        engine, seq = issued
        with read_session(engine) as s:
            doc = document.issued_document(s, seq)
        cache = tmp_path / "invoices"
        first = document.invoice_pdf(doc, cache=cache)
        spanish = document.invoice_pdf(doc, "es", cache=cache)
        kept = sorted(cache.iterdir())
        assert len(kept) == 2 and {k.read_bytes() for k in kept} == {first, spanish}
        assert all(k.stat().st_mode & 0o077 == 0 for k in kept)  # the owner's alone
        # Kept: the renderer is not asked again for the same HTML.
        monkeypatch.setattr(weasyprint, "HTML", None)
        assert document.invoice_pdf(doc, cache=cache) == first
        # Another document (its invoice changed) is not served the kept one.
        changed = replace(doc, lines=doc.lines[1:])
        with pytest.raises(TypeError):
            document.invoice_pdf(changed, cache=cache)

    def test_a_preview_says_it_is_not_an_invoice(self, demo_engine: Engine,
                                                 tmp_path: Path) -> None:
        held(demo_engine)
        with read_session(demo_engine) as s:
            doc = document.draft_document(s, REF, "2025-04")
        text, _, pages = read_pdf(document.invoice_pdf(doc))
        assert_not_blank(pages[0], tmp_path)
        assert "Invoice preview (not issued)" in text
        assert "not a demand for payment" in text
        assert doc.lines[1]["name"] in text

    def test_the_cli_writes_the_pdf(self, issued: tuple[Engine, int], tmp_path: Path) -> None:
        engine, _ = issued
        path = tmp_path / "may.pdf"
        result: subprocess.CompletedProcess[str] = habeas(
            "billing", "invoice", "--period", "2025-05", "--pdf", str(path), "--json",
            url=engine.url.render_as_string(hide_password=False), data_dir=tmp_path / "data")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["number"] is None  # a preview
        text, _, _ = read_pdf(path.read_bytes())
        assert "Invoice preview (not issued)" in text and "May 2025" in text


class TestTemplate:
    def test_lines_render_from_their_keys(self) -> None:
        doc = document.InvoiceDocument(
            agreement_ref=REF, agreement_title="t", issuer="SLV", billed="USA",
            facility="CECOT", timezone="America/El_Salvador", period="2025-06",
            currency="USD", total_minor=-500, lines=[{
                "line": 1, "kind": "credit", "public_id": "N1", "name": "A <b>",
                "days": 0, "first_day": None, "last_day": None, "rate": "r",
                "amount_minor": -500, "handover_seq": 3, "left_seq": None,
                "credits_invoice": "USA-SLV-2025/0001", "credits_line": 2, "ranges": None,
                "charges": [41, 42]}])
        html = document.render_invoice_html(doc)
        assert [label for _, label in doc.columns][-3:] == [
            "Charges", "Credits invoice", "Credits line"]
        assert "#41, #42" in html  # ledger events, as the handover is
        assert '<th scope="col" class="col-credits_invoice">Credits invoice</th>' in html
        assert "Ranges" not in html  # no line gives ranges: no column of dashes
        assert "USA-SLV-2025/0001" in html and "A &lt;b&gt;" in html
        assert "USD\u00a0-5.00" in html.replace("&nbsp;", "\u00a0")
        assert "@font-face" in html and "DejaVuSans-Bold.ttf" in html
        assert doc.filename == "USA-SLV-2025-2025-06-preview.pdf"

    @pytest.mark.parametrize(("minor", "currency", "text"), [
        (164_383, "USD", "USD\u00a01,643.83"), (-10_000, "USD", "USD\u00a0-100.00"),
        (1500, "JPY", "JPY\u00a01,500"), (1234, "BHD", "BHD\u00a01.234"),
        (None, "USD", "—"),
    ])
    def test_money_has_the_currency_and_its_decimals(self, minor: int | None, currency: str,
                                                     text: str) -> None:
        assert document.money(minor, currency) == text

    def test_issued_on_is_shown(self, issued: tuple[Engine, int]) -> None:
        engine, seq = issued
        with read_session(engine) as s:
            doc = document.issued_document(s, seq)
        html = document.render_invoice_html(doc)
        assert doc.issued_on == date(2025, 5, 2) and "May 2, 2025" in html
        assert doc.credit_notes and doc.credit_notes[0]["number"] in html


class TestLanguage:
    """The PDF follows the reader's language (issue 9): its words, dates and money."""

    def test_a_spanish_pdf_reads_in_spanish(self, issued: tuple[Engine, int]) -> None:
        engine, seq = issued
        with read_session(engine) as s:
            doc = document.issued_document(s, seq)
        text, _, _ = read_pdf(document.invoice_pdf(doc, "es"))
        text = text.replace("\u00a0", " ")
        assert f"Factura {REF}/0001" in text and "Fecha de emisión 2 may 2025" in text
        assert "Total USD 1.643,83" in text and "Abonado USD -100,00" in text
        assert "Período abr 2025" in text and "custodia" in text
        assert "Página 1 de 1" in text  # the running footer, written by CSS
        assert "Invoice" not in text.replace("Invoice preview", "")

    def test_the_same_invoice_in_english_keeps_its_english(self, issued: tuple[Engine, int]
                                                           ) -> None:
        engine, seq = issued
        with read_session(engine) as s:
            doc = document.issued_document(s, seq)
        html = document.render_invoice_html(doc, lang="en")
        assert '<html lang="en">' in html and "Page \" counter(page)" in html
        assert "Period</dt><dd>Apr 2025" in html

    def test_the_footer_is_a_css_string_whatever_the_translation(self) -> None:
        assert document.footer("en") == '"Page " counter(page) " of " counter(pages)'
        assert document.footer("es") == '"Página " counter(page) " de " counter(pages)'

    @pytest.mark.parametrize(("period", "locale", "text"), [
        ("2025-04", "en", "Apr 2025"), ("2025-04", "es", "abr 2025"), ("2025", "es", "2025"),
        ("2025-13", "en", "2025-13"),
    ])
    def test_a_period_is_named_in_the_language(self, period: str, locale: str,
                                               text: str) -> None:
        assert document.month(period, locale) == text

    def test_money_in_spanish_groups_and_decimals_as_spanish_does(self) -> None:
        assert document.money(164_383, "USD", "es") == "USD\u00a01.643,83"
        assert document.money(-10_000, "USD", "es") == "USD\u00a0-100,00"
