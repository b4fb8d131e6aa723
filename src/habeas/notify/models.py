"""The notification tables: the outbox, public subscriptions and the consulate directory.

All three are projections (ADR 0016): written only by habeas.notify.projections and
habeas.notify.reactions, rebuilt exactly by replay. An outbox row is created in the
transaction of the event that causes it; its status changes only through the
`notification.*` events the worker records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from habeas.db import Base, UTCDateTime


class Notification(Base):
    """Notification is one message to one recipient, owed because of one event.

    kind: mandatory (Mandela Rules 68–69, VCCR arts. 36–37, counsel of record) or
    subscription (a confirmation code, or a status change a subscriber asked for).
    status: pending → delivered, or pending → … → dead after too many failures;
    staff may put a dead letter back to pending (notification.retried).
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # "N<seq>.<n>"
    seq: Mapped[int] = mapped_column(BigInteger, index=True)  # the causing event
    kind: Mapped[str] = mapped_column(String(16))  # mandatory | subscription
    # admission | transfer | illness | death | confirm | status
    reason: Mapped[str] = mapped_column(String(16))
    # family | consulate | counsel | subscriber
    audience: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    recipient: Mapped[str] = mapped_column(String(500))
    recipient_name: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(16), index=True)  # the person's public id
    subscription_id: Mapped[str | None] = mapped_column(ForeignKey("subscription.id"))
    # What the message says, as facts; rendered in the recipient's language when sent.
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # mandatory: 24 hours after
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_seq: Mapped[int | None] = mapped_column(BigInteger)
    # Declared so a flush writes a subscription before its first message (one flush a batch).
    subscription: Mapped[Subscription | None] = relationship(lazy="raise")


class Subscription(Base):
    """Subscription is one request to hear of a person's status changes (VINE-style).

    pending until the code sent to the address is given back, then active until revoked.
    The address is kept to deliver to; it is never shown back publicly, and staff see it
    masked.
    """

    __tablename__ = "subscription"
    __table_args__ = (Index("ix_subscription_person", "public_id", "status"),
                      Index("ix_subscription_client", "client_key", "requested_at"))

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # "S<seq>"
    public_id: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    address: Mapped[str] = mapped_column(String(500))
    locale: Mapped[str] = mapped_column(String(2))
    # A keyed hash of the requesting address (habeas.notify.tokens.client_key): the rate
    # limit counts it; it cannot be turned back into the address without the server key.
    client_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # pending | active | revoked
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_seq: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_seq: Mapped[int | None] = mapped_column(BigInteger)


class Consulate(Base):
    """Consulate is where a state's consular post in a host country takes notifications
    about its nationals (VCCR art. 36(1)(b) on admission, art. 37(a) on death)."""

    __tablename__ = "consulate"

    nationality: Mapped[str] = mapped_column(String(3), primary_key=True)
    host_country: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    address: Mapped[str] = mapped_column(String(500))
    locale: Mapped[str] = mapped_column(String(2))
    seq: Mapped[int] = mapped_column(BigInteger)
