"""Auth use cases: users, passwords, API tokens, browser sessions, the read audit."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.agreements.models import Party
from habeas.auth.models import PARTY_ROLES, ApiToken, ReadAudit, Role, User, WebSession
from habeas.auth.projections import TokenIssued, TokenRevoked, UserAdded
from habeas.db import utcnow
from habeas.errors import (
    Conflict,
    ErrorCode,
    NotFound,
    Unauthenticated,
    field_error,
)
from habeas.events import NewEvent, record

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "hbs_"  # noqa: S105 - a prefix, not a secret
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHash.recommended()  # argon2id with the library's current parameters
# A hash of nothing, checked when the user is unknown so a wrong name and a
# wrong password take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Principal:
    """Principal is who is asking: the user, role and party, and how they proved it."""

    user_id: str
    username: str
    display_name: str
    role: Role
    party_code: str | None
    via: str  # "session" or "token"
    csrf_token: str | None = None

    @property
    def scope(self) -> str | None:
        """scope is the party whose people alone this principal may see: a sending user's
        own state (DESIGN.md §2); None for roles that see every party's."""
        return self.party_code if self.role is Role.SENDING else None

    @property
    def actor(self) -> str:
        """actor is how this principal is named in an event envelope."""
        return f"user:{self.username}"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_password_policy(password: str, username: str) -> None:
    """check_password_policy refuses short passwords and ones containing the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise field_error("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if username.lower() in password.lower():
        raise field_error("password", "must not contain the user name")


def add_user(
    session: Session, *, username: str, display_name: str, role: Role, party_code: str | None,
    password: str, actor: str, user_id: str | None = None,
) -> User:
    """add_user creates a user; state roles must name a party, other roles must not."""
    if not USERNAME.match(username):
        raise field_error("username", "use 2-64 lower-case letters, digits, '.', '_' or '-'")
    if not display_name.strip():
        raise field_error("display_name", "must not be empty")
    if role in PARTY_ROLES and party_code is None:
        raise field_error("party", f"role {role.value} acts for a state: give --party CODE")
    if role not in PARTY_ROLES and party_code is not None:
        raise field_error("party", f"role {role.value} is not bound to a party")
    if party_code is not None and session.get(Party, party_code) is None:
        raise field_error("party", f"{party_code!r} is not a party to any agreement")
    check_password_policy(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username: a user named {username!r} exists",
                       code=ErrorCode.DUPLICATE_USER, details={"field": "username"})
    payload = UserAdded(
        id=user_id or str(uuid.uuid4()), username=username, display_name=display_name.strip(),
        role=role, party_code=party_code, password_hash=_hasher.hash(password),
    )
    record(session, NewEvent(type="user.added", payload=payload, actor=actor, party=party_code))
    user = session.get(User, payload.id)
    assert user is not None
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """authenticate returns the active user with these credentials or raises."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _hasher.verify(password, _DUMMY_HASH)
        raise Unauthenticated("wrong user name or password", code=ErrorCode.INVALID_CREDENTIALS)
    if not _hasher.verify(password, user.password_hash):
        raise Unauthenticated("wrong user name or password", code=ErrorCode.INVALID_CREDENTIALS)
    return user


def principal_for(user: User, via: str, csrf_token: str | None = None) -> Principal:
    return Principal(user.id, user.username, user.display_name, user.role, user.party_code,
                     via, csrf_token)


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id!r} not found")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


# --- API tokens -----------------------------------------------------------------------------

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


# --- Browser sessions (operational records, not ledger events: ADR 0006) ---------------------

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
    session: Session, secret: str, now: datetime | None = None
) -> Principal | None:
    """principal_from_session resolves a session cookie, or None if it is not live."""
    web = session.get(WebSession, sha256_hex(secret))
    if web is None or web.ended_at is not None or web.expires_at <= (now or utcnow()):
        return None
    user = session.get(User, web.user_id)
    if user is None or not user.active:
        return None
    return principal_for(user, "session", web.csrf_token)


def end_session(session: Session, secret: str, now: datetime | None = None) -> None:
    """end_session logs a browser session out."""
    web = session.get(WebSession, sha256_hex(secret))
    if web is not None and web.ended_at is None:
        web.ended_at = now or utcnow()


# --- Read audit (Mandela Rule 9) ----------------------------------------------------------

def record_read(
    session: Session, who: Principal, *, kind: str, record_id: str, channel: str,
    purpose: str, now: datetime | None = None,
) -> None:
    """record_read appends who read which record, when, through what, and why."""
    session.add(ReadAudit(at=now or utcnow(), user_id=who.user_id, username=who.username,
                          role=who.role.value, record_kind=kind, record_id=record_id,
                          channel=channel, purpose=purpose[:200]))
