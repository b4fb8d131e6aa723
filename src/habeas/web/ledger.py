"""Ledger pages: checkpoints with their witnesses, and any event with its inclusion proof."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of
from habeas.db import read_session
from habeas.errors import DomainError
from habeas.events import envelope, leaf_bytes
from habeas.ledger import service, store
from habeas.ledger.keys import load_log_key
from habeas.ledger.models import Checkpoint, Cosignature, Event
from habeas.web.common import navigation, page_principal, templates

router = APIRouter(include_in_schema=False)
LATEST_EVENTS = 20
CHECKPOINTS_SHOWN = 10


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _witnesses(db: Session, size: int) -> list[str]:
    return list(db.scalars(select(Cosignature.witness_name).where(
        Cosignature.checkpoint_size == size).order_by(Cosignature.witness_name)))


@router.get("/log", response_class=HTMLResponse)
def ledger_page(request: Request) -> Response:
    principal = page_principal(request, "/log")
    if isinstance(principal, Response):
        return principal
    try:
        vkey: str | None = load_log_key().verifier.vkey
    except DomainError:  # a server without its key still shows the log
        vkey = None
    with read_session(engine_of(request)) as db:
        checkpoints = [
            {"size": c.size, "root_b64": _b64(c.root),
             "signed_at": c.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
             "witnesses": _witnesses(db, c.size)}
            for c in db.scalars(select(Checkpoint).order_by(Checkpoint.size.desc())
                                .limit(CHECKPOINTS_SHOWN))]
        events = [{**envelope(e), "recorded_at": e.recorded_at.strftime("%Y-%m-%d %H:%M:%S")}
                  for e in db.scalars(select(Event).order_by(Event.seq.desc())
                                      .limit(LATEST_EVENTS))]
    return templates.TemplateResponse(request, "ledger.html", {
        "principal": principal, "nav": navigation(principal), "vkey": vkey,
        "checkpoints": checkpoints, "events": events})


@router.get("/events", response_class=HTMLResponse)
def event_lookup(request: Request, seq: int | None = Query(default=None, ge=0)) -> Response:
    principal = page_principal(request, "/events")
    if isinstance(principal, Response):
        return principal
    return RedirectResponse("/log" if seq is None else f"/events/{seq}", status_code=303)


@router.get("/events/{seq}", response_class=HTMLResponse)
def event_page(request: Request, seq: int) -> Response:
    principal = page_principal(request, "/events/{seq}")
    if isinstance(principal, Response):
        return principal
    context = {"principal": principal, "nav": navigation(principal)}
    with read_session(engine_of(request)) as db:
        event = db.get(Event, seq)
        if event is None:
            return templates.TemplateResponse(
                request, "error.html", {**context, "message": f"There is no event {seq}."},
                status_code=404)
        proof = None
        latest = service.latest_checkpoint(db)
        if latest is not None and seq < latest.size:
            proof = {"size": latest.size, "root": _b64(latest.root),
                     "signed_at": latest.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                     "witnesses": _witnesses(db, latest.size),
                     "hashes": [_b64(h) for h in store.inclusion(db, seq, latest.size)]}
        leaf = leaf_bytes(event).decode()
        return templates.TemplateResponse(request, "event.html", {
            **context, "env": envelope(event), "leaf": leaf, "proof": proof})
