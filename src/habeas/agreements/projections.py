"""How agreement events change the agreement tables. The only writer of those tables."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement, FeeSchedule, Party
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
    session.add(FeeSchedule(
        agreement_ref=terms.ref, effective_from=p.fees.effective_from, currency=terms.currency,
        annual_rate_minor=p.fees.annual_rate_minor, per_diem_minor=p.fees.per_diem_minor,
        proration=p.fees.proration, intake_fee_minor=p.fees.intake_fee_minor,
        medical_cap_minor=p.fees.medical_cap_minor,
    ))


class AgreementRenewed(BaseModel):
    """AgreementRenewed extends a renewable agreement's term by MONTHS, on a recorded basis."""

    ref: str
    months: int
    basis: str


@projector("agreement.renewed", AgreementRenewed)
def apply_agreement_renewed(session: Session, p: AgreementRenewed, event: EventFacts) -> None:
    agreement = session.get_one(Agreement, p.ref)
    agreement.term_months += p.months
