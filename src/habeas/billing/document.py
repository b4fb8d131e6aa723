"""Invoice documents: one Jinja2 template (web/templates/invoice_document.html) for the
page and the PDF (DESIGN.md §8: "PDF + JSON + CSV").

The PDF is WeasyPrint's rendering of that template, A4, in the DejaVu Sans fonts bundled
in billing/fonts/ (so it looks the same on every machine), fetching nothing but those
fonts. Lines are rendered from their keys, so a new kind of line or a new key shows up
without a template change. The document speaks its reader's language (the page's, or the
one the PDF is asked in): its words from the catalogues, its dates, months and money as
that language writes them; what was recorded (rates, reasons, names) is quoted as issued.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict

from babel.dates import format_skeleton
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session

from habeas import i18n
from habeas.agreements.models import Agreement, Party
from habeas.billing import drafting, reads
from habeas.facilities.models import Facility
from habeas.i18n import N_
from habeas.templating import install_language, lang_of

TEMPLATE = "invoice_document.html"
# The line keys in the order shown; any other key follows, in name order.
LINE_COLUMNS = ("line", "kind", "public_id", "name", "days", "first_day", "last_day", "rate",
                "amount_minor", "handover_seq", "left_seq")
# Column headings, translated where shown; every key an invoice line has (InvoiceLine).
LABELS = {"line": N_("Line"), "kind": N_("Kind"), "public_id": N_("Person"),
          "name": N_("Name"), "days": N_("Days"), "first_day": N_("First day"),
          "last_day": N_("Last day"), "rate": N_("Rate"), "amount_minor": N_("Amount"),
          "handover_seq": N_("Handover"), "left_seq": N_("Left"), "ranges": N_("Ranges"),
          "charges": N_("Charges"), "credits_invoice": N_("Credits invoice"),
          "credits_line": N_("Credits line")}
# The kinds of line (billing.invoicing), as a reader calls them.
KIND_LABELS = {"custody": N_("custody"), "intake": N_("intake"), "medical": N_("medical"),
               "repatriation": N_("repatriation"), "credit": N_("credit")}
# The PDF's running footer; CSS counts the pages (footer).
PAGE_OF = N_("Page %(page)s of %(pages)s")


def money(minor: int | None, currency: str, locale: str = i18n.DEFAULT) -> str:
    """money renders integer MINOR units of CURRENCY as LOCALE writes money (habeas.i18n)."""
    return i18n.format_money(minor, currency, locale)


def month(period: str | None, locale: str = i18n.DEFAULT) -> str:
    """month writes an invoice period "YYYY-MM" as LOCALE names it ("Apr 2025", "abr 2025");
    anything else (a year "YYYY") as it is."""
    found = re.fullmatch(r"([0-9]{4})-([0-9]{2})", period or "")
    if found is None or not 1 <= int(found[2]) <= 12:
        return period or "—"
    return format_skeleton("yMMM", date(int(found[1]), int(found[2]), 1), locale=locale)




@pass_context
def _month(context: Context, period: str | None) -> str:
    return month(period, lang_of(context))


def column_label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def is_labelled(key: str) -> bool:
    """is_labelled: KEY's heading is a marked message (a new key is shown as it is)."""
    return key in LABELS


def footer(locale: str) -> str:
    """footer is the CSS `content` of the PDF's "Page n of m" in LOCALE: the translated
    sentence's words as CSS strings around the page counters, safe inside <style>."""
    parts = re.split(r"%\((page|pages)\)s", i18n.gettext(locale, PAGE_OF))
    css = []
    for i, part in enumerate(parts):
        if i % 2:
            css.append(f"counter({part})")
        elif part:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
            css.append(f'"{escaped}"')
    return " ".join(css)


def install(env: Environment) -> None:
    """install adds what the invoice template uses to ENV: the `billing_month` filter (in
    the template's `lang`), `cell`, the `event_key` and `labelled` tests, and
    the kinds of line by name."""
    env.filters.update(billing_month=_month, cell=cell_text)
    env.tests.update(event_key=is_event_key, labelled=is_labelled)
    env.globals["line_kind_labels"] = KIND_LABELS


