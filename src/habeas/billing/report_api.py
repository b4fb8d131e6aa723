"""/api/v1/billing/sustainability — fee revenue against the facility's operating cost
(DESIGN.md §1, §8; docs/adr/0013-sustainability-report.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from habeas.api.deps import ReadDB, require
from habeas.api.errors import documented
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.billing import report, sustain
from habeas.db import utcnow

router = APIRouter(prefix="/billing", tags=["billing"])
Reader = Annotated[Principal, Depends(require(Action.READ_BILLING))]


class Assumptions(BaseModel):
    annual_cost_minor: int
    system_population: int
    cost_per_person_day_minor: float
    cost_per_person_day_minor_exact: str
    cost_per_person_year_minor: int
    reported_price_per_person_year_minor: int


class FiguresOut(BaseModel):
    label: str
    first_day: date
    through: date
    days: int
    revenue_minor: int
    invoiced_minor: int
    credited_minor: int
    invoices: list[str]
    person_days: int
    average_population: float | None
    agreement_person_days: int
    agreement_people: int
    operating_cost_minor: int
    share_covered: float | None
    share_covered_exact: str | None
    system_cost_minor: int
    share_of_system_cost: float | None
    share_of_system_cost_exact: str | None
    revenue_per_person_year_minor: int | None
    revenue_per_agreement_person_year_minor: int | None
    revenue_per_agreement_person_minor: int | None


class SustainabilityOut(FiguresOut):
    period: str
    start: date
    end: date
    partial: bool
    facility_code: str
    facility_name: str
    timezone: str
    agreements: list[str]
    currency: str
    assumptions: Assumptions
    months: list[FiguresOut]
    months_not_invoiced: list[str]
    sources: dict[str, str]


@router.get("/sustainability", responses=documented(401, 403, 404, 422))
def sustainability(
    db: ReadDB, principal: Reader,
    period: Annotated[str, Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$",
                                 description="a month YYYY-MM or a year YYYY",
                                 examples=["2025-04"])],
    facility: Annotated[str | None, Query(max_length=64, description="default: the one "
                                          "facility the agreements name")] = None,
    annual_cost_minor: Annotated[int, Query(ge=0, description="the prison system's reported "
                                            "annual cost, in minor units")]
    = sustain.REPORTED_SYSTEM_COST_MINOR,
    system_population: Annotated[int, Query(ge=1, description="people the system holds")]
    = sustain.REPORTED_SYSTEM_POPULATION,
) -> SustainabilityOut:
    """Fee revenue set against the operating cost of the facility's whole population,
    domestic included; per month and for the period, with the shares covered."""
    return SustainabilityOut.model_validate(report.sustainability_report(
        db, period, today=utcnow().date(), facility=facility,
        annual_cost_minor=annual_cost_minor, system_population=system_population,
        scope=principal.scope).as_json())
