"""Billing pages: invoices with their lines drilled down to the people and ledger events,
credit notes, payments and disputes; the PDF; the sustainability report (DESIGN.md §8).

Thin, as the other pages: parse, call the habeas.billing use case, render. A sending user
sees only its own agreements' invoices (DESIGN.md §2). An invoice names people, so opening
one (page or PDF) is recorded (Mandela Rule 9, billing.opening). A bad form field comes
back on the page, named, with the values entered. The pages and the PDF speak the reader's
language, its dates, numbers and money too; an amount is read as that language writes it
(billing.money). The invoices and an invoice's lines come a page at a time
(habeas.web.paging), and the payment form records one payment however often the same form
is posted (habeas.api.form_once).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from functools import partial

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of
from habeas.api.form_once import FormOnce
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.billing import (
    disputes,
    document,
    issuing,
    opening,
    payments,
    reads,
    report,
    sustain,
)
from habeas.billing.arithmetic import round_half_up
from habeas.billing.money import major, to_minor, whole_number
from habeas.config import get_settings
from habeas.custody.file_reads import openable
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import DomainError, NotFound, field_error
from habeas.i18n import N_, locale_of
from habeas.web.common import (
    FormUser,
    PageUser,
    Problem,
    page,
    problem_of,
    refusal_page,
    templates,
)
from habeas.web.paging import paginate
from habeas.web.sustainability_chart import chart, percent

router = APIRouter(include_in_schema=False)
document.install(templates.env)  # the invoice's filters, in the reader's language
# What a service calls a field, as the form calls it.
FORM_FIELDS = {"amount_minor": "amount", "document": "line"}
# An invoice's ageing (reads.ageing) when it is not days past due.
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
# What the invoice pages show an invoice's ageing and a dispute's status as.
LABELS = {"ageing_labels": AGEING_LABELS, "dispute_labels": DISPUTE_LABELS}


def _problem(form: str, exc: DomainError) -> Problem:
    return problem_of(form, exc, FORM_FIELDS)


def last_month(today: date) -> str:
    """last_month is the latest month already over on TODAY, "YYYY-MM"."""
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


# --- the invoices -----------------------------------------------------------------------


@router.get("/billing/invoices", response_class=HTMLResponse)
def invoices_page(request: Request, principal: PageUser, agreement: str = "") -> Response:
    """invoices_page: the issued invoices, oldest first, with what is credited, paid and
    still owed, and how late; filtered by agreement."""
    return _invoices_page(request, principal, agreement)


def _invoices_page(request: Request, principal: Principal, agreement: str, *,
                   problem: Problem | None = None, entered: dict[str, str] | None = None
                   ) -> Response:
    today = utcnow().date()
    chosen, scope = agreement or None, principal.scope
    with read_session(engine_of(request)) as db:
        listed = paginate(request, lambda limit, offset: reads.list_invoices(
            db, agreement=chosen, scope=scope, limit=limit, offset=offset, with_lines=False),
            path="/billing/invoices")
        mine = reads.agreements_billed(db, scope=scope)
        return page(
            request, principal, "billing_invoices.html",
            status_code=problem.status if problem else 200, **LABELS,
            invoices=listed.items, listed=listed,
            ageing={i.seq: reads.ageing(i, today) for i in listed.items},
            agreements=mine, chosen=agreement, today=today,
            owed=reads.owed_by_currency(db, agreement=chosen, scope=scope),
            may_issue=allowed(principal.role, Action.ISSUE_INVOICES), problem=problem,
            issue=entered or {"agreement": mine[0].ref if mine else "",
                              "period": last_month(today)})


@router.post("/billing/invoices", response_class=HTMLResponse)
def issue_form(request: Request, principal: FormUser, agreement: str = Form(""),
               period: str = Form("")) -> Response:
    """issue_form issues a month's invoice; a month is invoiced once, so posting the form
    twice issues one invoice and names it."""
    entered = {"agreement": agreement, "period": period}
    try:
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period.strip()):
            raise field_error("period", N_("give the month, YYYY-MM"))
        with unit_of_work(engine_of(request)) as db:
            invoice = issuing.issue_invoice(db, agreement, period.strip(),
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
def invoice_pdf(request: Request, principal: PageUser, seq: int) -> Response:
    """invoice_pdf: the invoice as issued, with its credit notes and payments, as an A4 PDF
    made from the page's own template; downloaded, and the read recorded."""
    with unit_of_work(engine_of(request)) as db:
        try:
            doc = opening.open_invoice(db, seq, principal, channel="web",
                                       purpose="invoice PDF").doc
        except DomainError as exc:
            return refusal_page(request, principal, exc)
    # The PDF speaks the reader's language, as the page does.
    pdf = document.invoice_pdf(doc, locale_of(request),
                               cache=get_settings().data_dir / PDF_CACHE)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{doc.filename}"',
        "Cache-Control": "no-store"})


