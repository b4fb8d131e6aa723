"""/api/v1/counsel/appearances — counsel of record: appear, withdraw, list (§12.1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import Offset, Seq
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.counsel import service
from habeas.counsel.models import Appearance
from habeas.counsel.schemas import AppearanceIn, AppearanceOut, WithdrawalIn

router = APIRouter(prefix="/counsel", tags=["counsel"])
Counsel = Annotated[Principal, Depends(require(Action.APPEAR_AS_COUNSEL))]
Reader = Annotated[Principal, Depends(require(Action.READ_APPEARANCES))]


def _out(appearance: Appearance) -> AppearanceOut:
    return AppearanceOut.model_validate(appearance, from_attributes=True)


@router.post("/appearances", status_code=201, responses=documented(401, 403, 404, 409, 422))
def appear(body: AppearanceIn, write: Writer, principal: Counsel) -> AppearanceOut:
    """File an appearance as counsel of record for a person, citing the court case or the
    person's signed engagement."""
    with write() as db:
        return _out(service.appear(db, body, by=principal))


@router.get("/appearances", responses=documented(401, 403, 422))
def list_appearances(db: ReadDB, principal: Reader,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100,
                     offset: Offset = 0) -> list[AppearanceOut]:
    """Appearances, the newest first: counsel its own, monitors every one."""
    return [_out(a) for a in service.list_appearances(db, by=principal, limit=limit,
                                                      offset=offset)]


@router.post("/appearances/{seq}/withdraw", responses=documented(401, 403, 404, 409, 422))
def withdraw(seq: Seq, body: WithdrawalIn, write: Writer, principal: Counsel
             ) -> AppearanceOut:
    """Withdraw as counsel of record; from then on the person's file is closed to you."""
    with write() as db:
        return _out(service.withdraw(db, seq, body.reason, by=principal))
