"""Reading the registered court orders: below every domain that screens against them.

Nominations, transfers and custody read the orders here; registering and lifting an
order re-screens those domains' people, so that coordination lives above them, in
holds/service.py (ADR 0024: no import cycle).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.holds.models import HoldRecord
from habeas.holds.schemas import Hold


def as_hold(record: HoldRecord) -> Hold:
    """as_hold is the stored order in the form the screening rules read."""
    return Hold.model_validate({
        "hold_ref": record.hold_ref, "court": record.court, "kind": record.kind,
        "issued": record.issued, "expires": record.expires, "scope": record.scope,
        "bars_removal_to": record.bars_removal_to, "lifted_on": record.lifted_on,
        "party": record.party})


def all_holds(session: Session) -> list[Hold]:
    """all_holds: every registered order; the rules decide which are active on a date."""
    return [as_hold(r) for r in session.scalars(select(HoldRecord).order_by(HoldRecord.issued))]


def list_holds(session: Session, *, limit: int | None = None, offset: int = 0) -> list[Hold]:
    """list_holds: registered orders, the latest issued first, a page at a time."""
    return [as_hold(r) for r in session.scalars(
        select(HoldRecord).order_by(HoldRecord.issued.desc(), HoldRecord.hold_ref)
        .limit(limit).offset(offset))]
