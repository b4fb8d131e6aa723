"""Notification pages: the outbox and its dead letters and the demo's mail sink (staff);
subscribing, confirming and revoking (public). English and Spanish, as every page.

Thin, as the other pages: parse, call habeas.notify.service, render. The public forms
carry a double-submit CSRF token (a cookie and a form field), as the login form does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of, optional_principal
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.config import get_settings
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import DomainError
from habeas.i18n import N_
from habeas.locator.api import client_of
from habeas.notify import service, tokens
from habeas.notify.sink import received, running, sink_dir
from habeas.timing import same_secret
from habeas.web.common import FormUser, PageUser, navigation, page, refusal_page, templates

router = APIRouter(include_in_schema=False)
PUBLIC_CSRF_COOKIE = "habeas_public_csrf"
SHOWN = 200

# The outbox's codes as the page names them (translated where shown).
STATUS_LABELS = {"pending": N_("pending"), "delivered": N_("delivered"), "dead": N_("dead"),
                 "cancelled": N_("cancelled")}
REASON_LABELS = {"admission": N_("admission"), "transfer": N_("transfer"),
                 "illness": N_("serious illness or injury"), "death": N_("death"),
                 "status": N_("status change"), "confirm": N_("confirmation code")}
KIND_LABELS = {"mandatory": N_("mandatory"), "subscription": N_("subscription")}
AUDIENCE_LABELS = {"family": N_("family"), "counsel": N_("counsel"),
                   "consulate": N_("consulate"), "subscriber": N_("subscriber")}
CHANNEL_LABELS = {"email": N_("email"), "webhook": N_("webhook")}


# --- staff: the outbox ------------------------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, principal: PageUser,
                       status: str | None = Query(default=None,
                                                  pattern="^(pending|delivered|dead|cancelled)$"),
                       retried: str | None = Query(default=None, max_length=32)) -> Response:
    """notifications_page: the outbox by status, newest first; status=dead lists the dead
    letters, each with its last error and a retry button."""
    with read_session(engine_of(request)) as db:
        counts = service.counts(db)
        rows = [service.shown_to_staff(r) for r in service.outbox(db, status=status,
                                                                  limit=SHOWN)]
    return page(
        request, principal, "notifications.html", counts=counts, rows=rows, status=status,
        retried=retried,
        may_retry=allowed(principal.role, Action.RETRY_NOTIFICATIONS),
        status_labels=STATUS_LABELS, reason_labels=REASON_LABELS, kind_labels=KIND_LABELS,
        audience_labels=AUDIENCE_LABELS, channel_labels=CHANNEL_LABELS)


@router.post("/notifications/{notification_id}/retry", response_class=HTMLResponse)
def retry_notification(request: Request, principal: FormUser,
                       notification_id: str) -> Response:
    """retry_notification puts a dead letter back in the queue (notification.retried)."""
    try:
        with unit_of_work(engine_of(request)) as db:
            service.retry(db, notification_id, actor=principal.actor, now=utcnow())
    except DomainError as exc:
        return refusal_page(request, principal, exc)
    return RedirectResponse(f"/notifications?status=dead&retried={notification_id}",
                            status_code=303)


@router.get("/notifications/mail", response_class=HTMLResponse)
def mail_sink_page(request: Request, principal: PageUser) -> Response:
    """mail_sink_page: what the demo's local mail sink received, newest first."""
    settings = get_settings()
    return page(request, principal, "mail_sink.html",
                mails=received(sink_dir(settings.data_dir), limit=SHOWN),
                running=running() is not None)


# --- public: subscribe, confirm, revoke -------------------------------------------------


def _principal(request: Request) -> Principal | None:
    try:
        return optional_principal(request)
    except DomainError:
        return None


def _public(request: Request, template: str, status: int = 200, **extra: Any) -> Response:
    principal = _principal(request)
    csrf = request.cookies.get(PUBLIC_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, template, {
        "csrf": csrf, "principal": principal,
        "nav": navigation(principal) if principal else [], **extra}, status_code=status)
    response.set_cookie(PUBLIC_CSRF_COOKIE, csrf, max_age=3600, httponly=True,
                        samesite="strict", secure=get_settings().cookie_secure, path="/")
    return response


