"""After import: amend a nomination, serve notice, accept or reject (receiving state)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements.authority import Side, require_side
from habeas.agreements.models import Agreement
from habeas.agreements.terms import term_end
from habeas.clock import today
from habeas.codes import country_name
from habeas.errors import Conflict, ErrorCode, NotFound, ValidationFailed, field_error
from habeas.events import NewEvent, record_many
from habeas.facilities import service as facilities
from habeas.facilities.models import Facility
from habeas.holds import reads as holds
from habeas.ledger.models import Event
from habeas.nominations import identity, notice_text
from habeas.nominations.models import NominationRecord, Notice
from habeas.nominations.projections import (
    NominationAccepted,
    NominationAmended,
    NominationDecided,
    NoticeServed,
)
from habeas.nominations.schemas import Nomination
from habeas.nominations.service import context_for, data_digest, screened_event
from habeas.screening import rules
from habeas.screening.engine import Decision, screen
from habeas.screening.rules import Outcome
from habeas.validation import all_problems

NoticeMethod = Literal["in_person", "mail", "counsel", "email"]


def get(session: Session, public_id: str, party: str | None = None) -> NominationRecord:
    """get returns a nomination; PARTY (a sending state) sees only its own (else 404)."""
    record = session.get(NominationRecord, public_id)
    if record is None or (party is not None and record.sending_party != party):
        raise NotFound(f"nomination {public_id!r} not found")
    return record


def owned(session: Session, record: NominationRecord, party: str | None, side: Side, *,
          act: str) -> Agreement:
    """owned: RECORD's agreement, if ACT on it is PARTY's as SIDE (DESIGN.md §12.1); a state
    of another agreement reads the 404 of a nomination that does not exist."""
    agreement = session.get_one(Agreement, record.agreement_ref)
    require_side(agreement, party, side, act=act,
                 not_found=f"nomination {record.public_id!r} not found")
    return agreement


def amend(session: Session, record: NominationRecord, data: object, *, as_of: date,
          actor: str, party: str | None) -> str:
    """amend replaces a nomination's data (same external_ref) and screens it again; the
    sending state's act."""
    owned(session, record, party, Side.SENDING, act="amending a nomination")
    if record.status != "nominated":
        raise Conflict(f"nomination {record.public_id} was {record.status}; it can't be amended",
                       code=ErrorCode.ALREADY_DECIDED)
    try:
        nomination = Nomination.model_validate(data)
    except ValidationError as exc:
        problems = all_problems(exc)
        raise ValidationFailed(f"{problems[0]['field']}: {problems[0]['problem']}",
                               details={"field": problems[0]["field"], "errors": problems}
                               ) from None
    if nomination.external_ref != record.external_ref:
        raise field_error("external_ref", "an amendment cannot change the external_ref")
    digest = data_digest(nomination)
    if digest == record.data_sha256:
        return "unchanged"
    agreement = session.get_one(Agreement, record.agreement_ref)
    outcome = screen(nomination, agreement.rules,
                     context_for(agreement, as_of, holds.all_holds(session)))
    record_many(session, [
        NewEvent(type="nomination.amended", actor=actor, party=record.sending_party,
                 subject=record.public_id, payload=NominationAmended(
                     public_id=record.public_id, nomination=nomination, data_sha256=digest)),
        screened_event(record.public_id, outcome, as_of, actor, record.sending_party)])
    return outcome.decision.value


def nominated_at(session: Session, record: NominationRecord) -> datetime:
    """nominated_at: when the nomination was recorded — the first fact of a custody story.

    A nomination has no claimed time (it exists from its recording), so every later
    claim about the person is held against this instant (DESIGN.md §12.2 causal order).
    """
    return session.get_one(Event, record.received_seq).recorded_at


