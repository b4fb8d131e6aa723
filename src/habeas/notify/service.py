"""Notification use cases: subscribe, confirm, revoke; read the outbox, retry a dead letter;
load the consulate directory. Services take the session first and never commit."""

from __future__ import annotations

import ipaddress
import math
import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas import events
from habeas.errors import Conflict, DomainError, ErrorCode, NotFound, ValidationFailed
from habeas.events import NewEvent, record
from habeas.locator.models import LocatorEntry
from habeas.locator.service import LEFT, SHOWN, SHOWN_AFTER_RELEASE_DAYS, adult_born_by
from habeas.notify import reactions, tokens
from habeas.notify.models import Consulate, Notification, Subscription
from habeas.notify.projections import (
    ConsulateRegistered,
    NotificationRetried,
    SubscriptionRequested,
    SubscriptionStep,
    subscription_id_for,
)
from habeas.notify.schemas import ConsulateFile, NotificationOut
from habeas.validation import parse_or_422

ACTOR = "public"  # who requests, confirms and revokes a subscription: anyone
CONFIRM_WITHIN = timedelta(days=7)
STATUSES = ("pending", "delivered", "dead", "cancelled")
CHANNELS = ("email", "webhook")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
REBUILD_BATCH = 1_000


class RateLimited(DomainError):
    """RateLimited: this address has asked for as many subscriptions as the window allows."""

    status = 429
    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many subscription requests from this address; try again in "
                         f"{retry_after} s", details={"retry_after": retry_after})
        self.retry_after = retry_after


def _bad(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {problem}", details={"field": field, "problem": problem})


def check_address(channel: str, address: str, *, allow_private: bool = False) -> str:
    """check_address: an email address, or a webhook URL (https; http only where private
    addresses are allowed, for tests and closed networks). A URL naming a loopback,
    private or link-local address is refused unless allowed: a public form must not make
    the server call inside its own network."""
    text = address.strip()
    if channel == "email":
        if len(text) > 254 or not EMAIL.match(text):
            raise _bad("address", "is not an email address")
        return text
    if channel != "webhook":
        raise _bad("channel", "must be email or webhook")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _bad("address", "is not a URL") from None
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        raise _bad("address", "must be an https:// URL")
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        raise _bad("address", "must be a plain URL with a host (no user, no #fragment)")
    if port == 0:
        raise _bad("address", "has no usable port")
    try:
        ip = ipaddress.ip_address(parts.hostname)
    except ValueError:
        ip = None
    if not allow_private and (parts.hostname == "localhost" or (ip is not None
                                                                and not ip.is_global)):
        raise _bad("address", "must be a public address")
    return text


def shown(entry: LocatorEntry | None, today: datetime) -> bool:
    """shown: whether the locator would show ENTRY today (habeas.locator.service._shown)."""
    if entry is None or entry.status not in SHOWN:
        return False
    if entry.date_of_birth > adult_born_by(today.date()):
        return False
    return not (entry.status in LEFT and entry.status_changed_on
                < today.date() - timedelta(days=SHOWN_AFTER_RELEASE_DAYS))


def check_rate(session: Session, client_key: str, now: datetime, *, limit: int,
               window_s: int) -> None:
    """check_rate refuses a request when the address has made LIMIT in WINDOW_S seconds."""
    if limit <= 0:
        return
    since = now - timedelta(seconds=window_s)
    count, oldest = session.execute(
        select(func.count(), func.min(Subscription.requested_at)).where(
            Subscription.client_key == client_key, Subscription.requested_at > since)).one()
    if count >= limit:
        wait = (oldest + timedelta(seconds=window_s) - now).total_seconds()
        raise RateLimited(max(1, math.ceil(wait)))


def subscribable(session: Session, token: str, now: datetime) -> LocatorEntry | None:
    """subscribable: the locator entry a result's TOKEN names, if the locator shows it today
    (its name is then no more than the result that gave the token showed)."""
    public_id = tokens.person_for(token)
    entry = session.get(LocatorEntry, public_id) if public_id else None
    return entry if shown(entry, now) else None


def subscribe(session: Session, *, token: str, channel: str, address: str, locale: str,
              client: str, now: datetime, limit: int, window_s: int,
              allow_private: bool = False) -> Subscription:
    """subscribe asks for updates about the person a locator result's TOKEN names. Nothing
    is sent but a confirmation code to ADDRESS until that code is given back."""
    entry = subscribable(session, token, now)
    if entry is None:
        # The same answer for a forged token and for someone the locator no longer shows.
        raise NotFound("token: no such person to subscribe to; search the locator again",
                       details={"field": "token"})
    checked = check_address(channel, address, allow_private=allow_private)
    client_key = tokens.client_key(client)
    check_rate(session, client_key, now, limit=limit, window_s=window_s)
    return request(session, public_id=entry.public_id, channel=channel, address=checked,
                   locale=locale, client_key=client_key, now=now)


def request(session: Session, *, public_id: str, channel: str, address: str, locale: str,
            client_key: str, now: datetime) -> Subscription:
    """request records a subscription request for PUBLIC_ID (its code is owed at once)."""
    if locale not in reactions.LOCALES:
        raise _bad("locale", f"must be one of {', '.join(reactions.LOCALES)}")
    if channel not in CHANNELS:
        raise _bad("channel", "must be email or webhook")
    event = record(session, NewEvent(
        type="subscription.requested", actor=ACTOR, occurred_at=now,
        payload=SubscriptionRequested(public_id=public_id, channel=channel,
                                      address=address, locale=locale, client_key=client_key)),
        now=now)
    return session.get_one(Subscription, subscription_id_for(event.seq))


def confirm(session: Session, code: str, *, now: datetime) -> Subscription:
    """confirm starts a subscription with the code sent to its address (idempotent)."""
    return activate(session, _by(session, tokens.subscription_for_code(code), "code"), now=now)


def activate(session: Session, found: Subscription, *, now: datetime) -> Subscription:
    """activate starts FOUND, whose code has been given back: refused when it was revoked
    or the code is more than a week old; already active, nothing changes."""
    if found.status == "revoked":
        raise Conflict("the subscription was revoked; subscribe again",
                       code=ErrorCode.SUBSCRIPTION_REVOKED)
    if found.status == "active":
        return found
    if now - found.requested_at > CONFIRM_WITHIN:
        raise Conflict(f"the code is more than {CONFIRM_WITHIN.days} days old; subscribe again",
                       code=ErrorCode.CONFIRMATION_EXPIRED)
    record(session, NewEvent(type="subscription.confirmed", actor=ACTOR, occurred_at=now,
                             payload=SubscriptionStep(subscription_id=found.id)), now=now)
    return found


def revoke(session: Session, token: str, *, now: datetime) -> Subscription:
    """revoke ends a subscription for good; nothing queued for it is sent (idempotent)."""
    found = _by(session, tokens.subscription_for_revoke(token), "token")
    if found.status != "revoked":
        record(session, NewEvent(type="subscription.revoked", actor=ACTOR, occurred_at=now,
                                 payload=SubscriptionStep(subscription_id=found.id)), now=now)
    return found


def _by(session: Session, subscription_id: str | None, field: str) -> Subscription:
    found = session.get(Subscription, subscription_id) if subscription_id else None
    if found is None:
        raise NotFound(f"{field}: no subscription has this {field}", details={"field": field})
    return found


def mask(channel: str, address: str) -> str:
    """mask shows staff where a subscriber's messages go without giving the address away."""
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}"
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.hostname}/•••"


