"""The delivery worker: claims what is due, sends it, records what happened.

At least once: a message is sent, then its outcome is recorded as an event
(`notification.delivered`, `.failed`, `.dead`); a crash between the two sends it again
on the next run, with the same idempotency key, so receivers can drop the copy.
Sending happens outside any transaction — a receiver that hangs holds no lock —
and the outcome is recorded only if the row is still as it was read, so two workers
never record one attempt twice.

Failures back off exponentially: 60 s after the first, doubling, and after the
sixth the row is dead — kept, visible on /notifications, until staff retry it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from habeas.config import Settings
from habeas.db import read_session, unit_of_work, utcnow
from habeas.events import NewEvent, record
from habeas.notify import channels, tokens
from habeas.notify.models import Notification
from habeas.notify.projections import (
    NotificationDead,
    NotificationDelivered,
    NotificationFailed,
)
from habeas.notify.templates import Message, render

log = logging.getLogger("habeas.notify")

ACTOR = "system:notify"
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=60)
BACKOFF_FACTOR = 2
BATCH = 50

Clock = Callable[[], datetime]


def next_attempt(attempt: int, failed_at: datetime) -> datetime | None:
    """next_attempt is when to try again after attempt number ATTEMPT (1-based) failed at
    FAILED_AT — 60 s, 120 s, 240 s, … — or None when that was the last allowed (dead)."""
    if attempt >= MAX_ATTEMPTS:
        return None
    factor: int = BACKOFF_FACTOR ** (attempt - 1)
    return failed_at + BACKOFF_BASE * factor


@dataclass(frozen=True)
class Delivery:
    """Delivery is how messages leave: the SMTP server, the webhook settings, the site's
    address for links."""

    smtp: channels.Smtp
    webhooks: channels.Webhooks
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Delivery:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password \
            else None
        return cls(
            smtp=channels.Smtp(host=settings.smtp_host, port=settings.smtp_port,
                               sender=settings.mail_from, starttls=settings.smtp_starttls,
                               username=settings.smtp_username, password=password),
            webhooks=channels.Webhooks(timeout_s=settings.webhook_timeout_s,
                                       allow_private=settings.webhook_allow_private),
            base_url=base_url(settings))

    def send(self, row: Notification, message: Message, now: datetime) -> None:
        """send delivers one message or raises channels.DeliveryError."""
        if row.channel == "email":
            channels.send_email(self.smtp, row, message)
            return
        channels.post_webhook(
            self.webhooks, row.recipient, channels.webhook_body(row, message, self.base_url),
            secret=tokens.webhook_secret(row.subscription_id, row.recipient),
            key=row.idempotency_key, timestamp=int(now.timestamp()))


def base_url(settings: Settings) -> str:
    """base_url is the site's address for links in messages."""
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


@dataclass
class Run:
    """Run is what one pass did."""

    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.failed) + len(self.dead)

    def as_dict(self) -> dict[str, list[str]]:
        return {"delivered": self.delivered, "failed": self.failed, "dead": self.dead,
                "skipped": self.skipped}


def due(session: Session, now: datetime, limit: int = BATCH) -> list[str]:
    """due: pending rows whose next attempt has come, oldest first."""
    return list(session.scalars(
        select(Notification.id).where(Notification.status == "pending",
                                      Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.seq, Notification.id)
        .limit(limit)))


def record_outcome(session: Session, notification_id: str, *, attempts_before: int,
                   at: datetime, error: str | None) -> str | None:
    """record_outcome records one attempt's outcome if the row is still pending with
    ATTEMPTS_BEFORE attempts (else another worker got there first: None)."""
    row = session.get(Notification, notification_id)
    if row is None or row.status != "pending" or row.attempts != attempts_before:
        return None
    attempt = attempts_before + 1
    subject = row.subject if row.kind == "mandatory" else None  # subscribers stay private
    if error is None:
        record(session, NewEvent(type="notification.delivered", actor=ACTOR, subject=subject,
                                 payload=NotificationDelivered(
                                     notification_id=row.id, attempt=attempt, at=at)), now=at)
        return "delivered"
    later = next_attempt(attempt, at)
    if later is None:
        record(session, NewEvent(type="notification.dead", actor=ACTOR, subject=subject,
                                 payload=NotificationDead(notification_id=row.id,
                                                          attempt=attempt, at=at,
                                                          error=error)), now=at)
        return "dead"
    record(session, NewEvent(type="notification.failed", actor=ACTOR, subject=subject,
                             payload=NotificationFailed(notification_id=row.id, attempt=attempt,
                                                        at=at, error=error,
                                                        next_attempt_at=later)), now=at)
    return "failed"


def run_once(engine: Engine, delivery: Delivery, *, clock: Clock = utcnow,
             limit: int = BATCH) -> Run:
    """run_once sends every message due now (up to LIMIT) and records each outcome."""
    result = Run()
    with read_session(engine) as session:
        ids = due(session, clock(), limit)
    for notification_id in ids:
        with read_session(engine) as session:
            row = session.get(Notification, notification_id)
            if row is None or row.status != "pending":
                result.skipped.append(notification_id)
                continue
            attempts = row.attempts
            message = render(row, base_url=delivery.base_url)
        error: str | None = None
        try:
            delivery.send(row, message, clock())
        except channels.DeliveryError as exc:
            error = str(exc)[:channels.ERROR_CHARS] or "failed"
        with unit_of_work(engine) as session:
            outcome = record_outcome(session, notification_id, attempts_before=attempts,
                                     at=clock(), error=error)
        {"delivered": result.delivered, "failed": result.failed, "dead": result.dead}.get(
            outcome or "", result.skipped).append(notification_id)
        if error is not None:
            log.warning("notification %s: %s", notification_id, error)
    return result


def run_forever(engine: Engine, delivery: Delivery, *, stop: threading.Event,
                poll_s: float, clock: Clock = utcnow) -> None:
    """run_forever passes over the outbox until STOP is set, resting POLL_S when idle."""
    while not stop.is_set():
        try:
            busy = run_once(engine, delivery, clock=clock).attempted > 0
        except Exception:  # the worker outlives a bad pass; the next one tries again
            log.exception("notification worker pass failed")
            busy = False
        if not busy:
            stop.wait(poll_s)


def start(engine: Engine, delivery: Delivery, *, poll_s: float) -> Callable[[], None]:
    """start runs the worker in a daemon thread; the function returned stops it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, name="habeas-notify", daemon=True,
                              args=(engine, delivery), kwargs={"stop": stop, "poll_s": poll_s})
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=30)

    return halt
