"""Counsel's page: the appearances it has filed, a form to file one, and withdrawal
(DESIGN.md §12.1: counsel of record is a recorded link, not a role that sees everyone).

Thin, as the other pages: parse, call habeas.counsel.service, render.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from habeas.api.deps import engine_of
from habeas.auth.principal import Principal
from habeas.counsel import service as counsel
from habeas.counsel.schemas import AppearanceIn, Basis
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError, field_error
from habeas.i18n import N_
from habeas.validation import describe
from habeas.web.common import FormUser, PageUser, Problem, page, problem_of

router = APIRouter(include_in_schema=False)
APPEARANCE_FIELDS = ("public_id", "sending_party", "external_ref", "basis", "court",
                     "case_number", "engagement")
BASIS_LABELS = {Basis.COURT_CASE.value: N_("an appearance in a court case"),
                Basis.ENGAGEMENT.value: N_("the person's signed engagement")}


def _page(request: Request, principal: Principal, *, problem: Problem | None = None,
          entered: dict[str, str] | None = None, done: str | None = None) -> Response:
    with read_session(engine_of(request)) as db:
        appearances = counsel.list_appearances(db, by=principal, limit=200)
    return page(request, principal, "counsel.html", status_code=problem.status if problem else 200,
                appearances=appearances, problem=problem, fields=APPEARANCE_FIELDS,
                basis_labels=BASIS_LABELS, done=done,
                form=entered or {"basis": Basis.COURT_CASE.value})


@router.get("/counsel", response_class=HTMLResponse)
def counsel_page(request: Request, principal: PageUser) -> Response:
    """counsel_page: counsel's appearances, the newest first, and the form to file one."""
    done = request.query_params.get("done")
    return _page(request, principal, done=done if done in ("appeared", "withdrew") else None)


@router.post("/counsel/appearances", response_class=HTMLResponse)
def appearance_form(request: Request, principal: FormUser, public_id: str = Form(""),
                    sending_party: str = Form(""), external_ref: str = Form(""),
                    basis: str = Form(""), court: str = Form(""), case_number: str = Form(""),
                    engagement: str = Form("")) -> Response:
    """appearance_form: counsel files an appearance for a person, citing the case or the
    person's signed engagement."""
    entered = {"public_id": public_id, "sending_party": sending_party,
               "external_ref": external_ref, "basis": basis, "court": court,
               "case_number": case_number, "engagement": engagement}
    try:
        try:
            body = AppearanceIn.model_validate(
                {k: v.strip() for k, v in entered.items() if v.strip()})
        except ValidationError as exc:
            # Not parse_or_422: the model's own check says "field: problem" about the whole
            # body, and any other path is not a field of the form; the page names a field.
            path, said = describe(exc.errors()[0])
            if ": " in said and path in ("", "body"):  # the model's own check names a field
                path, said = said.split(": ", 1)
            raise field_error(path if path in APPEARANCE_FIELDS else "public_id",
                              said) from None
        with unit_of_work(engine_of(request)) as db:
            counsel.appear(db, body, by=principal)
    except DomainError as exc:
        return _page(request, principal, entered=entered,
                     problem=problem_of("appearance", exc))
    return RedirectResponse("/counsel?done=appeared", status_code=303)


@router.post("/counsel/appearances/{seq}/withdraw", response_class=HTMLResponse)
def withdrawal_form(request: Request, principal: FormUser, seq: int,
                    reason: str = Form("")) -> Response:
    """withdrawal_form: counsel withdraws; the person's file closes to it at once."""
    try:
        with unit_of_work(engine_of(request)) as db:
            counsel.withdraw(db, seq, reason, by=principal)
    except DomainError as exc:
        return _page(request, principal, problem=problem_of("withdraw", exc))
    return RedirectResponse("/counsel?done=withdrew", status_code=303)
