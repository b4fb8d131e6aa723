"""/api/v1/events — the event envelopes (the ledger's leaves), never their payloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from habeas.api.deps import ReadDB, require
from habeas.api.errors import documented
from habeas.auth.permissions import Action
from habeas.auth.service import Principal
from habeas.events import envelope, log_size
from habeas.ledger.models import Event

router = APIRouter(prefix="/events", tags=["ledger"])
Reader = Annotated[Principal, Depends(require(Action.READ_EVENTS))]


class EventPage(BaseModel):
    size: int
    events: list[dict[str, Any]]
    next_after: int | None


@router.get("", responses=documented(401, 403, 422))
def list_events(
    db: ReadDB, _: Reader,
    after: Annotated[int, Query(ge=-1, description="return events with seq > after")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    """Event envelopes in sequence order, a page at a time."""
    rows = list(db.scalars(select(Event).where(Event.seq > after).order_by(Event.seq)
                           .limit(limit)))
    return EventPage(size=log_size(db), events=[envelope(e) for e in rows],
                     next_after=rows[-1].seq if len(rows) == limit else None)
