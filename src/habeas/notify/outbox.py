"""Adding rows to the outbox: one per recipient of an event, with a stable idempotency key.

Used only by the notify projections and reactions, inside the transaction of the event
that owes the message — so a message is owed exactly when its event is recorded, and
replay owes the same ones (ADR 0016).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from habeas.events import EventFacts, stage
from habeas.notify.models import Notification

# Mandela Rule 69 ("at once"), VCCR art. 36(1)(b) ("without delay"): a mandatory
# notification not delivered within this long is a breach the integrity report counts.
DELIVER_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class Draft:
    """Draft is one message an event owes: to whom, by which channel, saying which facts."""

    kind: str  # mandatory | subscription
    reason: str  # admission | transfer | illness | death | confirm | status
    audience: str  # family | consulate | counsel | subscriber
    channel: str  # email | webhook
    recipient: str
    locale: str
    subject: str
    params: dict[str, Any] = field(default_factory=dict)
    recipient_name: str | None = None
    subscription_id: str | None = None


def recipient_hash(subject: str, channel: str, recipient: str) -> str:
    """recipient_hash names a recipient of news about SUBJECT without spelling either out."""
    text = f"{subject}|{channel}:{recipient.strip().lower()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def idempotency_key(seq: int, subject: str, channel: str, recipient: str) -> str:
    """idempotency_key is "<event seq>:<recipient hash>": the same on every retry, so a
    receiver can drop a message it already has (delivery is at least once). One event
    can concern several people (a flight): the hash covers the person too, so a mother
    of two brothers on one flight hears about each."""
    return f"{seq}:{recipient_hash(subject, channel, recipient)}"


def add(session: Session, event: EventFacts, drafts: Iterable[Draft]) -> list[Notification]:
    """add puts DRAFTS in the outbox as rows owed by EVENT; a second draft to the same
    recipient about the same person for the same event is dropped (the first, mandatory
    ones come first, wins)."""
    added: list[Notification] = []
    seen: set[str] = set()
    for draft in drafts:
        key = idempotency_key(event.seq, draft.subject, draft.channel, draft.recipient)
        if key in seen:
            continue
        seen.add(key)
        row = Notification(
            id=f"N{event.seq}.{len(added) + 1}", seq=event.seq, kind=draft.kind,
            reason=draft.reason, audience=draft.audience, channel=draft.channel,
            recipient=draft.recipient.strip(), recipient_name=draft.recipient_name,
            locale=draft.locale, subject=draft.subject,
            subscription_id=draft.subscription_id, params=draft.params,
            idempotency_key=key, created_at=event.recorded_at,
            due_at=event.recorded_at + DELIVER_WITHIN, status="pending", attempts=0,
            next_attempt_at=event.recorded_at, last_attempt_at=None, last_error=None,
            delivered_at=None, outcome_seq=None)
        stage(session, row, row.id)
        added.append(row)
    return added
