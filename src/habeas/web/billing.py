"""Billing pages: invoices with their lines drilled down to the people and ledger events,
credit notes, payments and disputes; the PDF; the sustainability report (DESIGN.md §8).

Thin, as the other pages: parse, call habeas.billing.service / document / report, render.
A sending user sees only its own agreements' invoices (DESIGN.md §2). An invoice names
people, so opening one (page or PDF) is recorded (Mandela Rule 9). A bad form field comes
back on the page, named, with the values entered. The pages and the PDF speak the reader's
language, its dates, numbers and money too; an amount is read as that language writes it.
The invoices and an invoice's lines come a page at a time (habeas.web.paging), and the
payment form records one payment however often the same form is posted (FormOnce).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    get_group_symbol,
    parse_decimal,
)
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.api.deps import engine_of
from habeas.api.idempotency import KEY_LIFETIME, key_problem, request_digest
from habeas.auth import service as auth
from habeas.auth.permissions import Action, allowed
from habeas.auth.service import Principal
from habeas.billing import document, report, service, sustain
from habeas.billing.arithmetic import round_half_up
from habeas.billing.models import Invoice
from habeas.config import get_settings
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import Conflict, DomainError, NotFound, field_error
from habeas.i18n import DEFAULT, N_, gettext, locale_of
from habeas.idempotency import IdempotencyKey
from habeas.ledger.models import Event
from habeas.web.common import (
    Problem,
    form_principal,
    navigation,
    page_principal,
    problem_of,
    templates,
)
from habeas.web.paging import paginate
from habeas.web.people import openable

router = APIRouter(include_in_schema=False)
document.install(templates.env)  # the invoice's filters, in the reader's language
# What a service calls a field, as the form calls it.
FORM_FIELDS = {"amount_minor": "amount", "document": "line"}
# An invoice's ageing (service.ageing) when it is not days past due.
AGEING_LABELS = {"paid": N_("paid"), "current": N_("not yet due")}
# A dispute's status; "dispute accepted" rather than "accepted", which other pages say of
# many records at once (Spanish agrees in number).
DISPUTE_LABELS = {"open": N_("open"), "accepted": N_("dispute accepted"),
                  "rejected": N_("dispute rejected")}
# The report's sources (report.SOURCES) by key, to be translated where shown; a test keeps
# the English the same as the report's.
SOURCE_TEXTS = {
    "annual_cost_minor": N_("about US$200 million a year for El Salvador's prison system "
                            "(President Bukele, March 2025; DESIGN.md §1)"),
    "system_population": N_("about 110,000 people held in El Salvador (approximate; "
                            "World Prison Brief, 2024)"),
    "reported_price": N_("about US$6 million for about 300 people for one year (AP; "
                         "Salvadoran foreign ministry memo, March 2025; DESIGN.md §1)"),
}


def _context(principal: Principal, **extra: Any) -> dict[str, Any]:
    return {"principal": principal, "nav": navigation(principal),
            "ageing_labels": AGEING_LABELS, "dispute_labels": DISPUTE_LABELS, **extra}


def _error(request: Request, principal: Principal, exc: DomainError) -> Response:
    return templates.TemplateResponse(request, "error.html", _context(
        principal, message=exc.message, code=exc.code.value,
        title=N_("Not found") if exc.status == 404 else N_("Refused")), status_code=exc.status)


def _agreements(db: Session, principal: Principal) -> list[Agreement]:
    query = select(Agreement).order_by(Agreement.ref)
    if principal.scope is not None:
        query = query.where(Agreement.sending_party == principal.scope)
    return list(db.scalars(query))


# --- the invoices -----------------------------------------------------------------------


@router.get("/billing/invoices", response_class=HTMLResponse)
def invoices_page(request: Request, agreement: str = "") -> Response:
    """invoices_page: the issued invoices, oldest first, with what is credited, paid and
    still owed, and how late; filtered by agreement."""
    principal = page_principal(request, "/billing/invoices")
    if isinstance(principal, Response):
        return principal
    return _invoices_page(request, principal, agreement)


def _invoices_page(request: Request, principal: Principal, agreement: str, *,
                   problem: Problem | None = None, entered: dict[str, str] | None = None
                   ) -> Response:
    today = utcnow().date()
    chosen, scope = agreement or None, principal.scope
    with read_session(engine_of(request)) as db:
        listed = paginate(request, lambda limit, offset: service.list_invoices(
            db, agreement=chosen, scope=scope, limit=limit, offset=offset, with_lines=False),
            path="/billing/invoices")
        mine = _agreements(db, principal)
        return templates.TemplateResponse(request, "billing_invoices.html", _context(
            principal, invoices=listed.items, listed=listed,
            ageing={i.seq: service.ageing(i, today) for i in listed.items},
            agreements=mine, chosen=agreement, today=today,
            owed=service.owed_by_currency(db, agreement=chosen, scope=scope),
            may_issue=allowed(principal.role, Action.ISSUE_INVOICES), problem=problem,
            issue=entered or {"agreement": mine[0].ref if mine else "",
                              "period": last_month(today)}),
            status_code=problem.status if problem else 200)


@router.post("/billing/invoices", response_class=HTMLResponse)
def issue_form(request: Request, agreement: str = Form(""), period: str = Form(""),
               csrf: str = Form("")) -> Response:
    """issue_form issues a month's invoice; a month is invoiced once, so posting the form
    twice issues one invoice and names it."""
    principal = form_principal(request, "/billing/invoices", csrf)
    if isinstance(principal, Response):
        return principal
    entered = {"agreement": agreement, "period": period}
    try:
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period.strip()):
            raise field_error("period", N_("give the month, YYYY-MM"))
        with unit_of_work(engine_of(request)) as db:
            invoice = service.issue_invoice(db, agreement, period.strip(),
                                            actor=principal.actor, party=principal.party_code,
                                            today=utcnow().date())
            seq = invoice.seq
    except DomainError as exc:
        if isinstance(exc, NotFound):
            exc = field_error("agreement", exc.message)
        return _invoices_page(request, principal, "", problem=_problem("issue", exc),
                              entered=entered)
    return RedirectResponse(f"/billing/invoices/{seq}?recorded={seq}", status_code=303)


# Rendered invoices, kept by the SHA-256 of their HTML (habeas.billing.document.invoice_pdf).
PDF_CACHE = "invoices"


@router.get("/billing/invoices/{seq}.pdf")
def invoice_pdf(request: Request, seq: int) -> Response:
    """invoice_pdf: the invoice as issued, with its credit notes and payments, as an A4 PDF
    made from the page's own template; downloaded, and the read recorded."""
    principal = page_principal(request, "/billing/invoices/{seq}.pdf")
    if isinstance(principal, Response):
        return principal
    with unit_of_work(engine_of(request)) as db:
        try:
            doc = document.issued_document(db, seq, scope=principal.scope)
        except DomainError as exc:
            return _error(request, principal, exc)
        auth.record_read(db, principal, kind="invoice", record_id=str(seq), channel="web",
                         purpose="invoice PDF")
    # The PDF speaks the reader's language, as the page does.
    pdf = document.invoice_pdf(doc, locale_of(request),
                               cache=get_settings().data_dir / PDF_CACHE)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{doc.filename}"',
        "Cache-Control": "no-store"})


