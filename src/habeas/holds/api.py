"""/api/v1/holds — court orders: register (the sending state or counsel of record), lift,
list (DESIGN.md §12.1)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.db import utcnow
from habeas.errors import field_error
from habeas.holds import reads, service
from habeas.holds.schemas import Hold

router = APIRouter(prefix="/holds", tags=["holds"])
Registrar = Annotated[Principal, Depends(require(Action.REGISTER_HOLDS))]
Reader = Annotated[Principal, Depends(require(Action.READ_HOLDS))]


class HoldOutcome(BaseModel):
    hold_ref: str
    outcome: str
    rescreened: int = Field(description="nominations whose decision changed")


class LiftIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    document: str = Field(min_length=1, max_length=500,
                          description="the court document that lifts the order")
    lifted_on: date | None = Field(default=None, description=(
        "between the order's issue and today; default today. The integrity report counts "
        "the lift from when it is recorded, whatever this says"))


@router.post("", status_code=201, responses=documented(401, 403, 404, 409, 422))
def register_hold(write: Writer, principal: Registrar,
                  body: Annotated[dict[str, Any], Body(description=(
                      "DESIGN.md §4 format; class counsel adds `case_number`, the case in "
                      "which it appeared"))],
                  ) -> HoldOutcome:
    """Register a court order; everyone it matches is screened again at once."""
    fields = dict(body)
    case_number = fields.pop("case_number", None)
    if case_number is not None and not isinstance(case_number, str):
        raise field_error("case_number", "a case number is text")
    hold = service.parse_hold(fields)
    with write() as db:
        outcome, changed = service.register_by(db, hold, by=principal, as_of=utcnow().date(),
                                               case_number=case_number)
    return HoldOutcome(hold_ref=hold.hold_ref, outcome=outcome, rescreened=changed)


@router.get("", responses=documented(401, 403))
def list_holds(db: ReadDB, _: Reader) -> list[Hold]:
    """Every court order, with when it was lifted if it was."""
    return reads.all_holds(db)


@router.post("/{hold_ref}/lift", responses=documented(401, 403, 404, 409, 422))
def lift_hold(hold_ref: str, body: LiftIn, write: Writer, principal: Registrar) -> HoldOutcome:
    """Lift a court order with a reason; the people it matched are screened again."""
    with write() as db:
        changed = service.lift_by(db, hold_ref, by=principal, reason=body.reason,
                                  document=body.document,
                                  lifted_on=body.lifted_on or utcnow().date())
    return HoldOutcome(hold_ref=hold_ref, outcome="lifted", rescreened=changed)
