"""How user and token events change the auth tables. The only writer of those tables."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.auth.models import ApiToken, Role, User
from habeas.events import EventFacts, projector, stage, staged


class UserAdded(BaseModel):
    id: str
    username: str
    display_name: str
    role: Role
    party_code: str | None
    password_hash: str


class UserDeactivated(BaseModel):
    id: str


class PasswordChanged(BaseModel):
    id: str
    password_hash: str


class UserUnlocked(BaseModel):
    id: str


class TokenIssued(BaseModel):
    id: str
    user_id: str
    name: str
    secret_sha256: str
    expires_at: datetime | None


class TokenRevoked(BaseModel):
    id: str


@projector("user.added", UserAdded)
def apply_user_added(session: Session, p: UserAdded, event: EventFacts) -> None:
    stage(session, User(
        id=p.id, username=p.username, display_name=p.display_name, role=p.role,
        party_code=p.party_code, password_hash=p.password_hash, active=True,
        created_at=event.recorded_at,
    ), p.id)


@projector("user.deactivated", UserDeactivated)
def apply_user_deactivated(session: Session, p: UserDeactivated, event: EventFacts) -> None:
    user = staged(session, User, p.id)
    assert user is not None, "service checked the user exists"
    user.active = False


@projector("user.password_changed", PasswordChanged)
def apply_password_changed(session: Session, p: PasswordChanged, event: EventFacts) -> None:
    user = staged(session, User, p.id)
    assert user is not None, "service checked the user exists"
    user.password_hash = p.password_hash


@projector("user.unlocked", UserUnlocked)
def apply_user_unlocked(session: Session, p: UserUnlocked, event: EventFacts) -> None:
    """An admin lifted a lockout: failed logins before this moment stop counting (ADR 0018)."""
    user = staged(session, User, p.id)
    assert user is not None, "service checked the user exists"
    user.unlocked_at = event.recorded_at


@projector("token.issued", TokenIssued)
def apply_token_issued(session: Session, p: TokenIssued, event: EventFacts) -> None:
    stage(session, ApiToken(
        id=p.id, user_id=p.user_id, name=p.name, secret_sha256=p.secret_sha256,
        created_at=event.recorded_at, expires_at=p.expires_at, revoked_at=None,
    ), p.id)


@projector("token.revoked", TokenRevoked)
def apply_token_revoked(session: Session, p: TokenRevoked, event: EventFacts) -> None:
    token = staged(session, ApiToken, p.id)
    assert token is not None, "service checked the token exists"
    token.revoked_at = event.recorded_at