def _problem(form: str, exc: DomainError) -> Problem:
    return problem_of(form, exc, FORM_FIELDS)


def _invoice_page(request: Request, principal: Principal, seq: int, *,
                  problem: Problem | None = None, entered: dict[str, str] | None = None,
                  recorded: int | None = None) -> Response:
    today = utcnow().date()
    with unit_of_work(engine_of(request)) as db:
        try:
            doc = document.issued_document(db, seq, scope=principal.scope)
        except DomainError as exc:
            return _error(request, principal, exc)
        invoice = db.get_one(Invoice, seq)
        disputes = service.disputes_of(db, seq)
        # An invoice names people and their days in custody (Mandela Rule 9).
        auth.record_read(db, principal, kind="invoice", record_id=str(seq), channel="web",
                         purpose="invoice")
        contested = {d.line for d in disputes if d.status in ("open", "accepted")}
        by_line = {int(line["line"]): line for line in doc.lines if "line" in line}
        # The page shows the lines a page at a time (the PDF, all of them); its links do
        # not carry the notice of what was just recorded.
        line_page = paginate(request, lambda limit, offset: doc.lines[offset:offset + limit],
                             path=f"/billing/invoices/{seq}")
        line_page = replace(line_page, query=tuple(
            (k, v) for k, v in line_page.query if k != "recorded"))
        return templates.TemplateResponse(request, "billing_invoice.html", _context(
            principal, doc=doc, invoice=invoice, ageing=service.ageing(invoice, today),
            line_page=line_page,
            disputes=disputes, by_line=by_line, today=today, recorded=recorded,
            disputable=[line for n, line in sorted(by_line.items()) if n not in contested],
            may_open=openable(db, principal, [str(line.get("public_id"))
                                              for line in line_page.items
                                              if line.get("public_id")]),
            may_pay=allowed(principal.role, Action.RECORD_PAYMENTS)
            and invoice.balance_minor > 0,
            may_dispute=allowed(principal.role, Action.DISPUTE_INVOICES),
            may_decide=allowed(principal.role, Action.DECIDE_DISPUTES),
            form_key=secrets.token_urlsafe(24), problem=problem, form=entered or {
                "amount": major(invoice.balance_minor, invoice.currency, locale_of(request)),
                "paid_on": today.isoformat(), "reference": "", "line": "", "reason": ""}),
            status_code=problem.status if problem else 200)


