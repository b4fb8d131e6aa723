"""/api/v1/agreements — read the agreements in force."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from habeas.agreements import service
from habeas.agreements.models import Agreement
from habeas.agreements.schemas import AgreementOut, FeeScheduleOut
from habeas.agreements.schemas import FeeSchedule as FeeScheduleIn
from habeas.agreements.terms import term_end
from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.auth.permissions import Action
from habeas.auth.service import Principal
from habeas.codes import CurrencyCode

router = APIRouter(prefix="/agreements", tags=["agreements"])
Reader = Annotated[Principal, Depends(require(Action.READ_AGREEMENTS))]
Renewer = Annotated[Principal, Depends(require(Action.RENEW_TERMS))]
FeeScheduler = Annotated[Principal, Depends(require(Action.SCHEDULE_FEES))]


def agreement_out(db: ReadDB, agreement: Agreement) -> AgreementOut:
    fees = service.current_fees(db, agreement.ref)
    return AgreementOut(
        ref=agreement.ref, title=agreement.title, sending_party=agreement.sending_party,
        receiving_party=agreement.receiving_party, facility_code=agreement.facility_code,
        currency=agreement.currency, starts_on=agreement.starts_on,
        ends_on=term_end(agreement.starts_on, agreement.term_months),
        term_months=agreement.term_months, renewable=agreement.renewable,
        quota=agreement.quota, citizens_included=agreement.citizens_included,
        profile_name=agreement.profile_name, rules=agreement.rules,
        fees=FeeScheduleOut.model_validate(fees, from_attributes=True) if fees else None,
        registered_seq=agreement.registered_seq,
    )


@router.get("", responses=documented(401, 403))
def list_agreements(db: ReadDB, _: Reader) -> list[AgreementOut]:
    """Every agreement, oldest first."""
    return [agreement_out(db, a) for a in service.list_agreements(db)]


@router.get("/{ref}", responses=documented(401, 403, 404))
def get_agreement(ref: str, db: ReadDB, _: Reader) -> AgreementOut:
    """One agreement with its rule profile and current fee schedule."""
    return agreement_out(db, service.get_agreement(db, ref))


class RenewalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1, le=120)
    basis: str = Field(min_length=1, max_length=300,
                       description="the instrument that renews it, e.g. an exchange of notes")


@router.post("/{ref}/renewals", status_code=201, responses=documented(401, 403, 404, 409, 422))
def renew_agreement(ref: str, body: RenewalIn, write: Writer, principal: Renewer
                    ) -> AgreementOut:
    """Extend a renewable agreement's term, recording the basis."""
    with write() as db:
        agreement = service.renew(db, ref, months=body.months, basis=body.basis,
                                  actor=principal.actor, party=principal.party_code)
        return agreement_out(db, agreement)


class FeesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fees: FeeScheduleIn
    currency: CurrencyCode | None = Field(
        default=None, description="ISO 4217; if given, must be the agreement's currency")
    basis: str = Field(min_length=1, max_length=300,
                       description="the instrument that sets the fees, e.g. an exchange of notes")


@router.post("/{ref}/fees", status_code=201, responses=documented(401, 403, 404, 409, 422))
def schedule_fees(ref: str, body: FeesIn, write: Writer, principal: FeeScheduler
                  ) -> FeeScheduleOut:
    """Record a new version of the agreement's fees, in force from its effective date."""
    with write() as db:
        fees = service.schedule_fees(db, ref, body.fees, currency=body.currency,
                                     basis=body.basis,
                                     actor=principal.actor, party=principal.party_code)
        return FeeScheduleOut.model_validate(fees, from_attributes=True)