def shown_to_staff(row: Notification) -> NotificationOut:
    """shown_to_staff: a row without its message, a subscriber's address masked."""
    recipient = mask(row.channel, row.recipient) if row.kind == "subscription" \
        else row.recipient
    return NotificationOut.model_validate({
        **{c: getattr(row, c) for c in NotificationOut.model_fields if c != "recipient"},
        "recipient": recipient})


def outbox(session: Session, *, status: str | None = None, kind: str | None = None,
           limit: int = 100, offset: int = 0) -> list[Notification]:
    """outbox: rows newest first, filtered by STATUS and KIND."""
    query = select(Notification).order_by(Notification.seq.desc(), Notification.id)
    if status is not None:
        query = query.where(Notification.status == status)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.limit(limit).offset(offset)))


def counts(session: Session) -> dict[str, int]:
    """counts: rows by status (every status, zeros included)."""
    found: dict[str, int] = {status: n for status, n in session.execute(
        select(Notification.status, func.count()).group_by(Notification.status))}
    return {status: found.get(status, 0) for status in STATUSES}


def retry(session: Session, notification_id: str, *, actor: str, now: datetime
          ) -> Notification:
    """retry puts a dead letter back in the queue, due at once, for a new round of attempts."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"notification {notification_id!r} not found")
    if row.status != "dead":
        raise Conflict(f"notification {notification_id} is {row.status}; only a dead letter is "
                       "retried", code=ErrorCode.INVALID_TRANSITION,
                       details={"status": row.status})
    record(session, NewEvent(type="notification.retried", actor=actor,
                             subject=row.subject if row.kind == "mandatory" else None,
                             payload=NotificationRetried(notification_id=row.id, at=now)),
           now=now)
    return row


def parse_consulates(path: Path) -> ConsulateFile:
    """parse_consulates reads a consulate directory file (TOML), naming any bad key."""
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _bad("file", f"{path}: {exc}") from None
    return parse_or_422(ConsulateFile, data)


def load_consulates(session: Session, directory: ConsulateFile, *, actor: str,
                    allow_private: bool = False) -> list[str]:
    """load_consulates registers each consular post (unchanged ones are left alone)."""
    done = []
    for entry in directory.consulate:
        address = check_address(entry.channel, entry.address, allow_private=allow_private)
        known = session.get(Consulate, (entry.nationality, directory.host_country))
        if known is not None and (known.name, known.channel, known.address, known.locale) == (
                entry.name, entry.channel, address, entry.locale):
            done.append(f"{entry.nationality} in {directory.host_country}: unchanged")
            continue
        record(session, NewEvent(type="consulate.registered", actor=actor, payload=(
            ConsulateRegistered(nationality=entry.nationality,
                                host_country=directory.host_country, name=entry.name,
                                channel=entry.channel, address=address,
                                locale=entry.locale))))
        done.append(f"{entry.nationality} in {directory.host_country}: "
                    + ("updated" if known else "registered"))
    return done


def rebuild_outbox(session: Session) -> int:
    """rebuild_outbox runs the notify reactions over the ledger, in order, for a database
    that already held events when the outbox was added (migration 0010, through
    habeas.migrate); returns the number of events read. The messages the earlier events
    owed are owed still: they are sent, late, and the integrity report says so. Only for
    an empty outbox: once rows have outcomes, replaying the reactions would lose them."""
    if session.scalar(select(func.count()).select_from(Notification)):
        raise Conflict("the outbox is not empty; it is rebuilt only when it is created")
    return events.rerun_reactions(session, reactions.REACTIONS, batch_size=REBUILD_BATCH)