@router.get("/billing/invoices/{seq}", response_class=HTMLResponse)
def invoice_page(request: Request, seq: int, recorded: int | None = None) -> Response:
    """invoice_page: one invoice — its lines, each to the person and the ledger events
    behind it; credit notes, payments, disputes; and the forms the reader's role may use."""
    principal = page_principal(request, "/billing/invoices/{seq}")
    if isinstance(principal, Response):
        return principal
    return _invoice_page(request, principal, seq, recorded=recorded)


def major(minor: int, currency: str, locale: str = DEFAULT) -> str:
    """major writes MINOR units as the plain decimal a form takes in LOCALE, without
    grouping: 123456 USD → "1234.56" (en), "1234,56" (es)."""
    digits = get_currency_precision(currency)
    pattern = "0." + "0" * digits if digits else "0"
    return format_decimal(Decimal(minor).scaleb(-digits), format=pattern, locale=locale,
                          decimal_quantization=False)


def to_minor(text: str, currency: str, locale: str = DEFAULT) -> int:
    """to_minor reads a form's amount as LOCALE writes it ("1,234.56" en, "1.234,56" es) as
    minor units of CURRENCY. Strictly: a separator in the wrong place ("1000,50" in English)
    is refused rather than read as a hundred times the amount."""
    digits = get_currency_precision(currency)
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    try:
        value = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError:
        value = Decimal("NaN")
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or value <= 0 or exponent < -digits:
        raise field_error("amount", N_("write an amount more than 0, like 1234.56, with no "
                                       "more decimals than the currency has"))
    return int(value.scaleb(digits))


def _act(request: Request, seq: int, path: str, csrf: str, form: str,
         entered: dict[str, str], act: Callable[[Session, Principal], int]) -> Response:
    """_act runs one form's use case in a unit of work, then shows the invoice again: with
    the ledger event on success, or with the error named in the form on failure."""
    principal = form_principal(request, path, csrf)
    if isinstance(principal, Response):
        return principal
    try:
        with unit_of_work(engine_of(request)) as db:
            recorded = act(db, principal)
    except NotFound as exc:
        return _error(request, principal, exc)
    except DomainError as exc:
        return _invoice_page(request, principal, seq, problem=_problem(form, exc),
                             entered=entered)
    return RedirectResponse(f"/billing/invoices/{seq}?recorded={recorded}#{form}",
                            status_code=303)


# A payment form's one-time key, stored as an Idempotency-Key is (ADR 0019) under this prefix.
FORM_KEY_PREFIX = "form:"


