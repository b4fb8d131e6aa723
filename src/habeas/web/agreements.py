"""The agreement page: what both states signed, and the changes one proposes to the other.

Renewing the agreement, changing its fees or its quota, and holding one person past its
term are proposals by one state, in force only once the other accepts (DESIGN.md §12.1).
Thin, as the other pages: parse, call habeas.agreements.service, render. Every authority
check is the service's: another agreement's state reads the agreement as not found (404),
and a state accepting its own proposal is refused (403 wrong_party), said plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from habeas.agreements import service as agreements
from habeas.agreements.models import Agreement, AgreementChange, FeeSchedule
from habeas.agreements.schemas import FeeSchedule as FeeScheduleIn
from habeas.agreements.terms import term_end
from habeas.api.deps import engine_of
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.billing.money import major, to_minor
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError, NotFound, field_error
from habeas.i18n import N_, locale_of
from habeas.validation import parse_or_422
from habeas.web.common import (
    FormUser,
    PageUser,
    Problem,
    day_of,
    page,
    problem_of,
    refusal_page,
    safe_next,
)
from habeas.web.labels import CHANGE_KINDS, CHANGE_STATUS

router = APIRouter(include_in_schema=False)
RATE_KINDS = {"annual": N_("per person-year"), "per_diem": N_("per person-day")}
# What each form posts, by the form's name on the page.
FORMS = ("renewal", "fees", "quota")
NOT_MONTHS = N_("give a whole number of months")
NO_RATE_KIND = N_("choose per person-year or per person-day")
NOT_A_QUOTA = N_("give a whole number of people, or leave it empty for no cap")
DONE = {"proposed": N_("Proposal recorded: it is in force only once the other state accepts"
                       " it."),
        "accepted": N_("Proposal accepted: the change is in force from now."),
        "rejected": N_("Proposal rejected: nothing changes."),
        "withdrawn": N_("Proposal withdrawn: nothing changes.")}


def blank_form(agreement: Agreement, fees: FeeSchedule | None, lang: str) -> dict[str, str]:
    """blank_form: the proposal forms, filled with what is in force now."""
    rate = "annual" if fees is None or fees.annual_rate_minor is not None else "per_diem"
    amount = (fees.annual_rate_minor if rate == "annual" else fees.per_diem_minor) \
        if fees is not None else None
    return {"months": "12", "basis": "", "effective_from": "", "rate_kind": rate,
            "rate": major(amount, agreement.currency, lang) if amount else "",
            "intake_fee": major(fees.intake_fee_minor, agreement.currency, lang)
            if fees is not None and fees.intake_fee_minor else "",
            "quota": str(agreement.quota) if agreement.quota else "", "reason": ""}


def _agreement_page(request: Request, principal: Principal, ref: str, *,
                    problem: Problem | None = None, entered: dict[str, str] | None = None,
                    done: str | None = None) -> Response:
    with read_session(engine_of(request)) as db:
        try:
            # The service scopes the read: another agreement's state reads "not found".
            changes = agreements.list_changes(db, ref, party=principal.party_code)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        agreement = agreements.get_agreement(db, ref)
        fees = agreements.current_fees(db, ref)
        times = agreements.change_times(db, changes)
    form = blank_form(agreement, fees, locale_of(request)) | (entered or {})
    return page(
        request, principal, "agreement.html", status_code=problem.status if problem else 200,
        kinds=CHANGE_KINDS, statuses=CHANGE_STATUS, rate_kinds=RATE_KINDS, a=agreement, fees=fees,
        ends_on=term_end(agreement.starts_on, agreement.term_months),
        pending=[c for c in changes if c.status == "proposed"],
        past=[c for c in changes if c.status != "proposed"], times=times,
        may_renew=allowed(principal.role, Action.RENEW_TERMS) and agreement.renewable,
        may_change=allowed(principal.role, Action.SCHEDULE_FEES),
        may_decide=allowed(principal.role, Action.DECIDE_AGREEMENT_CHANGES),
        problem=problem, form=form, done=DONE.get(done or ""))


@router.get("/agreements/{ref}", response_class=HTMLResponse)
def agreement_page(request: Request, principal: PageUser, ref: str,
                   done: str | None = None) -> Response:
    """agreement_page: the agreement, its pending and past proposals, and the forms."""
    return _agreement_page(request, principal, ref, done=done)


def _post(request: Request, principal: Principal, ref: str, form: str,
          entered: dict[str, str], act: Callable[[Session, Principal], object],
          done: str, fields: dict[str, str] | None = None, back: str = "") -> Response:
    """_post runs one form's use case in a unit of work, then goes back to the page it was
    posted from (BACK, if a page of this site) or the agreement: with what was done, or with
    the service's error next to the form's field (a 404 as the not-found page)."""
    try:
        with unit_of_work(engine_of(request)) as db:
            act(db, principal)
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _agreement_page(request, principal, ref, problem=problem_of(form, exc, fields),
                               entered=entered)
    target = safe_next(back) or f"/agreements/{quote(ref)}?done={done}#changes"
    return RedirectResponse(target, status_code=303)


def _minor(text: str, currency: str, lang: str, name: str) -> int:
    """_minor: an amount of the form (habeas.billing.money.to_minor), its error at field NAME."""
    try:
        return to_minor(text, currency, lang)
    except DomainError as exc:
        said = exc.details.get("problem") if isinstance(exc.details, dict) else None
        raise field_error(name, str(said or exc.message)) from None


def _rate_field(path: str) -> str:
    """_rate_field: the form's field for the fee schedule's field PATH (one rate box)."""
    return "rate" if path in ("annual_rate_minor", "per_diem_minor", "") else path


@router.post("/agreements/{ref}/renewals", response_class=HTMLResponse)
def renewal_form(request: Request, principal: FormUser, ref: str, months: str = Form(""),
                 basis: str = Form("")) -> Response:
    """renewal_form: a state proposes extending the agreement's term by MONTHS."""
    def act(db: Session, who: Principal) -> object:
        if not months.strip().isdigit():
            raise field_error("months", NOT_MONTHS)
        return agreements.propose_renewal(db, ref, months=int(months), basis=basis.strip(),
                                          actor=who.actor, party=who.party_code)

    return _post(request, principal, ref, "renewal",
                 {"months": months, "basis": basis}, act, "proposed")


