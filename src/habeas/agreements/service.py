"""Agreement use cases: load a file or a shipped profile, register it on the ledger."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.agreements.authority import require_party_to
from habeas.agreements.models import Agreement, AgreementChange, FeeSchedule
from habeas.agreements.projections import (
    AgreementRegistered,
    AgreementRenewed,
    ChangeDecided,
    ChangeProposed,
    FeesScheduled,
    QuotaChanged,
)
from habeas.agreements.schemas import AgreementFile
from habeas.agreements.schemas import FeeSchedule as FeeScheduleIn
from habeas.billing.models import Invoice
from habeas.custody import records
from habeas.custody.models import Prisoner
from habeas.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    Forbidden,
    NotFound,
    ValidationFailed,
    field_error,
)
from habeas.events import NewEvent, lock_log, record, record_many
from habeas.facilities import service as facilities
from habeas.ledger.models import Event
from habeas.validation import parse_or_422

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
        return parse_or_422(AgreementFile, data)
    except ValidationFailed as exc:
        # The file it came from leads the message and the details.
        raise ValidationFailed(f"{source}: {exc.message}", code=ErrorCode.INVALID_AGREEMENT,
                               details={"file": source, **exc.details}) from None


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


def list_agreements(session: Session, *, sending_party: str | None = None) -> list[Agreement]:
    """list_agreements returns every agreement, oldest first; with SENDING_PARTY (a sending
    user's scope), only those under which that state sends people."""
    query = select(Agreement).order_by(Agreement.registered_seq)
    if sending_party is not None:
        query = query.where(Agreement.sending_party == sending_party)
    return list(session.scalars(query))


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


# --- changes both parties must agree to (DESIGN.md §12.1) ---------------------------------
#
# Renewing the agreement, changing its fees and holding one person past its term change
# what both states signed, so one state alone never does it: one proposes, the other
# accepts, and only the acceptance puts the change in force (recorded in the same
# transaction as the change's own event, which every existing reader already follows).

CHANGE_KINDS = ("renewal", "fees", "person_term")


def as_a_party(agreement: Agreement, party: str | None, *, act: str,
               not_found: str | None = None) -> str:
    """as_a_party: PARTY is one of AGREEMENT's states (another agreement's: NOT_FOUND, the
    object's own 404 text; no state at all: wrong_party)."""
    require_party_to(agreement, party,
                     not_found=not_found or f"agreement {agreement.ref!r} not found")
    if party is None:
        raise Forbidden(f"{act} is one of the states of {agreement.ref}, not a user acting "
                        "for no state", code=ErrorCode.WRONG_PARTY,
                        details={"agreement": agreement.ref})
    return party


def _check_renewal(agreement: Agreement, months: int) -> None:
    if not agreement.renewable:
        raise Conflict(f"agreement {agreement.ref} is not renewable")
    if not 1 <= months <= 120:
        raise field_error("months", "must be between 1 and 120")


def _check_fees(session: Session, agreement: Agreement, fees: FeeScheduleIn) -> None:
    """Issued invoices never change (DESIGN.md §8): a version may not take effect in or
    before a month already invoiced, nor on a date another version holds."""
    ref = agreement.ref
    if session.get(FeeSchedule, (ref, fees.effective_from)) is not None:
        raise Conflict(f"effective_from: a fee schedule already takes effect on "
                       f"{fees.effective_from}", details={"field": "effective_from"})
    last = session.scalar(select(Invoice.period).where(Invoice.agreement_ref == ref)
                          .order_by(Invoice.period.desc()).limit(1))
    if last is not None and fees.effective_from.strftime("%Y-%m") <= last:
        raise Conflict(f"effective_from: {last} is already invoiced; new fees take effect "
                       "in a later month", code=ErrorCode.ALREADY_INVOICED,
                       details={"field": "effective_from"})


def _propose(session: Session, agreement: Agreement, *, kind: str, terms: dict[str, Any],
             basis: str, actor: str, party: str, subject: str | None = None
             ) -> AgreementChange:
    event = record(session, NewEvent(
        type="agreement.change_proposed", actor=actor, party=party, subject=subject,
        facility=agreement.facility_code, payload=ChangeProposed(
            ref=agreement.ref, kind=kind, subject=subject, terms=terms, basis=basis)))
    return session.get_one(AgreementChange, event.seq)


def propose_renewal(session: Session, ref: str, *, months: int, basis: str, actor: str,
                    party: str | None) -> AgreementChange:
    """propose_renewal: one state proposes extending a renewable agreement's term on a
    recorded basis (e.g. an exchange of notes); in force once the other accepts."""
    agreement = get_agreement(session, ref)
    proposer = as_a_party(agreement, party, act="proposing a renewal")
    _check_renewal(agreement, months)
    if not basis.strip():
        raise field_error("basis", "name the instrument that renews the agreement")
    return _propose(session, agreement, kind="renewal", terms={"months": months},
                    basis=basis.strip(), actor=actor, party=proposer)


def propose_fees(session: Session, ref: str, fees: FeeScheduleIn, *, basis: str, actor: str,
                 party: str | None, currency: str | None = None) -> AgreementChange:
    """propose_fees: one state proposes a new version of the fees from its effective date;
    in force once the other accepts (checked again then: a month may be invoiced since)."""
    agreement = get_agreement(session, ref)
    proposer = as_a_party(agreement, party, act="proposing new fees")
    if not basis.strip():
        raise field_error("basis", "name the instrument that sets the new fees")
    if currency is not None and currency != agreement.currency:
        # One invoice, one currency: a version changes amounts, never the currency.
        raise field_error("currency", f"must be the agreement's currency "
                          f"{agreement.currency}, not {currency}")
    lock_log(session)
    _check_fees(session, agreement, fees)
    return _propose(session, agreement, kind="fees", terms=fees.model_dump(mode="json"),
                    basis=basis.strip(), actor=actor, party=proposer)


QUOTA_MAX = 1_000_000


def _check_quota(quota: int | None) -> None:
    if quota is not None and not 1 <= quota <= QUOTA_MAX:
        raise field_error("quota", f"must be between 1 and {QUOTA_MAX:,}, or null for no cap")


def propose_quota(session: Session, ref: str, *, quota: int | None, basis: str, actor: str,
                  party: str | None) -> AgreementChange:
    """propose_quota: one state proposes a new cap on the people the agreement covers (None:
    no cap); in force once the other accepts (DESIGN.md §12.1: "renew the agreement, change
    fees or quota: a proposal by one party, in force only once the other accepts"). A cap
    below the people already accepted stops further acceptances; it sends no one back."""
    agreement = get_agreement(session, ref)
    proposer = as_a_party(agreement, party, act="proposing a new quota")
    _check_quota(quota)
    if not basis.strip():
        raise field_error("basis", "name the instrument that changes the quota")
    return _propose(session, agreement, kind="quota", terms={"quota": quota},
                    basis=basis.strip(), actor=actor, party=proposer)


def propose_person_term(session: Session, agreement: Agreement, public_id: str, *,
                        until: date, basis: str, actor: str, party: str) -> AgreementChange:
    """propose_person_term: holding one person past the agreement's term extends their
    detention, so it is a proposal too (renew_term checks the person first)."""
    return _propose(session, agreement, kind="person_term", subject=public_id,
                    terms={"until": until.isoformat()}, basis=basis, actor=actor, party=party)


def renew_term(session: Session, public_id: str, *, until: date, reason: str, actor: str,
               party: str | None) -> AgreementChange:
    """renew_term proposes holding one person past the agreement's term, until a date.

    It extends a detention, so one state alone never does it (DESIGN.md §12.1, as for
    renewing the agreement): either state of the person's agreement proposes, the other
    accepts (accept_change). Another agreement's state gets the 404 an unknown id gets.
    """
    missing = f"person {public_id!r} not found"
    prisoner = session.get(Prisoner, public_id)
    agreement = records.agreement_of(session, prisoner) if prisoner is not None else None
    if prisoner is None or agreement is None:
        # A domestic prisoner is held under no agreement: there is no term to renew.
        raise NotFound(missing)
    proposer = as_a_party(agreement, party, act="proposing a term renewal",
                          not_found=missing)
    if not reason.strip():
        raise field_error("reason", "say on what authority the term is renewed")
    records.check_term(session, public_id, until)
    return propose_person_term(session, agreement, public_id, until=until,
                               basis=reason.strip(), actor=actor, party=proposer)


def get_change(session: Session, ref: str, seq: int, *, party: str | None) -> AgreementChange:
    """get_change: proposal SEQ of agreement REF, if PARTY may see it (404 as for none)."""
    missing = f"proposal {seq} of agreement {ref!r} not found"
    agreement = session.get(Agreement, ref)
    change = session.get(AgreementChange, seq)
    if agreement is None or change is None or change.agreement_ref != ref:
        raise NotFound(missing)
    require_party_to(agreement, party, not_found=missing)
    return change


def list_changes(session: Session, ref: str, *, party: str | None,
                 subject: str | None = None) -> list[AgreementChange]:
    """list_changes: the proposals on agreement REF, newest first (SUBJECT: only those about
    that person — the terms proposed for them)."""
    agreement = get_agreement(session, ref)
    require_party_to(agreement, party, not_found=f"agreement {ref!r} not found")
    query = select(AgreementChange).where(AgreementChange.agreement_ref == ref)
    if subject is not None:
        query = query.where(AgreementChange.subject == subject)
    return list(session.scalars(query.order_by(AgreementChange.seq.desc())))


def change_times(session: Session, changes: list[AgreementChange]) -> dict[int, Any]:
    """change_times: when the log recorded each of CHANGES' proposals and decisions, by
    event seq (one query): a proposal is dated by the log, never by a claim."""
    seqs = {c.seq for c in changes} | {c.decided_seq for c in changes
                                       if c.decided_seq is not None}
    if not seqs:
        return {}
    return {seq: at for seq, at in session.execute(
        select(Event.seq, Event.recorded_at).where(Event.seq.in_(sorted(seqs))))}


def _open_change(session: Session, ref: str, seq: int, *, party: str | None, act: str
                 ) -> tuple[Agreement, AgreementChange]:
    change = get_change(session, ref, seq, party=party)
    agreement = session.get_one(Agreement, ref)
    as_a_party(agreement, party, act=act)
    if change.status != "proposed":
        raise Conflict(f"proposal {seq} is {change.status}; it cannot be {act}",
                       code=ErrorCode.INVALID_TRANSITION,
                       details={"status": change.status})
    return agreement, change


def _the_other_party(agreement: Agreement, change: AgreementChange, party: str | None,
                     act: str) -> None:
    # The state that proposed cannot also agree to it: that would be one party alone.
    if party == change.proposed_party:
        other = (agreement.receiving_party if party == agreement.sending_party
                 else agreement.sending_party)
        raise Forbidden(f"proposal {change.seq} was made by {party}; {act} belongs to "
                        f"{other}", code=ErrorCode.WRONG_PARTY,
                        details={"agreement": agreement.ref, "owner": other})


def accept_change(session: Session, ref: str, seq: int, *, actor: str,
                  party: str | None) -> AgreementChange:
    """accept_change: the other state accepts proposal SEQ; the change is in force from now
    (its acceptance and its own event are one transaction)."""
    agreement, change = _open_change(session, ref, seq, party=party, act="accepted")
    _the_other_party(agreement, change, party, "accepting it")
    lock_log(session)
    accepted = NewEvent(type="agreement.change_accepted", actor=actor, party=party,
                        subject=change.subject, facility=agreement.facility_code,
                        payload=ChangeDecided(ref=ref, proposal=seq))
    record_many(session, [accepted, _effect(session, agreement, change, actor=actor,
                                            party=party)])
    return change


def _effect(session: Session, agreement: Agreement, change: AgreementChange, *, actor: str,
            party: str | None) -> NewEvent:
    """_effect: the event that puts an accepted change in force, checked again now."""
    if change.kind == "renewal":
        months = int(change.terms["months"])
        _check_renewal(agreement, months)
        return NewEvent(type="agreement.renewed", actor=actor, party=party,
                        payload=AgreementRenewed(ref=agreement.ref, months=months,
                                                 basis=change.basis, proposal=change.seq))
    if change.kind == "fees":
        fees = FeeScheduleIn.model_validate(change.terms)
        _check_fees(session, agreement, fees)
        return NewEvent(type="agreement.fees_scheduled", actor=actor, party=party,
                        payload=FeesScheduled(ref=agreement.ref, fees=fees, basis=change.basis,
                                              proposal=change.seq))
    if change.kind == "quota":
        quota = change.terms["quota"]
        _check_quota(quota)
        return NewEvent(type="agreement.quota_changed", actor=actor, party=party,
                        payload=QuotaChanged(ref=agreement.ref, quota=quota,
                                             basis=change.basis, proposal=change.seq))
    assert change.kind == "person_term" and change.subject is not None
    return records.term_renewed_event(session, change.subject,
                                      until=date.fromisoformat(change.terms["until"]),
                                      reason=change.basis, proposal=change.seq, actor=actor,
                                      party=party)


def reject_change(session: Session, ref: str, seq: int, *, reason: str, actor: str,
                  party: str | None) -> AgreementChange:
    """reject_change: the other state refuses proposal SEQ, saying why; nothing changes."""
    agreement, change = _open_change(session, ref, seq, party=party, act="rejected")
    _the_other_party(agreement, change, party, "rejecting it")
    if not reason.strip():
        raise field_error("reason", "say why the proposal is rejected")
    record(session, NewEvent(type="agreement.change_rejected", actor=actor, party=party,
                             subject=change.subject, facility=agreement.facility_code,
                             payload=ChangeDecided(ref=ref, proposal=seq,
                                                   reason=reason.strip())))
    return change


def withdraw_change(session: Session, ref: str, seq: int, *, actor: str,
                    party: str | None) -> AgreementChange:
    """withdraw_change: the proposing state takes its proposal back; nothing changes."""
    agreement, change = _open_change(session, ref, seq, party=party, act="withdrawn")
    if party != change.proposed_party:
        raise Forbidden(f"proposal {seq} was made by {change.proposed_party}; only it may "
                        "withdraw it", code=ErrorCode.WRONG_PARTY,
                        details={"agreement": ref, "owner": change.proposed_party})
    record(session, NewEvent(type="agreement.change_withdrawn", actor=actor, party=party,
                             subject=change.subject, facility=agreement.facility_code,
                             payload=ChangeDecided(ref=ref, proposal=seq)))
    return change


def rebuild_authority(session: Session) -> int:
    """rebuild_authority fills the tables migration 0013 adds (proposals, handover parts)
    from the events a database already holds (run by habeas.migrate once the schema is at
    head); returns the number of events read."""
    from habeas.agreements import projections
    from habeas.events import rerun_reactions
    from habeas.transfers import projections as transfer_projections

    if session.scalar(select(AgreementChange.seq).limit(1)) is not None:
        raise Conflict("the proposals are rebuilt only when their table is created")
    return rerun_reactions(session, {
        "agreement.change_proposed": projections.apply_change_proposed,
        "agreement.change_accepted": projections.apply_change_accepted,
        "agreement.change_rejected": projections.apply_change_rejected,
        "agreement.change_withdrawn": projections.apply_change_withdrawn,
        "transfer.handover_part": transfer_projections.apply_handover_part,
    })