def _forged(request: Request, csrf: str) -> bool:
    cookie = request.cookies.get(PUBLIC_CSRF_COOKIE, "")
    return not cookie or not same_secret(csrf, cookie)


def _refused(request: Request, template: str, exc: DomainError, **extra: Any) -> Response:
    headers = {"Retry-After": str(exc.details["retry_after"])} \
        if "retry_after" in exc.details else None
    response = _public(request, template, status=exc.status, error=exc.code.value,
                       field=exc.details.get("field"), **extra)
    if headers:
        response.headers.update(headers)
    return response


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request, token: str = Query(default="", max_length=200)
                   ) -> Response:
    """subscribe_page: the form to ask for a person's status changes (from a locator result),
    naming the person as the result did. A forged token and someone the locator no longer
    shows get the same 404."""
    with unit_of_work(engine_of(request)) as db:
        entry = service.subscribable(db, token, utcnow())
        name = entry.shown_name if entry else None
    if name is None:
        return _public(request, "subscribe.html", status=404, step="none", token="",
                       error="not_found", field="token")
    return _public(request, "subscribe.html", step="form", token=token, person_name=name,
                   values={"channel": "email", "address": ""})


@router.post("/subscribe", response_class=HTMLResponse)
def subscribe_form(request: Request, token: str = Form(""), channel: str = Form("email"),
                   address: str = Form(""), locale: str = Form("en"),
                   csrf: str = Form("")) -> Response:
    values = {"channel": channel, "address": address}
    if _forged(request, csrf):
        return _public(request, "subscribe.html", status=403, step="form", token=token,
                       values=values, error="csrf_failed")
    settings = get_settings()
    try:
        with unit_of_work(engine_of(request)) as db:
            found = service.subscribe(
                db, token=token, channel=channel, address=address, locale=locale,
                client=client_of(request), now=utcnow(), limit=settings.subscribe_rate_limit,
                window_s=settings.subscribe_rate_window_s,
                allow_private=settings.webhook_allow_private)
    except DomainError as exc:
        return _refused(request, "subscribe.html", exc, step="form", token=token,
                        values=values)
    secret = tokens.webhook_secret(found.id, found.address) if found.channel == "webhook" \
        else None
    return _public(request, "subscribe.html", status=202, step="sent", channel=found.channel,
                   revoke_token=tokens.revoke_token(found.id), secret=secret)


@router.get("/subscribe/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, code: str = Query(default="", max_length=100)) -> Response:
    """confirm_page asks for one click: a link scanner that opens it confirms nothing."""
    return _public(request, "subscribe.html", step="confirm", code=code)


def _public_step(request: Request, csrf: str, step: str, done: str,
                 act: Callable[[Session], object], **fields: str) -> Response:
    """_public_step runs one public form's use case (ACT) if its CSRF cookie matches: the
    page for DONE, or STEP again with the refusal named."""
    if _forged(request, csrf):
        return _public(request, "subscribe.html", status=403, step=step, error="csrf_failed",
                       **fields)
    try:
        with unit_of_work(engine_of(request)) as db:
            act(db)
    except DomainError as exc:
        return _refused(request, "subscribe.html", exc, step=step, **fields)
    return _public(request, "subscribe.html", step=done)


@router.post("/subscribe/confirm", response_class=HTMLResponse)
def confirm_form(request: Request, code: str = Form(""), csrf: str = Form("")) -> Response:
    return _public_step(request, csrf, "confirm", "confirmed",
                        lambda db: service.confirm(db, code, now=utcnow()), code=code)


@router.get("/subscribe/revoke", response_class=HTMLResponse)
def revoke_page(request: Request, token: str = Query(default="", max_length=100)) -> Response:
    return _public(request, "subscribe.html", step="revoke", token=token)


@router.post("/subscribe/revoke", response_class=HTMLResponse)
def revoke_form(request: Request, token: str = Form(""), csrf: str = Form("")) -> Response:
    return _public_step(request, csrf, "revoke", "revoked",
                        lambda db: service.revoke(db, token, now=utcnow()), token=token)
