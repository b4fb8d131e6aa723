"""How court-order events change the hold table. The only writer of that table."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.events import EventFacts, projector, stage, staged
from habeas.holds.models import HoldRecord
from habeas.holds.schemas import Hold


class HoldRegistered(BaseModel):
    hold: Hold


class HoldLifted(BaseModel):
    hold_ref: str
    lifted_on: date
    reason: str
    # The lifting court document (required since issue 17; older lifts carry none).
    document: str | None = None


@projector("hold.registered", HoldRegistered)
def apply_registered(session: Session, p: HoldRegistered, event: EventFacts) -> None:
    h = p.hold
    stage(session, HoldRecord(
        hold_ref=h.hold_ref, court=h.court, kind=h.kind.value, issued=h.issued,
        expires=h.expires, scope=h.scope.model_dump(mode="json", exclude_none=True),
        bars_removal_to=h.bars_removal_to, lifted_on=None, lift_reason=None,
        registered_seq=event.seq, registered_by=event.actor, party=event.party,
        lift_document=None, lifted_seq=None, lift_recorded_at=None,
    ), h.hold_ref)


@projector("hold.lifted", HoldLifted)
def apply_lifted(session: Session, p: HoldLifted, event: EventFacts) -> None:
    record = staged(session, HoldRecord, p.hold_ref)
    assert record is not None, "the service checked the hold exists"
    record.lifted_on = p.lifted_on
    record.lift_reason = p.reason
    record.lift_document = p.document
    record.lifted_seq = event.seq
    record.lift_recorded_at = event.recorded_at