def _invoice_page(request: Request, principal: Principal, seq: int, *,
                  problem: Problem | None = None, entered: dict[str, str] | None = None,
                  recorded: int | None = None) -> Response:
    today = utcnow().date()
    with unit_of_work(engine_of(request)) as db:
        try:
            opened = opening.open_invoice(db, seq, principal, channel="web",
                                          purpose="invoice")
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        doc, invoice = opened.doc, opened.invoice
        contested = {d.line for d in opened.disputes if d.status in ("open", "accepted")}
        by_line = {int(line["line"]): line for line in doc.lines if "line" in line}
        # The page shows the lines a page at a time (the PDF, all of them); its links do
        # not carry the notice of what was just recorded.
        line_page = paginate(request, lambda limit, offset: doc.lines[offset:offset + limit],
                             path=f"/billing/invoices/{seq}")
        line_page = replace(line_page, query=tuple(
            (k, v) for k, v in line_page.query if k != "recorded"))
        return page(
            request, principal, "billing_invoice.html",
            status_code=problem.status if problem else 200, **LABELS,
            doc=doc, invoice=invoice, ageing=reads.ageing(invoice, today),
            line_page=line_page,
            disputes=opened.disputes, by_line=by_line, today=today, recorded=recorded,
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
                "paid_on": today.isoformat(), "reference": "", "line": "", "reason": ""})


@router.get("/billing/invoices/{seq}", response_class=HTMLResponse)
def invoice_page(request: Request, principal: PageUser, seq: int,
                 recorded: int | None = None) -> Response:
    """invoice_page: one invoice — its lines, each to the person and the ledger events
    behind it; credit notes, payments, disputes; and the forms the reader's role may use."""
    return _invoice_page(request, principal, seq, recorded=recorded)


def _act(request: Request, principal: Principal, seq: int, form: str,
         entered: dict[str, str], act: Callable[[Session, Principal], int]) -> Response:
    """_act runs one form's use case in a unit of work, then shows the invoice again: with
    the ledger event on success, or with the error named in the form on failure."""
    try:
        with unit_of_work(engine_of(request)) as db:
            recorded = act(db, principal)
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _invoice_page(request, principal, seq, problem=_problem(form, exc),
                             entered=entered)
    return RedirectResponse(f"/billing/invoices/{seq}?recorded={recorded}#{form}",
                            status_code=303)