def accepted_at(session: Session, record: NominationRecord) -> datetime | None:
    """accepted_at: when the receiving state accepted RECORD (its latest acceptance, if ever
    several) — the day it claims, from its start, if recorded after that day, else the
    event's occurred_at; None if it never was.

    The second fact of a custody story: no movement of the person is planned or made
    before it (DESIGN.md §12.2: nomination ≤ acceptance ≤ planned ≤ departed).
    """
    row = session.execute(select(Event.occurred_at, Event.payload).where(
        Event.type == "nomination.accepted", Event.subject == record.public_id)
        .order_by(Event.seq.desc()).limit(1)).first()
    if row is None:
        return None
    occurred: datetime = row[0]
    claimed = row[1].get("on")
    # An acceptance recorded after its day (a paper decision entered later) claims that
    # day, from its start; one recorded on its day, the moment it was recorded.
    if claimed and date.fromisoformat(claimed) < occurred.date():
        return datetime.combine(date.fromisoformat(claimed), time.min, UTC)
    return occurred


def claimed_day(session: Session, record: NominationRecord, day: date, field: str) -> None:
    """claimed_day: a day claimed for a step of RECORD's story lies between the day the
    nomination was recorded and today (DESIGN.md §12.2: nomination ≤ notice ≤ departure;
    nothing is recorded before it happens)."""
    now = today()
    if day > now:
        raise ValidationFailed(f"{field}: {day} is after today ({now})",
                               code=ErrorCode.OCCURRED_IN_FUTURE,
                               details={"field": field, "problem": "in the future"})
    since = nominated_at(session, record).date()
    if day < since:
        raise ValidationFailed(
            f"{field}: {day} is before {record.public_id} was nominated ({since})",
            code=ErrorCode.OUT_OF_ORDER,
            details={"field": field, "problem": "before the nomination",
                     "nominated_on": since.isoformat()})


def serve_notice(session: Session, record: NominationRecord, *, served_on: date,
                 language: str, method: NoticeMethod, acknowledged: bool, actor: str,
                 party: str | None) -> Notice:
    """serve_notice records written notice in the person's own language, with its text; the
    sending state's act (DESIGN.md §12.1)."""
    owned(session, record, party, Side.SENDING, act="serving notice")
    person_language = record.data["person"]["language"]
    if language != person_language:
        raise ValidationFailed(
            f"language: notice must be in the person's language ({person_language!r})",
            code=ErrorCode.NOTICE_LANGUAGE, details={"field": "language"})
    if language not in notice_text.TEMPLATES:
        raise field_error("language", f"no notice template in {language!r} yet (en, es)")
    # Notice served before the person was nominated, or on a day still to come, is
    # not notice of this transfer: it would count toward the notice period without
    # having been given (issue 17: backdated served_on beat the NOTICE gate).
    claimed_day(session, record, served_on, "served_on")
    agreement = session.get_one(Agreement, record.agreement_ref)
    facility = session.get_one(Facility, agreement.facility_code)
    days = int(agreement.rules["NOTICE"]["days"])
    text = notice_text.render(
        language, name=f"{record.given_names} {record.family_name}",
        external_ref=record.external_ref, served_on=served_on.isoformat(),
        sending_state=country_name(agreement.sending_party),
        receiving_state=country_name(agreement.receiving_party), facility=facility.name,
        agreement=agreement.ref, notice_days=days,
        earliest_departure=notice_text.earliest_departure(served_on, days).isoformat())
    [event] = record_many(session, [NewEvent(
        type="notice.served", actor=actor, party=party, subject=record.public_id,
        payload=NoticeServed(public_id=record.public_id, served_on=served_on,
                             language=language, method=method, acknowledged=acknowledged,
                             text=text))])
    return session.get_one(Notice, event.seq)


def latest_notice(session: Session, public_id: str) -> Notice | None:
    return session.scalars(select(Notice).where(Notice.public_id == public_id)
                           .order_by(Notice.seq.desc())).first()


