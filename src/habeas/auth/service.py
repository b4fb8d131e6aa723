"""Auth use cases for users: added, authenticated, looked up, their passwords changed.

Hashing and the password policy are in passwords, the principal in principal, API tokens in
tokens, browser sessions in sessions, the read audit in audit, login throttling in throttle.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from habeas.agreements.models import Party
from habeas.auth.models import PARTY_ROLES, Role, User, WebSession
from habeas.auth.passwords import check_password_policy, hasher
from habeas.auth.projections import PasswordChanged, UserAdded
from habeas.auth.throttle import normalise_username
from habeas.db import utcnow
from habeas.errors import Conflict, ErrorCode, NotFound, Unauthenticated, field_error
from habeas.events import NewEvent, record

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


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
        role=role, party_code=party_code, password_hash=hasher.hash(password),
    )
    record(session, NewEvent(type="user.added", payload=payload, actor=actor, party=party_code))
    user = session.get(User, payload.id)
    assert user is not None
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """authenticate returns the active user with these credentials or raises."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        hasher.verify(password, hasher.dummy())
        raise Unauthenticated("wrong user name or password", code=ErrorCode.INVALID_CREDENTIALS)
    if not hasher.verify(password, user.password_hash):
        raise Unauthenticated("wrong user name or password", code=ErrorCode.INVALID_CREDENTIALS)
    return user


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id!r} not found")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def user_named(session: Session, username: str) -> User:
    """user_named is the user with this login name, or NotFound."""
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(f"username: no user named {username!r}")
    return user


def change_password(session: Session, user: User, password: str, *, actor: str) -> None:
    """change_password sets a new password (the policy applies) and ends the user's open
    browser sessions, so whoever knew the old one is logged out."""
    check_password_policy(password, user.username)
    record(session, NewEvent(type="user.password_changed", actor=actor, party=user.party_code,
                             payload=PasswordChanged(id=user.id,
                                                     password_hash=hasher.hash(password))))
    session.execute(update(WebSession).where(WebSession.user_id == user.id,
                                             WebSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))
