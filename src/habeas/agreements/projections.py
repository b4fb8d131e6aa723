"""How agreement events change the agreement tables. The only writer of those tables."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement, AgreementChange, FeeSchedule, Party
from habeas.agreements.schemas import AgreementTerms, ProfileInfo
from habeas.agreements.schemas import FeeSchedule as FeeScheduleIn
from habeas.codes import country_name
from habeas.events import EventFacts, projector


class AgreementRegistered(BaseModel):
    terms: AgreementTerms
    facility_code: str
    profile: ProfileInfo
    rules: dict[str, dict[str, Any]]
    fees: FeeScheduleIn


def _ensure_party(session: Session, code: str) -> None:
    if session.get(Party, code) is None:
        session.add(Party(code=code, name=country_name(code)))
        session.flush()


@projector("agreement.registered", AgreementRegistered)
def apply_agreement_registered(session: Session, p: AgreementRegistered, event: EventFacts) -> None:
    terms = p.terms
    _ensure_party(session, terms.sending_party)
    _ensure_party(session, terms.receiving_party)
    session.add(Agreement(
        ref=terms.ref, title=terms.title, sending_party=terms.sending_party,
        receiving_party=terms.receiving_party, facility_code=p.facility_code,
        currency=terms.currency, starts_on=terms.starts_on, term_months=terms.term_months,
        renewable=terms.renewable, quota=terms.quota, citizens_included=terms.citizens_included,
        profile_name=p.profile.name, profile_description=p.profile.description,
        rules=p.rules, registered_seq=event.seq,
    ))
    session.flush()
    session.add(_fee_row(terms.ref, terms.currency, p.fees))


def _fee_row(ref: str, currency: str, fees: FeeScheduleIn) -> FeeSchedule:
    return FeeSchedule(
        agreement_ref=ref, effective_from=fees.effective_from, currency=currency,
        annual_rate_minor=fees.annual_rate_minor, per_diem_minor=fees.per_diem_minor,
        proration=fees.proration, intake_fee_minor=fees.intake_fee_minor,
        medical_cap_minor=fees.medical_cap_minor,
        repatriation_cap_minor=fees.repatriation_cap_minor, convention=fees.convention)


class FeesScheduled(BaseModel):
    """FeesScheduled: a new version of an agreement's fees, in force from its date on."""

    ref: str
    fees: FeeScheduleIn
    basis: str
    proposal: int | None = None  # the accepted change (none before proposals existed)


@projector("agreement.fees_scheduled", FeesScheduled)
def apply_fees_scheduled(session: Session, p: FeesScheduled, event: EventFacts) -> None:
    agreement = session.get_one(Agreement, p.ref)
    session.add(_fee_row(p.ref, agreement.currency, p.fees))


class AgreementRenewed(BaseModel):
    """AgreementRenewed extends a renewable agreement's term by MONTHS, on a recorded basis."""

    ref: str
    months: int
    basis: str
    proposal: int | None = None  # the accepted change (none before proposals existed)


@projector("agreement.renewed", AgreementRenewed)
def apply_agreement_renewed(session: Session, p: AgreementRenewed, event: EventFacts) -> None:
    agreement = session.get_one(Agreement, p.ref)
    agreement.term_months += p.months


class QuotaChanged(BaseModel):
    """QuotaChanged sets the agreement's cap on people (None: no cap), as both states agreed."""

    ref: str
    quota: int | None
    basis: str
    proposal: int


@projector("agreement.quota_changed", QuotaChanged)
def apply_quota_changed(session: Session, p: QuotaChanged, event: EventFacts) -> None:
    session.get_one(Agreement, p.ref).quota = p.quota


class ChangeProposed(BaseModel):
    """ChangeProposed: one party proposes a change both must agree to (DESIGN.md §12.1).

    KIND is renewal (terms: months), fees (terms: a fee schedule), quota (terms: quota, null
    for no cap) or person_term (SUBJECT held past the term; terms: until).
    """

    ref: str
    kind: str
    subject: str | None = None
    terms: dict[str, Any]
    basis: str


class ChangeDecided(BaseModel):
    """ChangeDecided: the other party accepts or rejects a proposal, or its proposer
    withdraws it. The accepted change itself is the next event (its own type)."""

    ref: str
    proposal: int
    reason: str | None = None


@projector("agreement.change_proposed", ChangeProposed)
def apply_change_proposed(session: Session, p: ChangeProposed, event: EventFacts) -> None:
    assert event.party is not None, "a proposal is made by a party"
    session.add(AgreementChange(
        seq=event.seq, agreement_ref=p.ref, kind=p.kind, subject=p.subject, terms=p.terms,
        basis=p.basis, proposed_by=event.actor, proposed_party=event.party,
        status="proposed", decided_by=None, decided_party=None, decided_seq=None, reason=None))


def _decided(session: Session, p: ChangeDecided, event: EventFacts, status: str) -> None:
    change = session.get_one(AgreementChange, p.proposal)
    change.status, change.reason = status, p.reason
    change.decided_by, change.decided_party, change.decided_seq = \
        event.actor, event.party, event.seq


@projector("agreement.change_accepted", ChangeDecided)
def apply_change_accepted(session: Session, p: ChangeDecided, event: EventFacts) -> None:
    _decided(session, p, event, "accepted")


@projector("agreement.change_rejected", ChangeDecided)
def apply_change_rejected(session: Session, p: ChangeDecided, event: EventFacts) -> None:
    _decided(session, p, event, "rejected")


@projector("agreement.change_withdrawn", ChangeDecided)
def apply_change_withdrawn(session: Session, p: ChangeDecided, event: EventFacts) -> None:
    _decided(session, p, event, "withdrawn")
