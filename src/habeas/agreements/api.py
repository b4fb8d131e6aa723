"""/api/v1/agreements — read the agreements in force."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from habeas.agreements import service
from habeas.agreements.models import Agreement, AgreementChange
from habeas.agreements.schemas import AgreementOut, FeeScheduleOut
from habeas.agreements.schemas import FeeSchedule as FeeScheduleIn
from habeas.agreements.terms import term_end
from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import Seq
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.codes import CurrencyCode

router = APIRouter(prefix="/agreements", tags=["agreements"])
Reader = Annotated[Principal, Depends(require(Action.READ_AGREEMENTS))]
Renewer = Annotated[Principal, Depends(require(Action.RENEW_TERMS))]
FeeScheduler = Annotated[Principal, Depends(require(Action.SCHEDULE_FEES))]
Decider = Annotated[Principal, Depends(require(Action.DECIDE_AGREEMENT_CHANGES))]


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


class ChangeOut(BaseModel):
    """A proposed change of the agreement and where it stands (DESIGN.md §12.1)."""

    seq: int
    agreement_ref: str
    kind: Literal["renewal", "fees", "quota", "person_term"]
    subject: str | None
    terms: dict[str, Any]
    basis: str
    proposed_by: str
    proposed_party: str
    status: Literal["proposed", "accepted", "rejected", "withdrawn"]
    decided_by: str | None
    decided_party: str | None
    reason: str | None


def change_out(change: AgreementChange) -> ChangeOut:
    return ChangeOut.model_validate(change, from_attributes=True)


class RenewalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1, le=120)
    basis: str = Field(min_length=1, max_length=300,
                       description="the instrument that renews it, e.g. an exchange of notes")


@router.post("/{ref}/renewals", status_code=201, responses=documented(401, 403, 404, 409, 422))
def renew_agreement(ref: str, body: RenewalIn, write: Writer, principal: Renewer
                    ) -> ChangeOut:
    """Propose extending a renewable agreement's term, recording the basis; in force once
    the other state accepts it (`POST /agreements/{ref}/changes/{seq}/accept`)."""
    with write() as db:
        return change_out(service.propose_renewal(db, ref, months=body.months,
                                                  basis=body.basis, actor=principal.actor,
                                                  party=principal.party_code))


class FeesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fees: FeeScheduleIn
    currency: CurrencyCode | None = Field(
        default=None, description="ISO 4217; if given, must be the agreement's currency")
    basis: str = Field(min_length=1, max_length=300,
                       description="the instrument that sets the fees, e.g. an exchange of notes")


@router.post("/{ref}/fees", status_code=201, responses=documented(401, 403, 404, 409, 422))
def schedule_fees(ref: str, body: FeesIn, write: Writer, principal: FeeScheduler
                  ) -> ChangeOut:
    """Propose a new version of the agreement's fees from its effective date; in force once
    the other state accepts it."""
    with write() as db:
        return change_out(service.propose_fees(db, ref, body.fees, currency=body.currency,
                                               basis=body.basis, actor=principal.actor,
                                               party=principal.party_code))


class QuotaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quota: int | None = Field(ge=1, le=service.QUOTA_MAX,
                              description="the cap on people the agreement covers; null: none")
    basis: str = Field(min_length=1, max_length=300,
                       description="the instrument that changes it, e.g. an exchange of notes")


@router.post("/{ref}/quota", status_code=201, responses=documented(401, 403, 404, 409, 422))
def change_quota(ref: str, body: QuotaIn, write: Writer, principal: FeeScheduler
                 ) -> ChangeOut:
    """Propose a new quota (the cap on people the agreement covers); in force once the other
    state accepts it. Like a fee change, it amends what both states signed."""
    with write() as db:
        return change_out(service.propose_quota(db, ref, quota=body.quota, basis=body.basis,
                                                actor=principal.actor,
                                                party=principal.party_code))


@router.get("/{ref}/changes", responses=documented(401, 403, 404))
def list_changes(ref: str, db: ReadDB, principal: Reader) -> list[ChangeOut]:
    """The proposed changes of an agreement, newest first (its states and monitors)."""
    return [change_out(c) for c in service.list_changes(db, ref, party=principal.party_code)]


@router.post("/{ref}/changes/{seq}/accept", responses=documented(401, 403, 404, 409, 422))
def accept_change(ref: str, seq: Seq, write: Writer, principal: Decider) -> ChangeOut:
    """The other state accepts a proposed change: it is in force from now."""
    with write() as db:
        return change_out(service.accept_change(db, ref, seq, actor=principal.actor,
                                                party=principal.party_code))


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


@router.post("/{ref}/changes/{seq}/reject", responses=documented(401, 403, 404, 409, 422))
def reject_change(ref: str, seq: Seq, body: RejectIn, write: Writer,
                  principal: Decider) -> ChangeOut:
    """The other state rejects a proposed change, saying why; nothing changes."""
    with write() as db:
        return change_out(service.reject_change(db, ref, seq, reason=body.reason,
                                                actor=principal.actor,
                                                party=principal.party_code))


@router.post("/{ref}/changes/{seq}/withdraw", responses=documented(401, 403, 404, 409))
def withdraw_change(ref: str, seq: Seq, write: Writer, principal: Decider) -> ChangeOut:
    """The proposing state withdraws its proposal; nothing changes."""
    with write() as db:
        return change_out(service.withdraw_change(db, ref, seq, actor=principal.actor,
                                                  party=principal.party_code))