# Statuses that hold one of the agreement's places (QUOTA): accepted and after.
TAKEN = ("accepted", "in_transit", "in_custody", "return_required")


def accept(session: Session, record: NominationRecord, *, on: date, actor: str,
           party: str | None) -> None:
    """accept takes an eligible nomination within QUOTA and CAPACITY, or refuses with a code;
    the receiving state's act (DESIGN.md §12.1)."""
    owned(session, record, party, Side.RECEIVING, act="accepting a nomination")
    if record.status != "nominated":
        raise Conflict(f"nomination {record.public_id} was already {record.status}",
                       code=ErrorCode.ALREADY_DECIDED)
    if record.decision != Decision.ELIGIBLE.value:
        raise Conflict(f"nomination {record.public_id} is {record.decision}, not eligible",
                       code=ErrorCode.NOT_ELIGIBLE)
    # One person, one place: the same person (name, birth date, a conviction case) under a
    # new external_ref, already accepted, flown or held, is refused (issue 17: a man was
    # flown while already in custody). The integrity report lists any recorded before.
    held = identity.others_of(session, record)
    if held:
        # Another agreement's nomination is not named: its parties alone may read it.
        other = held[0].public_id if held[0].agreement_ref == record.agreement_ref \
            else "a nomination under another agreement"
        raise Conflict(f"nomination {record.public_id} is the same person as {other}, "
                       f"already {held[0].status.replace('_', ' ')}",
                       code=ErrorCode.DUPLICATE_PERSON,
                       details={"same_as": other, "status": held[0].status})
    agreement = session.get_one(Agreement, record.agreement_ref)
    # Acceptance may precede the term (transfers are planned ahead), never follow it:
    # nobody is held past the agreement's term without a recorded renewal (DESIGN.md §5).
    ends = term_end(agreement.starts_on, agreement.term_months)
    if on > ends:
        raise field_error("on", f"after the agreement's term, which ended on {ends}")
    claimed_day(session, record, on, "on")
    accepted = session.scalar(select(func.count()).select_from(NominationRecord).where(
        NominationRecord.agreement_ref == agreement.ref,
        NominationRecord.status.in_(TAKEN))) or 0
    # The place is booked for the requested transfer date, or from acceptance on.
    wanted = record.data.get("requested_transfer_date")
    booked_on = max(on, date.fromisoformat(wanted)) if wanted else on
    outlook = facilities.forecast(session, agreement.facility_code, booked_on)
    for gate, code in ((rules.quota(accepted, agreement.quota), ErrorCode.QUOTA_EXHAUSTED),
                       (rules.capacity(outlook.free_places),
                        ErrorCode.NO_SPACE_AT_RECEIVING_FACILITY)):
        enabled = agreement.rules.get(gate.rule, {}).get("enabled", False)
        if enabled and gate.outcome is Outcome.FAIL:
            raise Conflict(f"{gate.rule}: {gate.message}", code=code,
                           details={"rule": gate.rule, "citation": gate.citation})
    record_many(session, [NewEvent(
        type="nomination.accepted", actor=actor, party=party, subject=record.public_id,
        payload=NominationAccepted(public_id=record.public_id,
                                   reason=f"accepted on {on.isoformat()}", on=on))])


def reject(session: Session, record: NominationRecord, *, reason: str, actor: str,
           party: str | None) -> None:
    """reject declines a nomination with a reason; the receiving state's act."""
    owned(session, record, party, Side.RECEIVING, act="rejecting a nomination")
    if record.status != "nominated":
        raise Conflict(f"nomination {record.public_id} was already {record.status}",
                       code=ErrorCode.ALREADY_DECIDED)
    if not reason.strip():
        raise field_error("reason", "say why the nomination is rejected")
    record_many(session, [NewEvent(
        type="nomination.rejected", actor=actor, party=party, subject=record.public_id,
        payload=NominationDecided(public_id=record.public_id, reason=reason.strip()))])
