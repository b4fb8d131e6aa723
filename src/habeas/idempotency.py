"""The idempotency key table (ADR 0019): a POST's stored response under its client's key.

A table in a models module, so `habeas.models` sees the whole schema without loading a
middleware; the middleware that writes it is `habeas.api.idempotency` (and a page's
one-time form key, `habeas.api.form_once`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime

MAX_KEY_LENGTH = 200


class IdempotencyKey(Base):
    """IdempotencyKey is a POST's stored response under the key its client sent.

    Operational, not a projection (ADR 0019): it is written with the request's
    events but is not rebuilt by replay, and rows older than the middleware's
    KEY_LIFETIME are deleted.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_created_at", "created_at"),
                      {"info": {"kind": "log"}})

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    # SHA-256 of method, path, query string and body: what "the same request" means.
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