@dataclass(frozen=True)
class FormOnce:
    """FormOnce is one posting of a form that carries a one-time key (the page renders a new
    key each time): the key as stored, and what "the same posting" is (its fields)."""

    principal: str
    key: str
    path: str
    digest: str

    @classmethod
    def of(cls, who: Principal, form_key: str, path: str, fields: dict[str, str]
           ) -> FormOnce | None:
        """of is the posting's key, or None when the form sent none (a script, not the
        page); a malformed key is refused, as the page would never send it."""
        if not form_key:
            return None
        key = FORM_KEY_PREFIX + form_key
        if key_problem([key]) is not None:
            raise field_error("form_key", N_("the form is out of date: reload the page"))
        body = "&".join(f"{k}={v}" for k, v in sorted(fields.items())).encode()
        return cls(f"user:{who.user_id}", key, path, request_digest("POST", path, b"", body))

    def done(self, db: Session) -> int | None:
        """done is the ledger event this key's posting already recorded, or None. The same
        key with other fields is not a double click but a reused page: refused, and the page
        shown again carries a new key."""
        row = db.get(IdempotencyKey, (self.principal, self.key))
        if row is None or row.created_at <= utcnow() - KEY_LIFETIME:
            return None
        if row.request_sha256 != self.digest:
            raise Conflict(N_("this form was already used to record a payment; check the "
                              "payments received, then fill in the form again"))
        return int(row.body)

    def remember(self, db: Session, seq: int, location: str) -> None:
        """remember stores that this posting recorded event SEQ, in the transaction that
        recorded it: both are committed, or neither."""
        now = utcnow()
        db.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at
                                                <= now - KEY_LIFETIME))
        db.add(IdempotencyKey(principal=self.principal, key=self.key, method="POST",
                              path=self.path[:500], request_sha256=self.digest, status=303,
                              body=str(seq), content_type=None, location=location,
                              created_at=now))


@router.post("/billing/invoices/{seq}/payments", response_class=HTMLResponse)
def payment_form(request: Request, seq: int, amount: str = Form(""), paid_on: str = Form(""),
                 reference: str = Form(""), csrf: str = Form(""),
                 form_key: str = Form("")) -> Response:
    """payment_form records a payment against the invoice (partial allowed), once per
    rendering of the form: posting the same form again (a double click, a resent request)
    shows the payment it recorded instead of recording another (FormOnce)."""
    entered = {"amount": amount, "paid_on": paid_on, "reference": reference, "line": "",
               "reason": ""}
    lang = locale_of(request)

    def act(db: Session, who: Principal) -> int:
        once = FormOnce.of(who, form_key, request.url.path,
                           {"amount": amount, "paid_on": paid_on, "reference": reference})
        # Under the unit of work's write lock: a twin posting waits, then finds this one's.
        recorded = once.done(db) if once is not None else None
        if recorded is not None:
            return recorded
        paid = record(db, who)
        if once is not None:
            once.remember(db, paid, f"/billing/invoices/{seq}?recorded={paid}#payment")
        return paid

    def record(db: Session, who: Principal) -> int:
        invoice = service.get_invoice(db, seq, scope=who.scope)
        minor = to_minor(amount, invoice.currency, lang)
        try:
            day = date.fromisoformat(paid_on.strip())
        except ValueError:
            raise field_error("paid_on", N_("give the date the money was received, "
                                            "YYYY-MM-DD")) from None
        if not reference.strip():
            raise field_error("reference", N_("give the payment's reference (e.g. the "
                                              "wire's)"))
        return service.record_payment(db, seq, minor, paid_on=day,
                                      reference=reference.strip()[:200], actor=who.actor,
                                      party=who.party_code).seq

    return _act(request, seq, "/billing/invoices/{seq}/payments", csrf, "payment", entered,
                act)


@router.post("/billing/invoices/{seq}/disputes", response_class=HTMLResponse)
def dispute_form(request: Request, seq: int, line: str = Form(""), reason: str = Form(""),
                 csrf: str = Form("")) -> Response:
    """dispute_form: the sending state contests one line, with its reason."""
    entered = {"line": line, "reason": reason, "amount": "", "paid_on": "", "reference": ""}

    def act(db: Session, who: Principal) -> int:
        invoice = service.get_invoice(db, seq, scope=who.scope)
        if not line.strip().isdigit():
            raise field_error("line", N_("choose the line you dispute"))
        return service.open_dispute(db, invoice.number, int(line), reason.strip()[:900],
                                    actor=who.actor, party=who.party_code,
                                    today=utcnow().date()).seq

    return _act(request, seq, "/billing/invoices/{seq}/disputes", csrf, "dispute", entered,
                act)


