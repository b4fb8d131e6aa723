"""Events in custody: release dates, renewals, return orders, death, escape, solitary, contact.

Each use case checks its command, then records one event through the one write
path; the projections in custody/projections.py apply it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas import clock
from habeas.agreements.authority import Side, require_side
from habeas.agreements.models import Agreement
from habeas.custody.models import Death, Prisoner, Solitary
from habeas.custody.projections import (
    ContactRecorded,
    DeathInvestigated,
    DeathRecorded,
    Escaped,
    MedicalEmergency,
    Recaptured,
    ReleaseDateSet,
    ReturnOrdered,
    SolitaryEnded,
    SolitaryReviewed,
    SolitaryStarted,
    TermRenewed,
    TransferErroneous,
)
from habeas.errors import Conflict, ErrorCode, NotFound, field_error
from habeas.events import NewEvent, check_claim, is_late, record, record_many
from habeas.facilities.models import Facility
from habeas.facilities.service import PRESENT
from habeas.holds.schemas import Hold, HoldKind

# A return order without an expiry must be carried out within this many days.
RETURN_ORDER_DAYS = 14
# Mandela Rule 44: solitary for more than 15 consecutive days is prolonged solitary.
PROLONGED_SOLITARY_DAYS = 15
# What a death in custody sets in motion at once (Mandela Rules 69 and 71; Vienna
# Convention on Consular Relations art. 37(a) for a foreign national).
DEATH_OBLIGATIONS = (
    "notify the next of kin at once (Mandela Rule 69)",
    "notify the consulate of the person's state of nationality (VCCR art. 37(a))",
    "report to a judicial or other competent authority independent of the prison "
    "administration, which opens an investigation (Mandela Rule 71(1))",
    "preserve the body and all evidence; hand the body to the family (Rule 72)",
)


def happened(field: str, day: date) -> None:
    """happened refuses a custody fact dated after today: it is recorded once it happened
    (DESIGN.md §12.2). The day-level companion of `events.check_claim`, which bounds claimed
    instants with the clock skew; FIELD is named in the 422."""
    if day > clock.today():
        raise field_error(field, f"{day.isoformat()} is in the future")


def agreement_of(session: Session, prisoner: Prisoner) -> Agreement | None:
    """agreement_of: the agreement a transferee is held under (their nomination's); None
    for a domestic prisoner of the facility's own state."""
    if prisoner.kind != "transferee":
        return None
    from habeas.nominations.models import NominationRecord

    ref = session.scalar(select(NominationRecord.agreement_ref).where(
        NominationRecord.public_id == prisoner.public_id))
    return session.get(Agreement, ref) if ref is not None else None


def in_custody_of(session: Session, public_id: str, party: str | None, *, act: str,
                  side: Side = Side.RECEIVING, missing: str | None = None) -> Prisoner:
    """in_custody_of: the person PUBLIC_ID, if PARTY owns ACT on them (DESIGN.md §12.1).

    Custody events belong to the receiving state of the person's agreement; another
    agreement's state reads the same 404 as for an id that does not exist (checked
    before anything else, so neither existence nor status leaks). A domestic
    prisoner's acts belong to the state whose prison holds them.
    """
    missing = missing or f"person {public_id!r} not found"
    prisoner = session.get(Prisoner, public_id)
    if prisoner is None:
        raise NotFound(missing)
    agreement = agreement_of(session, prisoner)
    if agreement is not None:
        require_side(agreement, party, side, act=act, not_found=missing)
    elif party != session.get_one(Facility, prisoner.facility_code).country:
        raise NotFound(missing)
    return prisoner


def held(session: Session, public_id: str, party: str | None = None, *,
         act: str = "recording a custody event") -> Prisoner:
    """held: a person physically at a facility now whose custody events PARTY owns, or
    NotFound/Forbidden/Conflict saying why not."""
    prisoner = in_custody_of(session, public_id, party, act=act)
    if prisoner.status not in PRESENT:
        raise Conflict(f"{public_id} is {prisoner.status.replace('_', ' ')}, not in custody",
                       code=ErrorCode.INVALID_TRANSITION, details={"status": prisoner.status})
    return prisoner


def _parties(session: Session, prisoner: Prisoner) -> list[str]:
    """Both states of the person's *own* agreement, once each (the custodian alone for
    domestic prisoners). Never "an agreement at the facility": two agreements may send to
    one prison, and a person's alerts are for their agreement's parties (DESIGN.md §12.1)."""
    agreement = agreement_of(session, prisoner)
    parties = {prisoner.legal_custodian}
    if agreement is not None:
        parties |= {agreement.sending_party, agreement.receiving_party}
    return sorted(parties)


def set_release_date(session: Session, public_id: str, *, sentence_expiry: date | None,
                     release_date: date | None, working: list[str], actor: str,
                     party: str | None) -> None:
    """set_release_date records the computed dates (habeas.sentences) with their working;
    the receiving state's act (DESIGN.md §12.1: release dates)."""
    prisoner = held(session, public_id, party, act="setting release dates")
    if (prisoner.sentence_expiry, prisoner.release_date, prisoner.release_working) == (
            sentence_expiry, release_date, working):
        return
    record(session, NewEvent(type="custody.release_date_set", actor=actor, party=party,
                             subject=public_id,
                             facility=prisoner.facility_code, payload=ReleaseDateSet(
                                 public_id=public_id, sentence_expiry=sentence_expiry,
                                 release_date=release_date, working=working)))


def check_term(session: Session, public_id: str, until: date) -> Prisoner:
    """check_term: PUBLIC_ID is in custody and UNTIL is not past their release date."""
    prisoner = session.get_one(Prisoner, public_id)
    if prisoner.status not in PRESENT:
        raise Conflict(f"{public_id} is {prisoner.status.replace('_', ' ')}, not in custody",
                       code=ErrorCode.INVALID_TRANSITION, details={"status": prisoner.status})
    if prisoner.release_date is not None and until > prisoner.release_date:
        raise field_error("until", f"after the release date {prisoner.release_date}: nobody is "
                          "held past their sentence")
    return prisoner


def term_renewed_event(session: Session, public_id: str, *, until: date, reason: str,
                       proposal: int, actor: str, party: str | None) -> NewEvent:
    """term_renewed_event: the accepted renewal of one person's term, checked again now
    (they may have left custody, or had a release date set, since it was proposed)."""
    prisoner = check_term(session, public_id, until)
    return NewEvent(type="custody.term_renewed", actor=actor, party=party, subject=public_id,
                    facility=prisoner.facility_code, payload=TermRenewed(
                        public_id=public_id, until=until, reason=reason, proposal=proposal))


def _order_takes_effect(session: Session, hold: Hold, facility_code: str) -> datetime:
    # A court order binds from the day it is issued, not from when it reached us: the
    # flag is that day's local midnight, so the days after it are not billable even if
    # they were invoiced before it was registered (they are credited, DESIGN.md §8).
    zone = ZoneInfo(session.get_one(Facility, facility_code).timezone)
    return datetime.combine(hold.issued, time(), zone)


def order_returns(session: Session, hold: Hold, *, actor: str, party: str | None,
                  as_of: date) -> list[str]:
    """order_returns: a return order names a deadline for everyone held whom it matches."""
    if hold.kind is not HoldKind.RETURN_ORDER or not hold.active_on(as_of):
        return []
    from habeas.nominations.models import NominationRecord
    from habeas.nominations.schemas import Nomination

    deadline = hold.expires or hold.issued + timedelta(days=RETURN_ORDER_DAYS)
    # The order binds from its issue, whenever it is registered (DESIGN.md §12.2): a late
    # registration makes this derived act late too, and says why in the order's words.
    late_reason = (f"court order {hold.hold_ref} issued {hold.issued}, registered "
                   f"{clock.today()}")
    events = []
    for prisoner, nomination in session.execute(
            select(Prisoner, NominationRecord)
            .join(NominationRecord, NominationRecord.public_id == Prisoner.public_id)
            .where(Prisoner.status.in_(PRESENT), Prisoner.kind == "transferee")).all():
        if not hold.binds(Nomination.model_validate(nomination.data), nomination.sending_party):
            continue
        events.append(NewEvent(
            type="custody.return_ordered", actor=actor, party=party, subject=prisoner.public_id,
            facility=prisoner.facility_code, occurred_at=(takes_effect := _order_takes_effect(
                session, hold, prisoner.facility_code)),
            late_reason=late_reason if is_late("custody.return_ordered", takes_effect)
            else None, payload=ReturnOrdered(
                public_id=prisoner.public_id, hold_ref=hold.hold_ref, deadline=deadline,
                parties=_parties(session, prisoner))))
    record_many(session, events)
    return [e.subject for e in events if e.subject]


def declare_erroneous_transfer(session: Session, public_id: str, *, reason: str, actor: str,
                               party: str | None, at: datetime | None = None,
                               late_reason: str | None = None) -> Prisoner:
    """declare_erroneous_transfer: the sending state says it should never have sent this
    person. They are to be returned, and no day of the stay is billable (DESIGN.md §8)."""
    missing = f"no transferee {public_id!r}"
    known = session.get(Prisoner, public_id)
    if known is None or known.kind != "transferee":
        raise NotFound(missing)
    # Only the sending state can say it should never have sent someone (§12.1).
    prisoner = in_custody_of(session, public_id, party, act="declaring a transfer erroneous",
                             side=Side.SENDING, missing=missing)
    if prisoner.erroneous_seq is not None:
        raise Conflict(f"the transfer of {public_id} is already declared erroneous",
                       code=ErrorCode.INVALID_TRANSITION)
    if not reason.strip():
        raise field_error("reason", "say why the person should never have been sent")
    if at is not None:
        check_claim("custody.transfer_erroneous", at, late_reason, field="at")
    record(session, NewEvent(
        type="custody.transfer_erroneous", actor=actor, party=prisoner.legal_custodian,
        subject=public_id, facility=prisoner.facility_code, occurred_at=at,
        late_reason=late_reason, payload=TransferErroneous(
            public_id=public_id, reason=reason.strip(), parties=_parties(session, prisoner))))
    return prisoner


def record_death(session: Session, public_id: str, *, died_at: datetime, place: str,
                 circumstances: str, actor: str, party: str | None,
                 late_reason: str | None = None) -> Death:
    """record_death: a death in custody, and the duties it starts at once (Rules 69, 71)."""
    in_custody_of(session, public_id, party, act="recording a death")
    check_claim("custody.death", died_at, late_reason, field="died_at")
    if session.get(Death, public_id) is not None:
        raise Conflict(f"the death of {public_id} is already recorded",
                       code=ErrorCode.INVALID_TRANSITION)
    prisoner = held(session, public_id, party, act="recording a death")
    for field, value in (("place", place), ("circumstances", circumstances)):
        if not value.strip():
            raise field_error(field, "must not be empty")
    record(session, NewEvent(
        type="custody.death", actor=actor, subject=public_id, facility=prisoner.facility_code,
        occurred_at=died_at, late_reason=late_reason, party=prisoner.legal_custodian,
        payload=DeathRecorded(
            public_id=public_id, died_at=died_at, place=place.strip(),
            circumstances=circumstances.strip(), obligations=list(DEATH_OBLIGATIONS),
            parties=_parties(session, prisoner))))
    return session.get_one(Death, public_id)


def record_death_investigation(session: Session, public_id: str, *, body: str, reference: str,
                               opened_on: date, actor: str, party: str | None) -> None:
    """record_death_investigation: the independent investigation Rule 71 requires, recorded
    by the state that held the person (the receiving state of their agreement)."""
    in_custody_of(session, public_id, party, act="recording a death investigation",
                  missing=f"no death of {public_id!r} is recorded")
    death = session.get(Death, public_id)
    if death is None:
        raise NotFound(f"no death of {public_id!r} is recorded")
    if death.investigation_ref is not None:
        raise Conflict(f"an investigation of {public_id}'s death is already recorded")
    if not body.strip() or not reference.strip():
        raise field_error("body" if not body.strip() else "reference", "must not be empty")
    if opened_on < death.died_at.date():
        raise field_error("opened_on", "before the death")
    happened("opened_on", opened_on)
    record(session, NewEvent(type="custody.death_investigated", actor=actor, party=party,
                             subject=public_id,
                             payload=DeathInvestigated(public_id=public_id, body=body.strip(),
                                                       reference=reference.strip(),
                                                       opened_on=opened_on)))


def record_escape(session: Session, public_id: str, *, at: datetime, circumstances: str,
                  actor: str, party: str | None, late_reason: str | None = None) -> None:
    prisoner = held(session, public_id, party, act="recording an escape")
    check_claim("custody.escape", at, late_reason, field="at")
    record(session, NewEvent(type="custody.escape", actor=actor, party=party, subject=public_id,
                             facility=prisoner.facility_code, occurred_at=at,
                             late_reason=late_reason,
                             payload=Escaped(public_id=public_id, at=at,
                                             circumstances=circumstances.strip(),
                                             parties=_parties(session, prisoner))))


def record_recapture(session: Session, public_id: str, *, at: datetime, circumstances: str,
                     actor: str, party: str | None, late_reason: str | None = None) -> None:
    """record_recapture: back in custody after an escape; housed again like any arrival."""
    prisoner = in_custody_of(session, public_id, party, act="recording a recapture")
    check_claim("custody.recaptured", at, late_reason, field="at")
    if prisoner.status != "escaped":
        raise Conflict(f"{public_id} is not recorded as escaped", code=ErrorCode.INVALID_TRANSITION)
    if prisoner.left_at is not None and at < prisoner.left_at:
        raise field_error("at", "before the escape", ErrorCode.OUT_OF_ORDER)
    record(session, NewEvent(type="custody.recaptured", actor=actor, party=party,
                             subject=public_id,
                             facility=prisoner.facility_code, occurred_at=at,
                             late_reason=late_reason,
                             payload=Recaptured(public_id=public_id, at=at,
                                                circumstances=circumstances.strip())))


MEDICAL_NATURES = ("illness", "injury")


def record_medical_emergency(session: Session, public_id: str, *, at: datetime, nature: str,
                             details: str, actor: str, party: str | None,
                             treated_at: str | None = None,
                             late_reason: str | None = None) -> int:
    """record_medical_emergency: a serious illness or injury. The person's contacts are told
    unless they asked not to be (Mandela Rules 68-69); both states are alerted."""
    prisoner = held(session, public_id, party, act="recording a medical emergency")
    if nature not in MEDICAL_NATURES:
        raise field_error("nature", f"must be one of {', '.join(MEDICAL_NATURES)}")
    if not details.strip():
        raise field_error("details", "must not be empty")
    if at.tzinfo is None:
        raise field_error("at", "must carry a time zone")
    check_claim("custody.medical_emergency", at, late_reason, field="at")
    event = record(session, NewEvent(
        type="custody.medical_emergency", actor=actor, party=party, subject=public_id,
        facility=prisoner.facility_code, occurred_at=at, late_reason=late_reason,
        payload=MedicalEmergency(
            public_id=public_id, at=at, nature=nature,
            treated_at=(treated_at or "").strip() or None, details=details.strip(),
            parties=_parties(session, prisoner))))
    return event.seq


def open_solitary(session: Session, public_id: str) -> Solitary | None:
    return session.scalars(select(Solitary).where(
        Solitary.public_id == public_id, Solitary.ended_at.is_(None))).first()


def start_solitary(session: Session, public_id: str, *, at: datetime, authorised_by: str,
                   reason: str, actor: str, party: str | None,
                   late_reason: str | None = None) -> int:
    """start_solitary: who authorised it and why (Mandela Rule 45: a last resort)."""
    prisoner = held(session, public_id, party, act="starting solitary confinement")
    check_claim("solitary.started", at, late_reason, field="at")
    if open_solitary(session, public_id) is not None:
        raise Conflict(f"{public_id} is already in solitary confinement",
                       code=ErrorCode.INVALID_TRANSITION)
    for field, value in (("authorised_by", authorised_by), ("reason", reason)):
        if not value.strip():
            raise field_error(field, "must not be empty")
    event = record(session, NewEvent(
        type="solitary.started", actor=actor, party=party, subject=public_id,
        facility=prisoner.facility_code, occurred_at=at, late_reason=late_reason,
        payload=SolitaryStarted(public_id=public_id, at=at,
                                                authorised_by=authorised_by.strip(),
                                                reason=reason.strip())))
    return event.seq


def end_solitary(session: Session, public_id: str, *, at: datetime, actor: str,
                 party: str | None, late_reason: str | None = None) -> None:
    in_custody_of(session, public_id, party, act="ending solitary confinement")
    check_claim("solitary.ended", at, late_reason, field="at")
    episode = open_solitary(session, public_id)
    if episode is None:
        raise Conflict(f"{public_id} is not in solitary confinement",
                       code=ErrorCode.INVALID_TRANSITION)
    if at < episode.started_at:
        raise field_error("at", "before the solitary confinement started",
                          ErrorCode.OUT_OF_ORDER)
    record(session, NewEvent(type="solitary.ended", actor=actor, party=party, subject=public_id,
                             occurred_at=at, late_reason=late_reason, payload=SolitaryEnded(
                                 solitary=episode.seq, public_id=public_id, at=at)))


def review_solitary(session: Session, solitary: int, *, reviewer: str, outcome: str,
                    actor: str) -> None:
    """review_solitary: the independent review prolonged solitary requires."""
    episode = session.get(Solitary, solitary)
    if episode is None:
        raise NotFound(f"solitary episode {solitary} not found")
    if not reviewer.strip() or not outcome.strip():
        raise field_error("reviewer" if not reviewer.strip() else "outcome", "must not be empty")
    if reviewer.strip() == episode.authorised_by:
        raise field_error("reviewer", "the review must be independent of who authorised it")
    record(session, NewEvent(type="solitary.reviewed", actor=actor, subject=episode.public_id,
                             payload=SolitaryReviewed(solitary=solitary,
                                                      public_id=episode.public_id,
                                                      reviewer=reviewer.strip(),
                                                      outcome=outcome.strip())))


CONTACT_KINDS = ("family", "legal", "consular")
CONTACT_MODES = ("visit", "call", "video", "letter")


def record_contact(session: Session, public_id: str, *, kind: str, mode: str, on: date,
                   with_whom: str, actor: str, party: str | None) -> None:
    """record_contact: a family, legal or consular contact (Mandela Rules 58, 61, 62)."""
    prisoner = held(session, public_id, party, act="recording a contact")
    if kind not in CONTACT_KINDS:
        raise field_error("kind", f"must be one of {', '.join(CONTACT_KINDS)}")
    if mode not in CONTACT_MODES:
        raise field_error("mode", f"must be one of {', '.join(CONTACT_MODES)}")
    if not with_whom.strip():
        raise field_error("with_whom", "must not be empty")
    if on < prisoner.admitted_on:
        raise field_error("on", "before the person was admitted")
    happened("on", on)
    record(session, NewEvent(type="contact.recorded", actor=actor, party=party,
                             subject=public_id,
                             facility=prisoner.facility_code, payload=ContactRecorded(
                                 public_id=public_id, kind=kind, mode=mode, on=on,
                                 with_whom=with_whom.strip())))


def due_releases(session: Session, facility_code: str, *, today: date, within_days: int,
                 scope: str | None = None) -> list[Prisoner]:
    """due_releases: people whose release date falls within the next WITHIN_DAYS (or passed);
    SCOPE (a sending state) only its own people (DESIGN.md §2: fetched with the scope)."""
    query = select(Prisoner).where(
        Prisoner.facility_code == facility_code, Prisoner.status.in_(PRESENT),
        Prisoner.release_date.is_not(None),
        Prisoner.release_date <= today + timedelta(days=within_days))
    if scope is not None:
        query = query.where(Prisoner.legal_custodian == scope)
    return list(session.scalars(query.order_by(Prisoner.release_date, Prisoner.public_id)))
