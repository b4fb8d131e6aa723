"""Ledger pages: checkpoints with their witnesses, any event with its inclusion proof
(checked in the browser by static/verify-proof.js), and how to verify the log yourself."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habeas.api.deps import engine_of
from habeas.db import read_session
from habeas.errors import DomainError
from habeas.i18n import N_
from habeas.ledger import merkle, reads, service, store
from habeas.ledger.keys import load_log_key
from habeas.ledger.leaf import envelope, leaf_bytes
from habeas.web.common import PageUser, page, templates

router = APIRouter(include_in_schema=False)
LATEST_EVENTS = 20
CHECKPOINTS_PER_PAGE = 20


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _vkey() -> str | None:
    try:
        return load_log_key().verifier.vkey
    except DomainError:  # a server without its key still shows the log
        return None


@router.get("/log", response_class=HTMLResponse)
def ledger_page(request: Request, principal: PageUser,
                before: int | None = Query(default=None, ge=1)) -> Response:
    """ledger_page: the log key, the checkpoints a page at a time (those smaller than
    BEFORE, newest first) with their witnesses' cosignatures, and the latest events."""
    with read_session(engine_of(request)) as db:
        # One more than a page: whether there is an older page to link to.
        rows = reads.checkpoints_before(db, before, CHECKPOINTS_PER_PAGE + 1)
        shown = rows[:CHECKPOINTS_PER_PAGE]
        cosigned = reads.cosignatures(db, [c.size for c in shown])
        checkpoints = [{"size": c.size, "root_b64": _b64(c.root),
                        "signed_at": c.signed_at, "cosigned": cosigned[c.size]}
                       for c in shown]
        events = [{**envelope(e), "recorded_at": e.recorded_at}
                  for e in reads.latest_events(db, LATEST_EVENTS)]
    return page(request, principal, "ledger.html", vkey=_vkey(), checkpoints=checkpoints,
                events=events, paged=before,
                older=shown[-1].size if len(rows) > CHECKPOINTS_PER_PAGE else None)


@router.get("/events", response_class=HTMLResponse)
def event_lookup(request: Request, principal: PageUser,
                 seq: int | None = Query(default=None, ge=0)) -> Response:
    return RedirectResponse("/log" if seq is None else f"/events/{seq}", status_code=303)


@router.get("/events/{seq}", response_class=HTMLResponse)
def event_page(request: Request, principal: PageUser, seq: int) -> Response:
    with read_session(engine_of(request)) as db:
        event = reads.event_at(db, seq)
        if event is None:
            return page(request, principal, "error.html", status_code=404,
                        title=N_("Not found"), message=N_("There is no event %(seq)s."),
                        values={"seq": seq})
        proof = None
        latest = service.latest_checkpoint(db)
        if latest is not None and seq < latest.size:
            proof = {"size": latest.size, "root": _b64(latest.root),
                     "signed_at": latest.signed_at,
                     "cosigned": reads.cosignatures(db, [latest.size])[latest.size],
                     "hashes": [_b64(h) for h in store.inclusion(db, seq, latest.size)]}
        leaf = leaf_bytes(event)
        return page(request, principal, "event.html", env=envelope(event), leaf=leaf.decode(),
                    leaf_hash=_b64(merkle.leaf_hash(leaf)), proof=proof,
                    latest_size=latest.size if latest is not None else None)


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
