"""Court-order use cases: register (and re-screen everyone it matches), lift, list."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.errors import Conflict, NotFound, ValidationFailed, field_error
from habeas.events import NewEvent, record
from habeas.holds.models import HoldRecord
from habeas.holds.projections import HoldLifted, HoldRegistered
from habeas.holds.schemas import Hold
from habeas.validation import all_problems, first_problem


def parse_hold(data: object) -> Hold:
    """parse_hold validates one court order, naming the first bad field."""
    try:
        return Hold.model_validate(data)
    except ValidationError as exc:
        field, problem = first_problem(exc)
        raise ValidationFailed(f"{field}: {problem}",
                               details={"field": field, "problem": problem,
                                        "errors": all_problems(exc)}) from None


def as_hold(record: HoldRecord) -> Hold:
    """as_hold is the stored order in the form the screening rules read."""
    return Hold.model_validate({
        "hold_ref": record.hold_ref, "court": record.court, "kind": record.kind,
        "issued": record.issued, "expires": record.expires, "scope": record.scope,
        "bars_removal_to": record.bars_removal_to, "lifted_on": record.lifted_on})


def all_holds(session: Session) -> list[Hold]:
    """all_holds: every registered order; the rules decide which are active on a date."""
    return [as_hold(r) for r in session.scalars(select(HoldRecord).order_by(HoldRecord.issued))]


def list_holds(session: Session, *, limit: int | None = None, offset: int = 0) -> list[Hold]:
    """list_holds: registered orders, the latest issued first, a page at a time."""
    return [as_hold(r) for r in session.scalars(
        select(HoldRecord).order_by(HoldRecord.issued.desc(), HoldRecord.hold_ref)
        .limit(limit).offset(offset))]


def register(session: Session, hold: Hold, *, actor: str, party: str | None,
             as_of: date) -> tuple[str, int]:
    """register records a court order and re-screens every nomination it matches.

    Returns ("registered" | "unchanged", number of decisions changed).
    """
    from habeas.nominations import service as nominations  # both domains screen

    existing = session.get(HoldRecord, hold.hold_ref)
    if existing is not None:
        if as_hold(existing).model_copy(update={"lifted_on": None}) == hold:
            return "unchanged", 0
        raise Conflict(f"hold_ref: {hold.hold_ref!r} is registered with different terms",
                       details={"field": "hold_ref"})
    if hold.lifted_on is not None:
        raise field_error("lifted_on", "a new order cannot arrive lifted; lift it afterwards")
    record(session, NewEvent(type="hold.registered", payload=HoldRegistered(hold=hold),
                             actor=actor, party=party))
    changed = nominations.rescreen(session, actor=actor, as_of=as_of,
                                   only=lambda n: hold.scope.matches(n))
    from habeas.transfers import service as transfers  # people in the air are protected too

    changed += len(transfers.mark_return_required(session, hold, actor=actor, party=party,
                                                  as_of=as_of))
    from habeas.custody import records  # a return order reaches people already held

    changed += len(records.order_returns(session, hold, actor=actor, party=party, as_of=as_of))
    return "registered", changed


def lift(session: Session, hold_ref: str, *, reason: str, lifted_on: date, actor: str,
         party: str | None) -> int:
    """lift ends a court order from LIFTED_ON and re-screens the people it matched."""
    from habeas.nominations import service as nominations

    existing = session.get(HoldRecord, hold_ref)
    if existing is None:
        raise NotFound(f"court order {hold_ref!r} not found")
    if not reason.strip():
        raise field_error("reason", "say why the order is lifted")
    if existing.lifted_on is not None:
        raise Conflict(f"court order {hold_ref!r} was lifted on {existing.lifted_on}")
    hold = as_hold(existing)
    record(session, NewEvent(type="hold.lifted", actor=actor, party=party,
                             payload=HoldLifted(hold_ref=hold_ref, lifted_on=lifted_on,
                                                reason=reason.strip())))
    return nominations.rescreen(session, actor=actor, as_of=lifted_on,
                                only=lambda n: hold.scope.matches(n))
