"""/api/v1/dashboard — the figures the home page's charts are drawn from (JSON).

Each route is guarded by the action that reads what it counts; a sending user counts
only its own state's people and money (principal.scope, DESIGN.md §2).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from habeas.api.deps import ReadDB, require
from habeas.api.errors import documented
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.custody.integrity import scope_of
from habeas.dashboard import service
from habeas.db import utcnow
from habeas.errors import NotFound

router = APIRouter(prefix="/dashboard", tags=["dashboard"])
Facilities = Annotated[Principal, Depends(require(Action.READ_FACILITIES))]
Nominations = Annotated[Principal, Depends(require(Action.READ_NOMINATIONS))]
Integrity = Annotated[Principal, Depends(require(Action.READ_INTEGRITY))]
Billing = Annotated[Principal, Depends(require(Action.READ_BILLING))]
Holds = Annotated[Principal, Depends(require(Action.READ_HOLDS))]


@router.get("/population", responses=documented(401, 403, 404, 422))
def population(db: ReadDB, principal: Facilities,
               facility: Annotated[str | None, Query(max_length=64)] = None
               ) -> dict[str, Any]:
    """People held at the end of each month against the signed and the standard-compliant
    capacity; the transferees counted are the caller's own state's for a sending user."""
    code = facility or service.default_facility(db, principal.scope)
    if code is None:
        raise NotFound("no facility is registered under an agreement")
    return service.population(db, code, utcnow().date(), principal.scope)


@router.get("/nominations", responses=documented(401, 403))
def nominations(db: ReadDB, principal: Nominations) -> dict[str, Any]:
    """The nomination funnel and the screening rules failed most."""
    return service.funnel(db, principal.scope)


@router.get("/integrity", responses=documented(401, 403))
def integrity(db: ReadDB, principal: Integrity) -> dict[str, Any]:
    """The latest recorded integrity run's counts and the overdue inspection findings (a
    state's: counted over its own people)."""
    return service.integrity(db, utcnow().date(), scope_of(db, principal.role,
                                                           principal.party_code))


@router.get("/billing", responses=documented(401, 403))
def billing(db: ReadDB, principal: Billing) -> dict[str, Any]:
    """Invoiced, paid, outstanding and overdue money, per currency and per month."""
    return service.money(db, utcnow().date(), principal.scope)


@router.get("/holds", responses=documented(401, 403))
def holds(db: ReadDB, _: Holds) -> dict[str, Any]:
    """Court orders in force and ended, by kind."""
    return service.holds(db, utcnow().date())
