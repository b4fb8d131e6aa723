"""How notification events change state: subscriptions, deliveries, the consulate directory.
The only writer of the subscription and consulate tables and of an outbox row's status."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.events import EventFacts, projector, stage, staged
from habeas.locator.models import LocatorEntry
from habeas.notify import outbox
from habeas.notify.models import Consulate, Notification, Subscription

Channel = Literal["email", "webhook"]


class SubscriptionRequested(BaseModel):
    public_id: str
    channel: Channel
    address: str
    locale: str
    client_key: str


class SubscriptionStep(BaseModel):
    subscription_id: str


class NotificationDelivered(BaseModel):
    """NotificationDelivered: the receiver accepted the message (SMTP 250, HTTP 2xx)."""

    notification_id: str
    attempt: int
    at: datetime


class NotificationFailed(BaseModel):
    """NotificationFailed: one attempt failed; the next is due at NEXT_ATTEMPT_AT.
    ERROR is a short reason (a status code, a timeout) — never the message or a reply body."""

    notification_id: str
    attempt: int
    at: datetime
    error: str
    next_attempt_at: datetime


class NotificationDead(BaseModel):
    """NotificationDead: the last allowed attempt failed; the row waits for a person."""

    notification_id: str
    attempt: int
    at: datetime
    error: str


class NotificationRetried(BaseModel):
    """NotificationRetried: staff put a dead letter back in the queue, due at once."""

    notification_id: str
    at: datetime


class ConsulateRegistered(BaseModel):
    nationality: str
    host_country: str
    name: str
    channel: Channel
    address: str
    locale: str


def subscription_id_for(seq: int) -> str:
    """subscription_id_for: a subscription is named after the event that requested it."""
    return f"S{seq}"


@projector("subscription.requested", SubscriptionRequested)
def apply_requested(session: Session, p: SubscriptionRequested, event: EventFacts) -> None:
    subscription_id = subscription_id_for(event.seq)
    stage(session, Subscription(
        id=subscription_id, public_id=p.public_id, channel=p.channel, address=p.address,
        locale=p.locale, client_key=p.client_key, status="pending",
        requested_at=event.recorded_at, confirmed_at=None, confirmed_seq=None,
        revoked_at=None, revoked_seq=None), subscription_id)
    entry = staged(session, LocatorEntry, p.public_id)
    # The first message of a subscription is its confirmation code (sent to the address,
    # so only whoever reads it can start the updates). It names the person, as the
    # locator did, and nothing else.
    name = f"{entry.given_names} {entry.family_name}" if entry is not None else ""
    outbox.add(session, event, [outbox.Draft(
        kind="subscription", reason="confirm", audience="subscriber", channel=p.channel,
        recipient=p.address, locale=p.locale, subject=p.public_id,
        params={"name": name}, subscription_id=subscription_id)])


def _subscription(session: Session, subscription_id: str) -> Subscription:
    found = staged(session, Subscription, subscription_id)
    assert found is not None, f"subscription {subscription_id} is requested first"
    return found


@projector("subscription.confirmed", SubscriptionStep)
def apply_confirmed(session: Session, p: SubscriptionStep, event: EventFacts) -> None:
    found = _subscription(session, p.subscription_id)
    found.status, found.confirmed_at, found.confirmed_seq = "active", event.recorded_at, \
        event.seq


@projector("subscription.revoked", SubscriptionStep)
def apply_revoked(session: Session, p: SubscriptionStep, event: EventFacts) -> None:
    found = _subscription(session, p.subscription_id)
    found.status, found.revoked_at, found.revoked_seq = "revoked", event.recorded_at, event.seq
    # A revoked subscriber gets nothing more, not even what was already queued.
    for row in session.scalars(select(Notification).where(
            Notification.subscription_id == p.subscription_id,
            Notification.status == "pending")):
        row.status, row.next_attempt_at, row.outcome_seq = "cancelled", None, event.seq


def _row(session: Session, notification_id: str) -> Notification:
    row = staged(session, Notification, notification_id)
    assert row is not None, f"notification {notification_id} is owed first"
    return row


@projector("notification.delivered", NotificationDelivered)
def apply_delivered(session: Session, p: NotificationDelivered, event: EventFacts) -> None:
    row = _row(session, p.notification_id)
    row.status, row.attempts, row.delivered_at = "delivered", p.attempt, p.at
    row.last_attempt_at, row.next_attempt_at, row.outcome_seq = p.at, None, event.seq


@projector("notification.failed", NotificationFailed)
def apply_failed(session: Session, p: NotificationFailed, event: EventFacts) -> None:
    row = _row(session, p.notification_id)
    row.attempts, row.last_attempt_at, row.last_error = p.attempt, p.at, p.error
    row.next_attempt_at, row.outcome_seq = p.next_attempt_at, event.seq


@projector("notification.dead", NotificationDead)
def apply_dead(session: Session, p: NotificationDead, event: EventFacts) -> None:
    row = _row(session, p.notification_id)
    row.status, row.attempts, row.last_attempt_at, row.last_error = "dead", p.attempt, p.at, \
        p.error
    row.next_attempt_at, row.outcome_seq = None, event.seq


@projector("notification.retried", NotificationRetried)
def apply_retried(session: Session, p: NotificationRetried, event: EventFacts) -> None:
    row = _row(session, p.notification_id)
    # A fresh round of attempts; the failures before stay on the ledger.
    row.status, row.attempts, row.next_attempt_at, row.outcome_seq = "pending", 0, p.at, \
        event.seq


@projector("consulate.registered", ConsulateRegistered)
def apply_consulate(session: Session, p: ConsulateRegistered, event: EventFacts) -> None:
    key = (p.nationality, p.host_country)
    found = staged(session, Consulate, key)
    if found is None:
        stage(session, Consulate(nationality=p.nationality, host_country=p.host_country,
                                 name=p.name, channel=p.channel, address=p.address,
                                 locale=p.locale, seq=event.seq), key)
        return
    found.name, found.channel, found.address, found.locale, found.seq = \
        p.name, p.channel, p.address, p.locale, event.seq
