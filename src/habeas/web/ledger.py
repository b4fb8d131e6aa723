"""Ledger pages: checkpoints with their witnesses, any event with its inclusion proof
(checked in the browser by static/verify-proof.js), and how to verify the log yourself."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of
from habeas.db import read_session
from habeas.errors import DomainError
from habeas.i18n import N_
from habeas.ledger import merkle, service, store
from habeas.ledger.keys import load_log_key
from habeas.ledger.leaf import envelope, leaf_bytes
from habeas.ledger.models import Checkpoint, Cosignature, Event
from habeas.web.common import navigation, page_principal, templates

router = APIRouter(include_in_schema=False)
LATEST_EVENTS = 20
CHECKPOINTS_PER_PAGE = 20


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Cosigned:
    """Cosigned is one witness's cosignature on a checkpoint: who, and the time it signed
    (the timestamp inside its C2SP tlog-cosignature, seconds since the epoch)."""

    witness: str
    signed_at: datetime


def cosigned_time(timestamp: int) -> datetime:
    """cosigned_time: a tlog-cosignature timestamp (Unix seconds) as a UTC time."""
    return datetime.fromtimestamp(timestamp, UTC)


def cosignatures(db: Session, sizes: Iterable[int]) -> dict[int, list[Cosigned]]:
    """cosignatures: the witnesses' cosignatures on each checkpoint of SIZES (one query)."""
    found: dict[int, list[Cosigned]] = {size: [] for size in sizes}
    if found:
        for c in db.scalars(select(Cosignature).where(Cosignature.checkpoint_size.in_(
                list(found))).order_by(Cosignature.checkpoint_size, Cosignature.witness_name)):
            found[c.checkpoint_size].append(Cosigned(c.witness_name, cosigned_time(c.timestamp)))
    return found


def _vkey() -> str | None:
    try:
        return load_log_key().verifier.vkey
    except DomainError:  # a server without its key still shows the log
        return None


@router.get("/log", response_class=HTMLResponse)
def ledger_page(request: Request, before: int | None = Query(default=None, ge=1)) -> Response:
    """ledger_page: the log key, the checkpoints a page at a time (those smaller than
    BEFORE, newest first) with their witnesses' cosignatures, and the latest events."""
    principal = page_principal(request, "/log")
    if isinstance(principal, Response):
        return principal
    with read_session(engine_of(request)) as db:
        query = select(Checkpoint).order_by(Checkpoint.size.desc())
        if before is not None:
            query = query.where(Checkpoint.size < before)
        rows = list(db.scalars(query.limit(CHECKPOINTS_PER_PAGE + 1)))
        shown = rows[:CHECKPOINTS_PER_PAGE]
        cosigned = cosignatures(db, [c.size for c in shown])
        checkpoints = [{"size": c.size, "root_b64": _b64(c.root),
                        "signed_at": c.signed_at, "cosigned": cosigned[c.size]}
                       for c in shown]
        events = [{**envelope(e), "recorded_at": e.recorded_at}
                  for e in db.scalars(select(Event).order_by(Event.seq.desc())
                                      .limit(LATEST_EVENTS))]
    return templates.TemplateResponse(request, "ledger.html", {
        "principal": principal, "nav": navigation(principal),
        "vkey": _vkey(), "checkpoints": checkpoints, "events": events, "paged": before,
        "older": shown[-1].size if len(rows) > CHECKPOINTS_PER_PAGE else None})


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
                request, "error.html", {**context, "title": N_("Not found"),
                                             "message": N_("There is no event %(seq)s."),
                                             "values": {"seq": seq}},
                status_code=404)
        proof = None
        latest = service.latest_checkpoint(db)
        if latest is not None and seq < latest.size:
            proof = {"size": latest.size, "root": _b64(latest.root),
                     "signed_at": latest.signed_at,
                     "cosigned": cosignatures(db, [latest.size])[latest.size],
                     "hashes": [_b64(h) for h in store.inclusion(db, seq, latest.size)]}
        leaf = leaf_bytes(event)
        return templates.TemplateResponse(request, "event.html", {
            **context, "env": envelope(event), "leaf": leaf.decode(),
            "leaf_hash": _b64(merkle.leaf_hash(leaf)), "proof": proof,
            "latest_size": latest.size if latest is not None else None})


INSTRUCTIONS_FILE = "habeas-verify-the-ledger.md"


@router.get("/ledger/verify-instructions", response_class=Response)
def verify_instructions(request: Request,
                        download: bool = Query(default=False)) -> Response:
    """verify_instructions: how to check the log without trusting this server (public, as
    the log is: it holds no personal data). Plain text to read, or DOWNLOAD as Markdown."""
    base = str(request.base_url).rstrip("/")
    with read_session(engine_of(request)) as db:
        latest = service.latest_checkpoint(db)
        size = latest.size if latest is not None else None
    vkey = _vkey()
    body = templates.get_template("verify_instructions.md").render(
        base=base, vkey=vkey, origin=vkey.split("+")[0] if vkey else None, size=size)
    if download:
        return Response(body, media_type="text/markdown; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{INSTRUCTIONS_FILE}"'})
    return Response(body, media_type="text/plain; charset=utf-8")
