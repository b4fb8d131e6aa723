"""The one write path (DESIGN.md §6).

A domain service validates a command, builds a `NewEvent` and calls
`record`, which — inside the caller's single transaction — assigns the next
sequence number, appends the event (its payload committed by a salted
SHA-256), and applies it to the current-state tables through the projector
registered for its type. Nothing else writes domain state, so replaying the
events (habeas.replay) rebuilds the state exactly.

This module knows no domain: projectors register themselves with `projector` and
`reaction`, and an entry point installs them all through habeas.projections.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from habeas import faults
from habeas.codes import check_country
from habeas.config import get_settings
from habeas.db import utcnow
from habeas.errors import DomainError, ErrorCode, ValidationFailed
from habeas.ledger import merkle, store
from habeas.ledger.leaf import (
    ENVELOPE_VERSION,
    SALT_BYTES,
    format_time,
    leaf_bytes,
    payload_digest,
)
from habeas.ledger.models import Event, LogHead


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """RecordedEvent is an event as record() wrote it: the columns of the event table.

    A plain object rather than an ORM instance, because appends are the hot path
    and the event table is written with one executemany per batch.
    """

    seq: int
    v: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    party: str | None
    subject: str | None
    facility: str | None
    payload: dict[str, Any]
    salt: str
    payload_sha256: str
    late_reason: str | None = None


EventFacts = Event | RecordedEvent  # what projectors read (the leaf format: ledger/leaf.py)
Applier = Callable[[Session, Any, EventFacts], None]
T = TypeVar("T")


@dataclass(frozen=True)
class EventType:
    """EventType binds a `domain.verb` name to its payload schema and projector."""

    name: str
    payload: type[BaseModel]
    apply: Applier


_registry: dict[str, EventType] = {}
_parts: dict[str, list[Applier]] = {}
_reactions: dict[str, list[Applier]] = {}


def projector(name: str, payload: type[BaseModel]) -> Callable[[Applier], Applier]:
    """projector registers FUNC as the one way events of type NAME change state."""
    domain, _, verb = name.partition(".")
    if not domain or not verb:
        raise ValueError(f"event type {name!r} is not a domain.verb name")

    def register(func: Applier) -> Applier:
        if name in _registry:
            raise ValueError(f"event type {name!r} registered twice")
        _registry[name] = EventType(name, payload, func)
        return func

    return register


def part(*names: str) -> Callable[[Applier], Applier]:
    """part registers FUNC as another domain's share of applying each event type in NAMES:
    what the event changes in *that domain's own* tables (a handover, registered by
    custody, also moves the manifest's entry and the nomination's status). Every table has
    one owner, and only its owner's projectors and parts write it. Parts run after the
    projector and before any reaction, in the same transaction, and again on replay."""

    def register(func: Applier) -> Applier:
        for name in names:
            _parts.setdefault(name, []).append(func)
        return func

    return register


def reaction(*names: str) -> Callable[[Applier], Applier]:
    """reaction registers FUNC to run after the projector of each event type in NAMES, in
    the same transaction (and again on replay): what an event obliges others to do — an
    outbox row to notify a family — is derived state like any projection (DESIGN.md §6).
    Reactions write only their own tables and never record events."""

    def register(func: Applier) -> Applier:
        for name in names:
            _reactions.setdefault(name, []).append(func)
        return func

    return register


def _apply(session: Session, kind: EventType, payload: BaseModel, event: EventFacts) -> None:
    kind.apply(session, payload, event)
    for share in _parts.get(kind.name, ()):
        share(session, payload, event)
    for react in _reactions.get(kind.name, ()):
        react(session, payload, event)


def rerun_reactions(session: Session, appliers: Mapping[str, Applier], *,
                    batch_size: int = 5_000) -> int:
    """rerun_reactions applies APPLIERS (event type → reaction) to every recorded event of
    those types, in log order, in batches; returns the number of events read. For derived
    tables added to a database that already holds events (a migration's data step)."""
    kinds = event_types()
    count, after = 0, -1
    try:
        with session.no_autoflush:
            while True:
                batch = list(session.scalars(
                    select(Event).where(Event.type.in_(tuple(appliers)), Event.seq > after)
                    .order_by(Event.seq).limit(batch_size)))
                if not batch:
                    break
                for event in batch:
                    payload = kinds[event.type].payload.model_validate(event.payload)
                    appliers[event.type](session, payload, event)
                count, after = count + len(batch), batch[-1].seq
        session.flush()
    finally:
        session.info.pop(_STAGED, None)  # the batch cache, as record_many leaves it
    return count


class NotInstalled(RuntimeError):
    """NotInstalled: an event was recorded, replayed or listed before an entry point
    installed the projectors (habeas.projections.install). A defect, never a user's error."""


_installed: list[tuple[str, ...]] = []  # the modules whose registrations were installed


def install(modules: Sequence[str]) -> None:
    """install opens the write path once MODULES (every domain's projectors and reactions,
    named) have registered their event types. habeas.projections is the one caller."""
    if not _registry:
        raise NotInstalled(f"no projector is registered after importing {', '.join(modules)}")
    orphans = sorted(set(_reactions) - set(_registry))
    if orphans:
        raise NotInstalled(f"reactions to event types no projector registers: {orphans}")
    orphans = sorted(set(_parts) - set(_registry))
    if orphans:
        raise NotInstalled(f"parts of event types no projector registers: {orphans}")
    if tuple(modules) not in _installed:
        _installed.append(tuple(modules))


def _registered() -> dict[str, EventType]:
    if not _installed:
        raise NotInstalled(
            "no projectors are installed: the entry point must call "
            "habeas.projections.install() before recording or replaying an event (ADR 0024)")
    return _registry


def event_types() -> dict[str, EventType]:
    """event_types returns every registered event type (once the projectors are installed)."""
    return dict(_registered())


def _event_type(name: str) -> EventType:
    kind = _registered().get(name)
    if kind is None:
        raise DomainError(f"type: unknown event type {name!r}", code=ErrorCode.UNKNOWN_EVENT_TYPE)
    return kind


@dataclass(frozen=True)
class NewEvent:
    """NewEvent is what a service asks `record` to append."""

    type: str
    payload: BaseModel | Mapping[str, Any]
    actor: str
    party: str | None = None
    subject: str | None = None
    facility: str | None = None
    occurred_at: datetime | None = None
    # Why an act is recorded past its late window (DESIGN.md §12.2); only then.
    late_reason: str | None = None


LATE_REASON_MAX = 500


def _validated_payload(kind: EventType, payload: BaseModel | Mapping[str, Any]) -> BaseModel:
    # An instance of the registered payload model was validated when it was built
    # (services build payloads with the model's constructor); anything else is
    # validated here, from its JSON form.
    if type(payload) is kind.payload:
        return payload
    raw = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else dict(payload)
    try:
        return kind.payload.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise ValidationFailed(
            f"payload.{where}: {first['msg']}",
            code=ErrorCode.INVALID_EVENT,
            details={"field": f"payload.{where}", "problem": first["msg"]},
        ) from None


def _check_envelope(new: NewEvent) -> None:
    def bad(name: str, problem: str) -> ValidationFailed:
        return ValidationFailed(
            f"{name}: {problem}", code=ErrorCode.INVALID_EVENT,
            details={"field": name, "problem": problem},
        )

    if not new.actor or len(new.actor) > 128:
        raise bad("actor", "must be 1 to 128 characters")
    if new.party is not None:
        try:
            check_country(new.party)
        except ValueError as exc:
            raise bad("party", str(exc)) from None
    if new.subject is not None and not 0 < len(new.subject) <= 64:
        raise bad("subject", "must be 1 to 64 characters")
    if new.facility is not None and not 0 < len(new.facility) <= 64:
        raise bad("facility", "must be 1 to 64 characters")
    if new.occurred_at is not None and new.occurred_at.tzinfo is None:
        raise bad("occurred_at", "must carry a time zone")
    if new.late_reason is not None and not (
            new.late_reason.strip() and len(new.late_reason) <= LATE_REASON_MAX
            and new.late_reason == new.late_reason.strip()):
        raise bad("late_reason", f"must be 1 to {LATE_REASON_MAX} characters, trimmed")


def check_times(new: NewEvent, recorded_at: datetime, *,
                field: str = "occurred_at") -> str | None:
    """check_times holds an act's claimed time against the server's clock (DESIGN.md §12.2).

    A claim after the recording (beyond HABEAS_CLOCK_SKEW_SECONDS) is refused: nobody
    records what has not happened. A claim older than the event type's late window
    needs a `late_reason` — the entry is then kept and listed by the integrity report.
    FIELD names the field of the request that carried the claim. Services call it
    before their other checks so a face reports the field the user typed. Returns the
    late_reason the event is recorded with.
    """
    if new.occurred_at is None:
        return new.late_reason
    settings = get_settings()
    claimed = new.occurred_at.astimezone(UTC)
    if claimed > recorded_at + timedelta(seconds=settings.clock_skew_seconds):
        raise ValidationFailed(
            f"{field}: {format_time(claimed)} is after now ({format_time(recorded_at)})",
            code=ErrorCode.OCCURRED_IN_FUTURE,
            details={"field": field, "problem": "in the future",
                     "recorded_at": format_time(recorded_at)})
    window = settings.late_window_for(new.type)
    if recorded_at - claimed > timedelta(hours=window) and new.late_reason is None:
        raise ValidationFailed(
            f"late_reason: {field} is more than {window} hours before now; say why the act "
            f"is recorded late", code=ErrorCode.LATE_REASON_REQUIRED,
            details={"field": "late_reason", "problem": "required for a late entry",
                     "window_hours": window})
    return new.late_reason


def is_late(event_type: str, claimed: datetime) -> bool:
    """is_late: would an act of EVENT_TYPE claiming CLAIMED, recorded now, need a reason?"""
    window = timedelta(hours=get_settings().late_window_for(event_type))
    return utcnow().astimezone(UTC) - claimed.astimezone(UTC) > window


def check_claim(event_type: str, claimed: datetime, late_reason: str | None, *,
                field: str) -> None:
    """check_claim: `check_times` for a service, before its other checks, so the error
    names FIELD — the request's own name for the claimed time (departed_at, …)."""
    check_times(NewEvent(type=event_type, payload={}, actor="-", occurred_at=claimed,
                         late_reason=late_reason), utcnow().astimezone(UTC), field=field)


def lock_log(session: Session) -> LogHead:
    """lock_log takes the log's write lock for the rest of the transaction.

    Services that number documents without gaps (invoices) take it first, so the
    number they compute is still free when their event is appended.
    """
    # The row lock (PostgreSQL) or the write lock taken at BEGIN IMMEDIATE
    # (SQLite) makes concurrent appends queue here, so sequence numbers are
    # gap-free and in commit order.
    return session.execute(select(LogHead).where(LogHead.id == 1).with_for_update()).scalar_one()


def record(session: Session, new: NewEvent, *, now: datetime | None = None
           ) -> RecordedEvent:
    """record appends NEW to the log and applies it, in the caller's transaction."""
    return record_many(session, [new], now=now)[0]


def record_many(
    session: Session, batch: Sequence[NewEvent], *, now: datetime | None = None
) -> list[RecordedEvent]:
    """record_many appends a batch of events in order, as one write: the same rules as record.

    Every event is validated before anything is written; then the events, their
    Merkle hashes and their effects on current state are written together.
    """
    if not batch:
        return []
    prepared = []
    for new in batch:
        kind = _event_type(new.type)
        _check_envelope(new)
        prepared.append((kind, new, _validated_payload(kind, new.payload)))
    recorded_at = (now or utcnow()).astimezone(UTC)
    late_reasons = [check_times(new, recorded_at) for new in batch]

    head = lock_log(session)
    first = head.size
    events: list[RecordedEvent] = []
    leaves: list[bytes] = []
    for offset, ((_, new, payload), late_reason) in enumerate(
            zip(prepared, late_reasons, strict=True)):
        payload_json = payload.model_dump(mode="json")
        salt = secrets.token_bytes(SALT_BYTES)
        event = RecordedEvent(
            seq=first + offset, v=ENVELOPE_VERSION, type=new.type,
            occurred_at=(new.occurred_at or recorded_at).astimezone(UTC),
            recorded_at=recorded_at, actor=new.actor, party=new.party, subject=new.subject,
            facility=new.facility, payload=payload_json, salt=salt.hex(),
            payload_sha256=payload_digest(salt, payload_json), late_reason=late_reason,
        )
        events.append(event)
        leaves.append(merkle.leaf_hash(leaf_bytes(event)))
    head.size = first + len(events)
    session.execute(insert(Event), [event_row(e) for e in events])
    store.append_leaves(session, first, leaves)
    _apply_in_order(session, [(kind, payload, event) for (kind, _, payload), event
                               in zip(prepared, events, strict=True)])
    faults.crash_point("events", len(events))
    return events


def _apply_in_order(session: Session,
                    applied: Sequence[tuple[EventType, BaseModel, EventFacts]]) -> None:
    # One way to apply events, live (record_many) and in replay (apply_many): in log order,
    # flushed after each one, so a projector's query sees the same rows however the events
    # were batched (tests/test_batches.py).
    try:
        with session.no_autoflush:
            for kind, payload, event in applied:
                _apply(session, kind, payload, event)
                session.flush()
    finally:
        session.info.pop(_STAGED, None)


_EVENT_COLUMNS = tuple(c.name for c in Event.__table__.columns)


def event_row(event: EventFacts) -> dict[str, Any]:
    """event_row is EVENT as a row of the event table."""
    return {name: getattr(event, name) for name in _EVENT_COLUMNS}


_STAGED = "habeas_staged"


def stage(session: Session, obj: Any, key: Any) -> None:
    """stage adds a row a projector creates, so a later part of the same event finds it.

    Events are applied with autoflush off and flushed after each one (live and in
    replay alike), so within one event a row just added is not yet in the database:
    projectors create rows with `stage` and read rows by key with `staged`, which
    looks here first.
    """
    session.add(obj)
    session.info.setdefault(_STAGED, {})[(type(obj), key)] = obj


def staged(session: Session, model: type[T], key: Any) -> T | None:
    """staged finds a row by primary key among this batch's new rows, then in the database."""
    found = session.info.get(_STAGED, {}).get((model, key))
    return found if found is not None else session.get(model, key)


def apply_many(session: Session, recorded: Sequence[Event]) -> None:
    """apply_many re-applies already recorded events, in order, as record_many applied them
    (replay, and the test that a batch equals its events one by one)."""
    kinds = [_event_type(event.type) for event in recorded]
    _apply_in_order(session, [(kind, kind.payload.model_validate(event.payload), event)
                              for kind, event in zip(kinds, recorded, strict=True)])


def log_size(session: Session) -> int:
    """log_size is the number of events recorded."""
    return session.execute(select(LogHead.size).where(LogHead.id == 1)).scalar_one()
