"""Notification formats: the consulate directory file and the API's bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from habeas.codes import CountryCode

Channel = Literal["email", "webhook"]
Locale = Literal["en", "es"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsulateIn(Strict):
    """ConsulateIn is one consular post in the directory file."""

    nationality: CountryCode
    name: Annotated[str, Field(min_length=1, max_length=300)]
    channel: Channel = "email"
    address: Annotated[str, Field(min_length=3, max_length=500)]
    locale: Locale = "en"


class ConsulateFile(Strict):
    """ConsulateFile: the consular posts in one host country (habeas notify consulates FILE).

    ```toml
    host_country = "SLV"
    [[consulate]]
    nationality = "VEN"
    name = "Consulate of Venezuela in San Salvador"
    address = "consul@example.org"
    locale = "es"
    ```
    """

    host_country: CountryCode
    consulate: list[ConsulateIn] = []


class SubscribeIn(Strict):
    token: Annotated[str, Field(min_length=1, max_length=200,
                                description="the subscribe_token of a locator result")]
    channel: Channel = "email"
    address: Annotated[str, Field(min_length=3, max_length=500,
                                  description="an email address, or an https:// URL")]
    locale: Locale = "en"


class SubscribeOut(BaseModel):
    subscription_id: str
    status: str
    revoke_token: str
    webhook_secret: str | None = Field(
        default=None, description="webhook only, shown once: verify X-Habeas-Signature")
    message: str


class CodeIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=100)]


class RevokeIn(Strict):
    token: Annotated[str, Field(min_length=1, max_length=100)]


class SubscriptionOut(BaseModel):
    subscription_id: str
    status: str


class NotificationOut(BaseModel):
    """NotificationOut: one outbox row as staff see it — never the message, and a
    subscriber's address masked."""

    id: str
    seq: int
    kind: str
    reason: str
    audience: str
    channel: str
    recipient: str
    subject: str
    locale: str
    idempotency_key: str
    status: str
    attempts: int
    created_at: datetime
    due_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None


class NotificationsOut(BaseModel):
    counts: dict[str, int]
    items: list[NotificationOut]
