"""Browser sessions: operational records, not ledger events (ADR 0006) — opened at login,
resolved from the cookie (lifetime and idle timeout), touched, ended."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from habeas.auth.models import User, WebSession
from habeas.auth.principal import Principal, principal_for
from habeas.auth.tokens import sha256_hex
from habeas.config import get_settings
from habeas.db import utcnow


def start_session(
    session: Session, user: User, *, lifetime: timedelta, now: datetime | None = None
) -> str:
    """start_session opens a browser session for USER and returns the cookie secret."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    session.add(WebSession(id_sha256=sha256_hex(secret), user_id=user.id,
                           csrf_token=secrets.token_urlsafe(32), created_at=now,
                           expires_at=now + lifetime, ended_at=None))
    return secret


def principal_from_session(
    session: Session, secret: str, now: datetime | None = None, *,
    idle: timedelta | None = None,
) -> Principal | None:
    """principal_from_session resolves a session cookie, or None if it is not live: ended,
    past its lifetime, or idle for IDLE (default HABEAS_SESSION_IDLE_MINUTES)."""
    now = now or utcnow()
    idle = idle if idle is not None else timedelta(minutes=get_settings().session_idle_minutes)
    web = session.get(WebSession, sha256_hex(secret))
    if web is None or web.ended_at is not None or web.expires_at <= now:
        return None
    seen = web.last_seen_at or web.created_at
    if now - seen >= idle:
        return None
    user = session.get(User, web.user_id)
    if user is None or not user.active:
        return None
    return principal_for(user, "session", web.csrf_token, seen)


def touch_session(session: Session, secret: str, now: datetime | None = None) -> None:
    """touch_session marks a browser session as used now, restarting its idle timeout."""
    session.execute(update(WebSession).where(WebSession.id_sha256 == sha256_hex(secret),
                                             WebSession.ended_at.is_(None))
                    .values(last_seen_at=now or utcnow()))


def end_session(session: Session, secret: str, now: datetime | None = None) -> None:
    """end_session logs a browser session out."""
    web = session.get(WebSession, sha256_hex(secret))
    if web is not None and web.ended_at is None:
        web.ended_at = now or utcnow()
