"""Agreement use cases: load a file or a shipped profile, register it on the ledger."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement, FeeSchedule
from habeas.agreements.projections import AgreementRegistered, FeesScheduled
from habeas.agreements.schemas import AgreementFile
from habeas.agreements.schemas import FeeSchedule as FeeScheduleIn
from habeas.billing.models import Invoice
from habeas.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    NotFound,
    ValidationFailed,
    field_error,
)
from habeas.events import NewEvent, lock_log, record
from habeas.facilities import service as facilities
from habeas.ledger.models import Event
from habeas.validation import all_problems, first_problem

Outcome = Literal["registered", "unchanged"]


def shipped_profiles() -> list[str]:
    """shipped_profiles names the profiles packaged with habeas."""
    folder = resources.files("habeas.agreements") / "profiles"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def profile_text(name: str) -> str:
    """profile_text is the TOML of the shipped profile NAME."""
    if name not in shipped_profiles():
        raise DomainError(
            f"profile: unknown profile {name!r}; shipped profiles are "
            f"{', '.join(shipped_profiles())}",
            code=ErrorCode.UNKNOWN_PROFILE, details={"field": "profile", "value": name},
        )
    return (resources.files("habeas.agreements") / "profiles" / f"{name}.toml").read_text("utf-8")


def parse_agreement(text: str, source: str) -> AgreementFile:
    """parse_agreement validates TOML TEXT; errors name SOURCE and the offending key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(
            f"{source}: malformed TOML: {exc}", code=ErrorCode.INVALID_AGREEMENT,
            details={"file": source, "problem": str(exc)},
        ) from None
    try:
        return AgreementFile.model_validate(data)
    except ValidationError as exc:
        field, problem = first_problem(exc)
        raise ValidationFailed(
            f"{source}: {field}: {problem}", code=ErrorCode.INVALID_AGREEMENT,
            details={"file": source, "field": field, "problem": problem,
                     "errors": all_problems(exc)},
        ) from None


def load_agreement_file(path: Path) -> AgreementFile:
    """load_agreement_file reads and validates the agreement file at PATH."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot read: {exc.strerror}",
                               code=ErrorCode.INVALID_AGREEMENT) from None
    return parse_agreement(text, str(path))


def load_profile(name: str) -> AgreementFile:
    """load_profile validates the shipped profile NAME."""
    return parse_agreement(profile_text(name), f"profile {name}")


def _registration_payload(doc: AgreementFile) -> AgreementRegistered:
    return AgreementRegistered(
        terms=doc.agreement, facility_code=doc.facility.code, profile=doc.profile,
        rules=doc.resolved_rules(), fees=doc.fees,
    )


def register(session: Session, doc: AgreementFile, *, actor: str) -> Outcome:
    """register puts the agreement (and its facility, if new) on the ledger; idempotent.

    The same file again changes nothing; different terms under a used ref are a
    conflict (amendments are their own, later, use case).
    """
    facilities.ensure_registered(session, doc.facility, actor=actor)
    payload = _registration_payload(doc)
    existing = session.get(Agreement, doc.agreement.ref)
    if existing is not None:
        if _as_payload(session, existing) == payload.model_dump(mode="json"):
            return "unchanged"
        raise Conflict(
            f"agreement.ref: agreement {doc.agreement.ref!r} is already registered with"
            " different terms",
            details={"field": "agreement.ref", "value": doc.agreement.ref},
        )
    record(session, NewEvent(
        type="agreement.registered", payload=payload, actor=actor,
        party=doc.agreement.receiving_party, facility=doc.facility.code,
    ))
    return "registered"


def _as_payload(session: Session, agreement: Agreement) -> dict[str, Any]:
    event = session.get(Event, agreement.registered_seq)
    assert event is not None, "every agreement row comes from its registration event"
    return event.payload


def list_agreements(session: Session) -> list[Agreement]:
    """list_agreements returns every agreement, oldest first."""
    return list(session.scalars(select(Agreement).order_by(Agreement.registered_seq)))


def get_agreement(session: Session, ref: str) -> Agreement:
    """get_agreement returns agreement REF or raises NotFound."""
    agreement = session.get(Agreement, ref)
    if agreement is None:
        raise NotFound(f"agreement {ref!r} not found")
    return agreement


def current_fees(session: Session, ref: str) -> FeeSchedule | None:
    """current_fees is the latest fee schedule version of agreement REF."""
    return session.scalars(
        select(FeeSchedule).where(FeeSchedule.agreement_ref == ref)
        .order_by(FeeSchedule.effective_from.desc())
    ).first()


def renew(session: Session, ref: str, *, months: int, basis: str, actor: str,
          party: str | None) -> Agreement:
    """renew extends a renewable agreement's term; the basis (e.g. an exchange of notes) is
    recorded, and nobody is held past the term without one (DESIGN.md §5)."""
    from habeas.agreements.projections import AgreementRenewed
    from habeas.errors import Conflict, field_error
    from habeas.events import NewEvent, record

    agreement = get_agreement(session, ref)
    if not agreement.renewable:
        raise Conflict(f"agreement {ref} is not renewable")
    if not 1 <= months <= 120:
        raise field_error("months", "must be between 1 and 120")
    if not basis.strip():
        raise field_error("basis", "name the instrument that renews the agreement")
    record(session, NewEvent(type="agreement.renewed", actor=actor, party=party,
                             payload=AgreementRenewed(ref=ref, months=months,
                                                      basis=basis.strip())))
    return agreement


def schedule_fees(session: Session, ref: str, fees: FeeScheduleIn, *, basis: str, actor: str,
                  party: str | None, currency: str | None = None) -> FeeSchedule:
    """schedule_fees records a new version of the agreement's fees from its effective date.

    Issued invoices never change (DESIGN.md §8): a version may not take effect in
    or before a month already invoiced, nor on a date another version holds.
    """
    agreement = get_agreement(session, ref)
    if party is not None and party not in (agreement.sending_party, agreement.receiving_party):
        raise NotFound(f"agreement {ref!r} not found")
    if not basis.strip():
        raise field_error("basis", "name the instrument that sets the new fees")
    if currency is not None and currency != agreement.currency:
        # One invoice, one currency: a version changes amounts, never the currency.
        raise field_error("currency", f"must be the agreement's currency "
                          f"{agreement.currency}, not {currency}")
    lock_log(session)
    if session.get(FeeSchedule, (ref, fees.effective_from)) is not None:
        raise Conflict(f"effective_from: a fee schedule already takes effect on "
                       f"{fees.effective_from}", details={"field": "effective_from"})
    last = session.scalar(select(Invoice.period).where(Invoice.agreement_ref == ref)
                          .order_by(Invoice.period.desc()).limit(1))
    if last is not None and fees.effective_from.strftime("%Y-%m") <= last:
        raise Conflict(f"effective_from: {last} is already invoiced; new fees take effect "
                       "in a later month", code=ErrorCode.ALREADY_INVOICED,
                       details={"field": "effective_from"})
    record(session, NewEvent(type="agreement.fees_scheduled", actor=actor, party=party,
                             payload=FeesScheduled(ref=ref, fees=fees, basis=basis.strip())))
    return session.get_one(FeeSchedule, (ref, fees.effective_from))
