"""Nomination and court-order pages: list and filter, the rule trace, and the forms."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.api.deps import engine_of
from habeas.auth import service as auth
from habeas.auth.service import Principal
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import DomainError
from habeas.holds import service as holds
from habeas.holds.schemas import Hold, HoldKind
from habeas.i18n import N_
from habeas.nominations import decisions, service
from habeas.nominations.models import NominationRecord
from habeas.screening.rules import PERSON_RULES
from habeas.transfers.models import Manifest, ManifestPerson
from habeas.web.common import form_principal, navigation, page_principal, templates
from habeas.web.paging import paginate

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _context(principal: Principal, **extra: Any) -> dict[str, Any]:
    return {"principal": principal, "nav": navigation(principal), **extra}


@router.get("/nominations", response_class=HTMLResponse)
def nominations_page(
    request: Request,
    decision: str | None = Query(default=None, pattern="^(eligible|ineligible|review)?$"),
    status: str | None = Query(default=None, pattern="^(nominated|accepted|rejected)?$"),
    rule: str | None = Query(default=None, pattern="^[A-Z_]*$"),
    nationality: str | None = Query(default=None, pattern="^[A-Z]{0,3}$"),
    page: int = Query(default=1, ge=1),
) -> Response:
    principal = page_principal(request, "/nominations")
    if isinstance(principal, Response):
        return principal
    filters = service.Filters(party=principal.scope, decision=decision or None,
                              status=status or None, failed_rule=rule or None,
                              nationality=nationality or None)
    with read_session(engine_of(request)) as db:
        total = service.count_nominations(db, filters)
        rows = service.list_nominations(db, filters, limit=PAGE_SIZE,
                                        offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    query = {k: v for k, v in (("decision", decision), ("status", status), ("rule", rule),
                               ("nationality", nationality)) if v}
    return templates.TemplateResponse(request, "nominations.html", _context(
        principal, rows=rows, total=total, page=page, pages=pages, query=query,
        rules=list(PERSON_RULES), filters=filters))


@router.get("/nominations/import", response_class=HTMLResponse)
def import_page(request: Request) -> Response:
    principal = page_principal(request, "/nominations/import")
    if isinstance(principal, Response):
        return principal
    return templates.TemplateResponse(request, "nominations_import.html",
                                      _context(principal, report=None, error=None))


@router.post("/nominations/import", response_class=HTMLResponse)
def import_file(request: Request, file: UploadFile = File(...), as_of: str = Form(""),
                csrf: str = Form("")) -> Response:
    principal = form_principal(request, "/nominations/import", csrf)
    if isinstance(principal, Response):
        return principal

    def fail(message: str, status: int = 422) -> Response:
        return templates.TemplateResponse(request, "nominations_import.html", _context(
            principal, report=None, error=message), status_code=status)

    try:
        day = date.fromisoformat(as_of) if as_of else utcnow().date()
    except ValueError:
        return fail(f"as_of: {as_of!r} is not a date (YYYY-MM-DD)")
    raw = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        return fail("file: larger than 50 MB; use `habeas nominations import`", 413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return fail("file: not UTF-8 text")
    name = (file.filename or "").lower()
    if name.endswith(".csv"):
        from habeas.nominations.csvfile import CsvFormatError, read_nominations

        try:
            rows = [service.Row(n.lines[0], n.data, [{"field": e.field, "message": e.message}
                                                     for e in n.errors])
                    for n in read_nominations(io.StringIO(text, newline=""))]
        except CsvFormatError as exc:
            return fail(f"file: {exc}")
    elif name.endswith((".jsonl", ".json", ".ndjson")):
        rows = list(service.read_jsonl(io.StringIO(text)))
    else:
        return fail("file: choose a .jsonl or .csv file")
    with unit_of_work(engine_of(request)) as db:
        agreement = db.scalars(select(Agreement).where(
            Agreement.sending_party == principal.party_code)).first()
        if agreement is None:
            return fail(f"no agreement has {principal.party_code} as its sending party", 404)
        report = service.ImportReport(service.import_rows(db, agreement, rows, as_of=day,
                                                          actor=principal.actor))
    return templates.TemplateResponse(request, "nominations_import.html",
                                      _context(principal, report=report, error=None))


@router.get("/nominations/{public_id}", response_class=HTMLResponse)
def nomination_page(request: Request, public_id: str, error: str | None = None) -> Response:
    principal = page_principal(request, "/nominations/{public_id}")
    if isinstance(principal, Response):
        return principal
    with unit_of_work(engine_of(request)) as db:
        try:
            record = decisions.get(db, public_id, principal.scope)
        except DomainError as exc:
            return templates.TemplateResponse(request, "error.html", _context(
                principal, message=exc.message, code=exc.code.value,
        title=N_("Not found") if exc.status == 404 else N_("Refused")), status_code=404)
        auth.record_read(db, principal, kind="nomination", record_id=public_id,
                         channel="web", purpose="nomination file")
        notice = decisions.latest_notice(db, public_id)
        return templates.TemplateResponse(request, "nomination.html", _context(
            principal, n=record, person=record.data["person"], data=record.data,
            notice=notice, error=error, today=utcnow().date().isoformat()),
            status_code=422 if error else 200)


def _back(public_id: str) -> Response:
    return RedirectResponse(f"/nominations/{public_id}", status_code=303)


def _nomination_form(request: Request, public_id: str, path: str, csrf: str,
                     act: Any) -> Response:
    principal = form_principal(request, path, csrf)
    if isinstance(principal, Response):
        return principal
    try:
        with unit_of_work(engine_of(request)) as db:
            record = decisions.get(db, public_id, principal.scope)
            act(db, record, principal)
    except DomainError as exc:
        return nomination_page(request, public_id, error=exc.message)
    return _back(public_id)


@router.post("/nominations/{public_id}/notice")
def notice_form(request: Request, public_id: str, served_on: str = Form(""),
                language: str = Form(""), method: str = Form(""),
                acknowledged: str = Form(""), csrf: str = Form("")) -> Response:
    def act(db: Any, record: NominationRecord, who: Principal) -> None:
        try:
            day = date.fromisoformat(served_on)
        except ValueError:
            raise DomainError(f"served_on: {served_on!r} is not a date") from None
        if method not in ("in_person", "mail", "counsel", "email"):
            raise DomainError(f"method: {method!r} is not a delivery method")
        decisions.serve_notice(db, record, served_on=day, language=language,
                               method=method,  # type: ignore[arg-type]
                               acknowledged=acknowledged == "yes", actor=who.actor,
                               party=who.party_code)

    return _nomination_form(request, public_id, "/nominations/{public_id}/notice", csrf, act)


@router.post("/nominations/{public_id}/accept")
def accept_form(request: Request, public_id: str, on: str = Form(""),
                csrf: str = Form("")) -> Response:
    def act(db: Any, record: NominationRecord, who: Principal) -> None:
        try:
            day = date.fromisoformat(on) if on else utcnow().date()
        except ValueError:
            raise DomainError(f"on: {on!r} is not a date") from None
        decisions.accept(db, record, on=day, actor=who.actor, party=who.party_code)

    return _nomination_form(request, public_id, "/nominations/{public_id}/accept", csrf, act)


@router.post("/nominations/{public_id}/reject")
def reject_form(request: Request, public_id: str, reason: str = Form(""),
                csrf: str = Form("")) -> Response:
    def act(db: Any, record: NominationRecord, who: Principal) -> None:
        decisions.reject(db, record, reason=reason, actor=who.actor, party=who.party_code)

    return _nomination_form(request, public_id, "/nominations/{public_id}/reject", csrf, act)


@dataclass(frozen=True)
class Stopped:
    """Stopped: one person an order took off a manifest at its departure gates."""

    manifest_id: str
    departure_date: date
    external_ref: str


def stopped_by(db: Session, orders: Sequence[Hold], scope: str | None
               ) -> dict[str, list[Stopped]]:
    """stopped_by: per order, the people its departure gate took off a manifest (the gate's
    reason names the order: "barred by tro 1:25-cv-…"); a state sees only its own people."""
    query = (select(ManifestPerson.reason, Manifest.id, Manifest.departure_date,
                    NominationRecord.external_ref)
             .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
             .join(NominationRecord, NominationRecord.public_id == ManifestPerson.public_id)
             .where(ManifestPerson.status == "removed")
             .order_by(Manifest.departure_date, NominationRecord.external_ref))
    if scope is not None:
        query = query.where(NominationRecord.sending_party == scope)
    removed = db.execute(query).all() if orders else []
    return {h.hold_ref: [Stopped(m, day, ref) for reason, m, day, ref in removed
                         if f"{h.kind.value} {h.hold_ref}" in (reason or "")]
            for h in orders}


HOLD_FIELDS = ("hold_ref", "court", "kind", "issued", "expires", "scope_field", "scope_value",
               "bars_removal_to")


def _holds_page(request: Request, principal: Principal, error: str | None = None,
                message: str | None = None, status: int = 200,
                entered: dict[str, str] | None = None, bad: str | None = None) -> Response:
    with read_session(engine_of(request)) as db:
        orders = paginate(request, lambda limit, offset: holds.list_holds(
            db, limit=limit, offset=offset), path="/holds")
        stopped = stopped_by(db, orders.items, principal.scope)
    return templates.TemplateResponse(request, "holds.html", _context(
        principal, orders=orders.items, listed=orders, kinds=[k.value for k in HoldKind],
        error=error,
        message=message, today=utcnow().date(), stopped=stopped, bad=bad,
        form=entered or {"issued": utcnow().date().isoformat(), "bars_removal_to": "any",
                         "scope_field": "external_ref"}), status_code=status)


@router.get("/holds", response_class=HTMLResponse)
def holds_page(request: Request) -> Response:
    principal = page_principal(request, "/holds")
    if isinstance(principal, Response):
        return principal
    return _holds_page(request, principal)


@router.post("/holds", response_class=HTMLResponse)
def hold_form(request: Request, hold_ref: str = Form(""), court: str = Form(""),
              kind: str = Form(""), issued: str = Form(""), expires: str = Form(""),
              scope_field: str = Form(""), scope_value: str = Form(""),
              bars_removal_to: str = Form("any"), csrf: str = Form("")) -> Response:
    principal = form_principal(request, "/holds", csrf)
    if isinstance(principal, Response):
        return principal
    entered = {"hold_ref": hold_ref, "court": court, "kind": kind, "issued": issued,
               "expires": expires, "scope_field": scope_field, "scope_value": scope_value,
               "bars_removal_to": bars_removal_to}
    if scope_field not in ("external_ref", "nationality", "affiliation_group",
                           "status_in_sending_state"):
        return _holds_page(request, principal, error="scope: choose what the order covers",
                           status=422, entered=entered, bad="scope_field")
    countries = bars_removal_to.strip()
    body = {"hold_ref": hold_ref.strip(), "court": court.strip(), "kind": kind,
            "issued": issued, "expires": expires or None,
            "scope": {scope_field: scope_value.strip()},
            "bars_removal_to": "any" if countries in ("", "any") else
            [c.strip().upper() for c in countries.split(",") if c.strip()]}
    try:
        order = holds.parse_hold(body)
        with unit_of_work(engine_of(request)) as db:
            outcome, changed = holds.register(db, order, actor=principal.actor,
                                              party=principal.party_code, as_of=utcnow().date())
    except DomainError as exc:
        return _holds_page(request, principal, error=exc.message, status=exc.status,
                           entered=entered, bad=hold_field(exc))
    return _holds_page(request, principal, message=f"Court order {order.hold_ref} {outcome};"
                                                   f" {changed} decision(s) changed.")


def hold_field(exc: DomainError) -> str:
    """hold_field: the form field a court order's error names ("scope.external_ref: …" is
    the person it covers)."""
    name = exc.details.get("field") if isinstance(exc.details, dict) else None
    name = name if isinstance(name, str) else exc.message.split(":", 1)[0]
    if name.startswith("scope"):
        return "scope_value"
    return name if name in HOLD_FIELDS else "hold_ref"


@router.post("/holds/{hold_ref}/lift", response_class=HTMLResponse)
def lift_form(request: Request, hold_ref: str, reason: str = Form(""),
              csrf: str = Form("")) -> Response:
    principal = form_principal(request, "/holds/{hold_ref}/lift", csrf)
    if isinstance(principal, Response):
        return principal
    try:
        with unit_of_work(engine_of(request)) as db:
            changed = holds.lift(db, hold_ref, reason=reason, lifted_on=utcnow().date(),
                                 actor=principal.actor, party=principal.party_code)
    except DomainError as exc:
        return _holds_page(request, principal, error=exc.message, status=exc.status)
    return _holds_page(request, principal,
                       message=f"Court order {hold_ref} lifted; {changed} decision(s) changed.")
