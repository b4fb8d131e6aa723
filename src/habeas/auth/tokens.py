"""API tokens: issued once (the secret shown once, its SHA-256 kept), revoked, resolved."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.auth.models import ApiToken, Role, User
from habeas.auth.principal import Principal, principal_for
from habeas.auth.projections import TokenIssued, TokenRevoked
from habeas.db import utcnow
from habeas.errors import ErrorCode, NotFound, Unauthenticated, field_error
from habeas.events import NewEvent, record

TOKEN_PREFIX = "hbs_"  # noqa: S105 - a prefix, not a secret


def sha256_hex(text: str) -> str:
    """sha256_hex is how a bearer secret (a token, a session cookie) is kept: its digest."""
    return hashlib.sha256(text.encode()).hexdigest()


def issue_token(
    session: Session, user: User, *, name: str, actor: str, expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """issue_token creates a token for USER; the secret is returned once and never stored."""
    if not 0 < len(name) <= 100:
        raise field_error("name", "must be 1 to 100 characters")
    if expires_at is not None and expires_at <= (now or utcnow()):
        raise field_error("expires_at", "must be in the future")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    payload = TokenIssued(id=str(uuid.uuid4()), user_id=user.id, name=name,
                          secret_sha256=sha256_hex(secret), expires_at=expires_at)
    record(session, NewEvent(type="token.issued", payload=payload, actor=actor,
                             party=user.party_code), now=now)
    token = session.get(ApiToken, payload.id)
    assert token is not None
    return token, secret


def revoke_token(session: Session, owner: Principal, token_id: str) -> None:
    """revoke_token revokes one of OWNER's tokens (an admin may revoke anyone's)."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != owner.user_id and owner.role is not Role.ADMIN):
        raise NotFound(f"token {token_id!r} not found")
    if token.revoked_at is not None:
        return
    record(session, NewEvent(type="token.revoked", payload=TokenRevoked(id=token_id),
                             actor=owner.actor, party=owner.party_code))


def list_tokens(session: Session, user_id: str) -> list[ApiToken]:
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)))


def principal_from_token(session: Session, secret: str, now: datetime | None = None) -> Principal:
    """principal_from_token resolves a bearer token, refusing unknown, expired or revoked ones."""
    token = session.scalar(select(ApiToken).where(ApiToken.secret_sha256 == sha256_hex(secret)))
    if token is None:
        raise Unauthenticated("invalid API token")
    if token.revoked_at is not None:
        raise Unauthenticated("API token was revoked", code=ErrorCode.TOKEN_REVOKED)
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        raise Unauthenticated("API token has expired", code=ErrorCode.TOKEN_EXPIRED)
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        raise Unauthenticated("invalid API token")
    return principal_for(user, "token")