@router.post("/agreements/{ref}/fees", response_class=HTMLResponse)
def fees_form(request: Request, principal: FormUser, ref: str, effective_from: str = Form(""),
              rate_kind: str = Form(""), rate: str = Form(""), intake_fee: str = Form(""),
              basis: str = Form("")) -> Response:
    """fees_form: a state proposes new fees from a date; what the form does not change
    (proration, caps, billing convention) stays as in force now."""
    lang = locale_of(request)

    def act(db: Session, who: Principal) -> object:
        # The amounts are read in the agreement's currency; read it through the service, so
        # that another agreement's state gets its "not found" before any field error.
        agreements.list_changes(db, ref, party=who.party_code)
        agreement = agreements.get_agreement(db, ref)
        now = agreements.current_fees(db, ref)
        kept = {k: getattr(now, k) for k in ("proration", "medical_cap_minor",
                                             "repatriation_cap_minor", "convention")} \
            if now is not None else {}
        if rate_kind not in RATE_KINDS:
            raise field_error("rate_kind", NO_RATE_KIND)
        amount = _minor(rate, agreement.currency, lang, "rate")
        fees = parse_or_422(FeeScheduleIn, {
            **kept, "effective_from": day_of(effective_from, "effective_from"),
            "annual_rate_minor": amount if rate_kind == "annual" else None,
            "per_diem_minor": amount if rate_kind == "per_diem" else None,
            "intake_fee_minor": _minor(intake_fee, agreement.currency, lang, "intake_fee")
            if intake_fee.strip() else 0}, rename=_rate_field)
        return agreements.propose_fees(db, ref, fees, basis=basis.strip(), actor=who.actor,
                                       party=who.party_code)

    entered = {"effective_from": effective_from, "rate_kind": rate_kind, "rate": rate,
               "intake_fee": intake_fee, "basis": basis}
    return _post(request, principal, ref, "fees", entered, act,
                 "proposed", fields={"intake_fee_minor": "intake_fee"})


@router.post("/agreements/{ref}/quota", response_class=HTMLResponse)
def quota_form(request: Request, principal: FormUser, ref: str, quota: str = Form(""),
               basis: str = Form("")) -> Response:
    """quota_form: a state proposes a new cap on the people the agreement covers (empty:
    no cap)."""
    def act(db: Session, who: Principal) -> object:
        text = quota.strip().replace(",", "").replace(".", "")
        if text and not text.isdigit():
            raise field_error("quota", NOT_A_QUOTA)
        return agreements.propose_quota(db, ref, quota=int(text) if text else None,
                                        basis=basis.strip(), actor=who.actor,
                                        party=who.party_code)

    return _post(request, principal, ref, "quota",
                 {"quota": quota, "basis": basis}, act, "proposed")


def _decision(request: Request, principal: Principal, ref: str, seq: int, verb: str,
              back: str, act: Callable[[Session, Principal], AgreementChange],
              reason: str = "") -> Response:
    return _post(request, principal, ref, f"decide-{seq}", {f"reason-{seq}": reason}, act,
                 {"accept": "accepted", "reject": "rejected", "withdraw": "withdrawn"}[verb],
                 fields={"reason": f"reason-{seq}"}, back=back)


@router.post("/agreements/{ref}/changes/{seq}/accept", response_class=HTMLResponse)
def accept_form(request: Request, principal: FormUser, ref: str, seq: int,
                back: str = Form("")) -> Response:
    """accept_form: the other state accepts a proposal; it is in force from now."""
    def act(db: Session, who: Principal) -> AgreementChange:
        return agreements.accept_change(db, ref, seq, actor=who.actor, party=who.party_code)

    return _decision(request, principal, ref, seq, "accept", back, act)


@router.post("/agreements/{ref}/changes/{seq}/reject", response_class=HTMLResponse)
def reject_form(request: Request, principal: FormUser, ref: str, seq: int,
                reason: str = Form(""), back: str = Form("")) -> Response:
    """reject_form: the other state refuses a proposal, saying why."""
    def act(db: Session, who: Principal) -> AgreementChange:
        return agreements.reject_change(db, ref, seq, reason=reason.strip(), actor=who.actor,
                                        party=who.party_code)

    return _decision(request, principal, ref, seq, "reject", back, act, reason)


@router.post("/agreements/{ref}/changes/{seq}/withdraw", response_class=HTMLResponse)
def withdraw_form(request: Request, principal: FormUser, ref: str, seq: int,
                  back: str = Form("")) -> Response:
    """withdraw_form: the proposing state takes its proposal back."""
    def act(db: Session, who: Principal) -> AgreementChange:
        return agreements.withdraw_change(db, ref, seq, actor=who.actor, party=who.party_code)

    return _decision(request, principal, ref, seq, "withdraw", back, act)