def is_event_key(key: str) -> bool:
    """is_event_key: the line key holds ledger event seqs (one, or a list: "charges")."""
    return key.endswith(("_seq", "_seqs")) or key == "charges"


def cell_text(value: Any) -> str:
    """cell_text shows a line value of any shape: a list of ranges as "a – b; c – d"."""
    if value is None or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return "; ".join(" – ".join(cell_text(x) for x in item)
                         if isinstance(item, list | tuple) else cell_text(item)
                         for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {cell_text(v)}" for k, v in value.items())
    return str(value)


def _gaps(line: dict[str, Any]) -> bool:
    """_gaps: the line's days are not the one run from its first to its last day."""
    ranges = line.get("ranges") or []
    return len(ranges) > 1 or (len(ranges) == 1 and list(ranges[0]) != [
        line.get("first_day"), line.get("last_day")])


@dataclass(frozen=True)
class InvoiceDocument:
    """InvoiceDocument is what an invoice (or a preview, not issued) says, ready to render."""

    agreement_ref: str
    agreement_title: str
    issuer: str  # the receiving state, which bills
    billed: str  # the sending state, which pays
    facility: str
    timezone: str
    period: str
    currency: str
    lines: list[dict[str, Any]]
    total_minor: int
    number: str | None = None  # None: a preview, not an invoice
    seq: int | None = None
    issued_on: date | None = None
    due_on: date | None = None
    credited_minor: int = 0
    paid_minor: int = 0
    document_sha256: str | None = None
    credit_notes: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def issued(self) -> bool:
        return self.number is not None

    @property
    def balance_minor(self) -> int:
        return self.total_minor + self.credited_minor - self.paid_minor

    @property
    def columns(self) -> list[tuple[str, str]]:
        """columns: (key, label) for every key the lines carry, known keys first; a key
        no line gives a value for is left out (it would be a column of dashes)."""
        keys = {k for line in self.lines for k in line}
        filled = {k for line in self.lines for k, v in line.items() if v not in (None, [])}
        if not any(_gaps(line) for line in self.lines):
            # One run of days per line: the first and last days already say it.
            keys.discard("ranges")
        ordered = [k for k in LINE_COLUMNS if k in keys]
        ordered += sorted((keys & filled) - set(LINE_COLUMNS))
        return [(k, column_label(k)) for k in ordered]

    @property
    def rates(self) -> list[str]:
        """rates: each line's rate once, in order of first use; the lines cite them as
        R1, R2… (a rate is a sentence, the same on most lines)."""
        return list(dict.fromkeys(str(line["rate"]) for line in self.lines
                                  if line.get("rate") is not None))

    @property
    def filename(self) -> str:
        name = self.number or f"{self.agreement_ref}-{self.period}-preview"
        return "".join(c if c.isalnum() or c in "-_." else "-" for c in name) + ".pdf"


def _party(session: Session, code: str) -> str:
    party = session.get(Party, code)
    return f"{party.name} ({code})" if party is not None else code


class _Heading(TypedDict):
    agreement_ref: str
    agreement_title: str
    issuer: str
    billed: str
    facility: str
    timezone: str


def _heading(session: Session, agreement: Agreement) -> _Heading:
    facility = session.get_one(Facility, agreement.facility_code)
    return {"agreement_ref": agreement.ref, "agreement_title": agreement.title,
            "issuer": _party(session, agreement.receiving_party),
            "billed": _party(session, agreement.sending_party),
            "facility": f"{facility.name} ({facility.code})", "timezone": facility.timezone}


def issued_document(session: Session, seq: int, *, scope: str | None = None
                    ) -> InvoiceDocument:
    """issued_document: invoice SEQ as issued, with its credit notes and payments so far
    (SCOPE: a sending state sees only its own agreements' invoices)."""
    invoice = reads.get_invoice(session, seq, scope=scope)
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    return InvoiceDocument(
        **_heading(session, agreement), period=invoice.period, currency=invoice.currency,
        lines=[dict(line) for line in invoice.lines], total_minor=invoice.total_minor,
        number=invoice.number, seq=invoice.seq, issued_on=invoice.issued_on,
        due_on=invoice.due_on, credited_minor=invoice.credited_minor,
        paid_minor=invoice.paid_minor, document_sha256=invoice.document_sha256,
        credit_notes=[{"seq": n.seq, "number": n.number, "issued_on": n.issued_on,
                       "reason": n.reason, "lines": n.lines, "total_minor": n.total_minor,
                       "dispute_seq": n.dispute_seq}
                      for n in reads.credit_notes_of(session, seq)],
        payments=[{"seq": p.seq, "paid_on": p.paid_on, "reference": p.reference,
                   "amount_minor": p.amount_minor} for p in reads.payments_of(session, seq)])


def draft_document(session: Session, agreement_ref: str, period: str) -> InvoiceDocument:
    """draft_document: what AGREEMENT_REF's invoice for PERIOD would say (not recorded)."""
    draft = drafting.invoice_for(session, agreement_ref, period)
    agreement = reads.get_agreement(session, agreement_ref)
    data = draft.as_json()
    return InvoiceDocument(**_heading(session, agreement), period=period,
                           currency=draft.currency, lines=data["lines"],
                           total_minor=draft.total_minor)


@cache
def environment() -> Environment:
    """environment: the web templates, autoescaped, speaking the `lang` they are rendered
    with (habeas.templating), with the invoice's filters and tests: the PDF says what the
    page says."""
    env = Environment(loader=FileSystemLoader(str(resources.files("habeas.web") / "templates")),
                      autoescape=True, auto_reload=False)
    install_language(env)
    install(env)
    return env


@contextlib.contextmanager
def _fonts() -> Iterator[Path]:
    with resources.as_file(resources.files("habeas.billing") / "fonts") as path:
        yield Path(path)


def render_invoice_html(document: InvoiceDocument, *, lang: str = i18n.DEFAULT,
                        fonts: Path | None = None) -> str:
    """render_invoice_html is the whole HTML document the PDF is made from: the shared
    template, standalone, in LANG, its @font-face pointing at FONTS (default: the bundled
    ones)."""
    with contextlib.ExitStack() as stack:
        where = fonts if fonts is not None else stack.enter_context(_fonts())
        return environment().get_template(TEMPLATE).render(
            doc=document, standalone=True, links=False, may_open=set(), lang=lang,
            page_footer=footer(lang),
            font_regular=(where / "DejaVuSans.ttf").as_uri(),
            font_bold=(where / "DejaVuSans-Bold.ttf").as_uri())


def invoice_pdf(document: InvoiceDocument, lang: str = i18n.DEFAULT, *,
                cache: Path | None = None) -> bytes:
    """invoice_pdf renders DOCUMENT as an A4 PDF (WeasyPrint) in LANG, fetching only local
    files. With CACHE, a folder, each PDF is kept under the SHA-256 of the HTML it is made
    from and of the renderer's version: WeasyPrint takes seconds on an invoice of hundreds
    of lines, and the same HTML makes the same PDF, so a PDF is rendered once until its
    invoice changes (a payment, a credit note) — nothing to invalidate."""
    with warnings.catch_warnings():
        # Without the system's HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools
        # and says so once, as a DeprecationWarning: the PDF is the same.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset",
                                category=DeprecationWarning)
        import weasyprint
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

    with _fonts() as fonts:
        html = render_invoice_html(document, lang=lang, fonts=fonts)
        kept = None
        if cache is not None:
            key = hashlib.sha256(f"{weasyprint.__version__}\0{html}".encode()).hexdigest()
            kept = cache / f"{key}.pdf"
            if kept.is_file():
                return kept.read_bytes()
        fetcher = URLFetcher(allowed_protocols={"file"})
        font_config = FontConfiguration()
        pdf = HTML(string=html, base_url=fonts.as_uri() + "/", url_fetcher=fetcher).write_pdf(
            font_config=font_config)
    assert isinstance(pdf, bytes)
    if kept is not None:
        _keep(kept, pdf)
    return pdf


def _keep(path: Path, pdf: bytes) -> None:
    """_keep writes PDF at PATH whole or not at all (a reader never sees half a file), and
    readable by its owner only: an invoice names people."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pdf)
    os.replace(partial, path)