def _decide(request: Request, seq: int, reason: str, csrf: str, accept: bool) -> Response:
    path = f"/billing/disputes/{{seq}}/{'accept' if accept else 'reject'}"
    principal = form_principal(request, path, csrf)
    if isinstance(principal, Response):
        return principal
    with read_session(engine_of(request)) as db:
        try:
            dispute = service.get_dispute(db, seq, scope=principal.scope)
        except DomainError as exc:
            return _error(request, principal, exc)
    entered = {f"reason-{seq}": reason, "amount": "", "paid_on": "", "reference": "",
               "line": "", "reason": ""}

    def act(db: Session, who: Principal) -> int:
        service.decide_dispute(db, seq, accept=accept, reason=reason.strip()[:900],
                               actor=who.actor, party=who.party_code, today=utcnow().date())
        # The decision's event (and, when accepted, the credit note's after it).
        return db.scalar(select(func.max(Event.seq))) or seq

    return _act(request, dispute.invoice_seq, path, csrf, f"decide-{seq}", entered, act)


@router.post("/billing/disputes/{seq}/accept", response_class=HTMLResponse)
def accept_form(request: Request, seq: int, reason: str = Form(""),
                csrf: str = Form("")) -> Response:
    """accept_form: the receiving state accepts a dispute; a credit note for what remains
    of the line is issued with the decision."""
    return _decide(request, seq, reason, csrf, accept=True)


@router.post("/billing/disputes/{seq}/reject", response_class=HTMLResponse)
def reject_form(request: Request, seq: int, reason: str = Form(""),
                csrf: str = Form("")) -> Response:
    """reject_form: the receiving state rejects a dispute, with its reason."""
    return _decide(request, seq, reason, csrf, accept=False)


# --- the sustainability report ----------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str


@dataclass(frozen=True)
class Chart:
    """Chart is the report drawn as grouped bars: revenue beside operating cost per month."""

    width: int
    height: int
    base: float  # the y of the zero line
    left: float
    right: float
    top: float
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, the amount it marks)
    groups: list[tuple[float, str, str]]  # (x of the centre, month, share covered)


REVENUE, COST = "#1f6f3f", "#8a1c1c"
# A bar's tooltip: the month, what the bar is, and the amount.
BAR_LABELS = {REVENUE: N_("%(month)s, fee revenue: %(amount)s"),
              COST: N_("%(month)s, operating cost: %(amount)s")}


def percent(share: Any, locale: str = DEFAULT) -> str:
    """percent writes an exact share for people in LOCALE: 0.1234 → "12.3%" (en),
    "12,3 %" (es); a share under 0.1% with three decimals; None → "—"."""
    if share is None:
        return "—"
    value = float(share)
    places = 1 if value * 100 >= 0.1 or value == 0 else 3
    # The locale's own pattern ("#,##0%", "#,##0 %"), with the decimals a share needs.
    pattern = Locale.parse(locale).percent_formats[None].pattern.split(";")[0]
    return format_percent(value, format=pattern.replace("#,##0", "#,##0." + "0" * places),
                          locale=locale)


def _whole_money(minor: int, currency: str, locale: str) -> str:
    """_whole_money is an axis label: MINOR units of CURRENCY without the decimals."""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency,
                           format="¤¤\u00a0#,##0", locale=locale, currency_digits=False)


def _month_label(label: str, many: bool, locale: str) -> str:
    """_month_label names a month under its bars: "Apr" among many, "Apr 2025" alone."""
    if not many:
        return document.month(label, locale)
    return format_date(date.fromisoformat(label + "-01"), "LLL", locale=locale)