@router.post("/billing/invoices/{seq}/payments", response_class=HTMLResponse)
def payment_form(request: Request, principal: FormUser, seq: int, amount: str = Form(""),
                 paid_on: str = Form(""), reference: str = Form(""),
                 form_key: str = Form("")) -> Response:
    """payment_form records a payment against the invoice (partial allowed), once per
    rendering of the form: posting the same form again (a double click, a resent request)
    shows the payment it recorded instead of recording another (FormOnce)."""
    entered = {"amount": amount, "paid_on": paid_on, "reference": reference, "line": "",
               "reason": ""}
    lang = locale_of(request)

    def act(db: Session, who: Principal) -> int:
        once = FormOnce.of(who.user_id, form_key, request.url.path,
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
        invoice = reads.get_invoice(db, seq, scope=who.scope)
        minor = to_minor(amount, invoice.currency, lang)
        try:
            day = date.fromisoformat(paid_on.strip())
        except ValueError:
            raise field_error("paid_on", N_("give the date the money was received, "
                                            "YYYY-MM-DD")) from None
        if not reference.strip():
            raise field_error("reference", N_("give the payment's reference (e.g. the "
                                              "wire's)"))
        return payments.record_payment(db, seq, minor, paid_on=day,
                                       reference=reference.strip()[:200], actor=who.actor,
                                       party=who.party_code).seq

    return _act(request, principal, seq, "payment", entered, act)


@router.post("/billing/invoices/{seq}/disputes", response_class=HTMLResponse)
def dispute_form(request: Request, principal: FormUser, seq: int, line: str = Form(""),
                 reason: str = Form("")) -> Response:
    """dispute_form: the sending state contests one line, with its reason."""
    entered = {"line": line, "reason": reason, "amount": "", "paid_on": "", "reference": ""}

    def act(db: Session, who: Principal) -> int:
        invoice = reads.get_invoice(db, seq, scope=who.scope)
        if not line.strip().isdigit():
            raise field_error("line", N_("choose the line you dispute"))
        return disputes.open_dispute(db, invoice.number, int(line), reason.strip()[:900],
                                     actor=who.actor, party=who.party_code,
                                     today=utcnow().date()).seq

    return _act(request, principal, seq, "dispute", entered, act)


def _decide(request: Request, principal: Principal, seq: int, reason: str,
            accept: bool) -> Response:
    with read_session(engine_of(request)) as db:
        try:
            dispute = reads.get_dispute(db, seq, scope=principal.scope)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
    entered = {f"reason-{seq}": reason, "amount": "", "paid_on": "", "reference": "",
               "line": "", "reason": ""}

    def act(db: Session, who: Principal) -> int:
        # The decision's event (and, when accepted, the credit note's after it).
        return disputes.decide(db, seq, accept=accept, reason=reason.strip()[:900],
                               actor=who.actor, party=who.party_code,
                               today=utcnow().date())[1]

    return _act(request, principal, dispute.invoice_seq, f"decide-{seq}", entered, act)


@router.post("/billing/disputes/{seq}/accept", response_class=HTMLResponse)
def accept_form(request: Request, principal: FormUser, seq: int,
                reason: str = Form("")) -> Response:
    """accept_form: the receiving state accepts a dispute; a credit note for what remains
    of the line is issued with the decision."""
    return _decide(request, principal, seq, reason, accept=True)


@router.post("/billing/disputes/{seq}/reject", response_class=HTMLResponse)
def reject_form(request: Request, principal: FormUser, seq: int,
                reason: str = Form("")) -> Response:
    """reject_form: the receiving state rejects a dispute, with its reason."""
    return _decide(request, principal, seq, reason, accept=False)


# --- the sustainability report ----------------------------------------------------------


@router.get("/billing/sustainability", response_class=HTMLResponse)
def sustainability_page(request: Request, principal: PageUser, period: str = "",
                        facility: str = "", annual_cost_minor: str = "",
                        system_population: str = "") -> Response:
    """sustainability_page: fee revenue against the facility's operating cost for its whole
    population, month by month, as a chart and as the table it is drawn from."""
    today = utcnow().date()
    form = {"period": period.strip() or last_month(today), "facility": facility.strip(),
            "annual_cost_minor": annual_cost_minor.strip()
            or str(sustain.REPORTED_SYSTEM_COST_MINOR),
            "system_population": system_population.strip()
            or str(sustain.REPORTED_SYSTEM_POPULATION)}
    measured, problem = None, None
    lang = locale_of(request)
    with read_session(engine_of(request)) as db:
        places = reads.billed_facilities(db)
        try:
            cost = whole_number("annual_cost_minor", form["annual_cost_minor"],
                                sustain.REPORTED_SYSTEM_COST_MINOR, 0, lang)
            population = whole_number("system_population", form["system_population"],
                                      sustain.REPORTED_SYSTEM_POPULATION, 1, lang)
            measured = report.sustainability_report(
                db, form["period"], today=today, facility=form["facility"] or None,
                annual_cost_minor=cost, system_population=population, scope=principal.scope)
        except DomainError as exc:
            problem = _problem("report", exc)
    return page(
        request, principal, "billing_sustainability.html",
        status_code=problem.status if problem else 200,
        r=measured, form=form, problem=problem, today=today, places=places,
        chart=chart(measured, lang) if measured else None,
        percent=partial(percent, locale=lang), source_texts=SOURCE_TEXTS,
        rate_minor=round_half_up(measured.cost_per_person_day_minor) if measured else None)