def chart(measured: report.SustainabilityReport, locale: str = DEFAULT) -> Chart:
    """chart lays out the bars in SVG user units: a pair per month, scaled to the largest;
    its words and amounts in LOCALE."""
    width, height, left, right, top, bottom = 720, 300, 96.0, 12.0, 28.0, 36.0
    rows = measured.months
    largest = max([1] + [max(m.revenue_minor, m.operating_cost_minor) for m in rows])
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h
    group = plot_w / max(1, len(rows))
    bar = min(28.0, group * 0.36)
    bars, groups = [], []
    for i, m in enumerate(rows):
        centre = left + group * (i + 0.5)
        for offset, value, fill in ((-bar - 1, m.revenue_minor, REVENUE),
                                    (1, m.operating_cost_minor, COST)):
            h = plot_h * max(value, 0) / largest
            said = gettext(locale, BAR_LABELS[fill]) % {
                "month": document.month(m.label, locale),
                "amount": document.money(value, measured.currency, locale)}
            bars.append(Bar(round(centre + offset, 1), round(base - h, 1), round(bar, 1),
                            round(h, 1), fill, said))
        groups.append((round(centre, 1), _month_label(m.label, len(rows) > 1, locale),
                       percent(m.share_covered, locale)))
    ticks = [(round(base - plot_h * k / 4, 1),
              _whole_money(largest * k // 4, measured.currency, locale)) for k in range(5)]
    return Chart(width, height, base, left, width - right, top, bars, ticks, groups)


def last_month(today: date) -> str:
    """last_month is the latest month already over on TODAY, "YYYY-MM"."""
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


# What a whole-number field of the report must be, by its least value.
WHOLE_PROBLEMS = {0: N_("must be a whole number, 0 or more"),
                  1: N_("must be a whole number, 1 or more")}


def _whole(name: str, text: str, default: int, least: int, locale: str) -> int:
    """_whole reads a whole number as LOCALE groups it ("110,000" en, "110.000" es)."""
    cleaned = text.strip()
    for group in (",", "_", " ", "\u00a0", "\u202f", get_group_symbol(locale=locale)):
        cleaned = cleaned.replace(group, "")
    if not cleaned:
        return default
    if not cleaned.isdigit() or int(cleaned) < least:
        raise field_error(name, WHOLE_PROBLEMS[least])
    return int(cleaned)


@router.get("/billing/sustainability", response_class=HTMLResponse)
def sustainability_page(request: Request, period: str = "", facility: str = "",
                        annual_cost_minor: str = "", system_population: str = "") -> Response:
    """sustainability_page: fee revenue against the facility's operating cost for its whole
    population, month by month, as a chart and as the table it is drawn from."""
    principal = page_principal(request, "/billing/sustainability")
    if isinstance(principal, Response):
        return principal
    today = utcnow().date()
    form = {"period": period.strip() or last_month(today), "facility": facility.strip(),
            "annual_cost_minor": annual_cost_minor.strip()
            or str(sustain.REPORTED_SYSTEM_COST_MINOR),
            "system_population": system_population.strip()
            or str(sustain.REPORTED_SYSTEM_POPULATION)}
    measured, problem = None, None
    lang = locale_of(request)
    with read_session(engine_of(request)) as db:
        places = sorted(set(db.scalars(select(Agreement.facility_code))))
        try:
            cost = _whole("annual_cost_minor", form["annual_cost_minor"],
                          sustain.REPORTED_SYSTEM_COST_MINOR, 0, lang)
            population = _whole("system_population", form["system_population"],
                                sustain.REPORTED_SYSTEM_POPULATION, 1, lang)
            measured = report.sustainability_report(
                db, form["period"], today=today, facility=form["facility"] or None,
                annual_cost_minor=cost, system_population=population, scope=principal.scope)
        except DomainError as exc:
            problem = _problem("report", exc)
    return templates.TemplateResponse(request, "billing_sustainability.html", _context(
        principal, r=measured, form=form, problem=problem, today=today, places=places,
        chart=chart(measured, lang) if measured else None,
        percent=partial(percent, locale=lang), source_texts=SOURCE_TEXTS,
        rate_minor=round_half_up(measured.cost_per_person_day_minor) if measured else None),
        status_code=problem.status if problem else 200)
