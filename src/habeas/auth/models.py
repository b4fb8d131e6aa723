"""Auth tables. Users and tokens are projections of events; sessions and the read audit are logs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime


class Role(StrEnum):
    """Role is what a user may do (DESIGN.md §2); a user has exactly one."""

    ADMIN = "admin"
    SENDING = "sending"
    RECEIVING = "receiving"
    COUNSEL = "counsel"
    MONITOR = "monitor"


# Roles that act for a state and so must be bound to a party.
PARTY_ROLES = frozenset({Role.SENDING, Role.RECEIVING})

# Portable enum: VARCHAR + CHECK on both engines, storing the value ("sending").
RoleColumn = Enum(Role, native_enum=False, length=16, validate_strings=True, name="role",
                  values_callable=lambda e: [m.value for m in e])


class User(Base):
    """User is a person who logs in, with one role and, for state roles, a party."""

    __tablename__ = "user_account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(RoleColumn)
    party_code: Mapped[str | None] = mapped_column(ForeignKey("party.code"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When an admin last lifted a lockout (`user.unlocked`): failed logins before it no
    # longer count (ADR 0018).
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """ApiToken is a bearer token; only the SHA-256 of its secret is kept."""

    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """WebSession is a browser login; the cookie holds a secret whose SHA-256 is the key."""

    __tablename__ = "web_session"
    __table_args__ = {"info": {"kind": "log"}}

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Last request seen, for the idle timeout (None: none since it was opened).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReadAudit(Base):
    """ReadAudit records one read of a protected record: who, when, what (Mandela Rule 9).

    Append-only: database triggers refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "read_audit"
    __table_args__ = {"info": {"kind": "log"}}

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[str] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    record_kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(200))


class LoginAttempt(Base):
    """LoginAttempt records one password check at /login: when, for which user name (as
    typed, normalised), from which client (a keyed hash of its address), and the outcome.
    The throttle and the lockout are computed from these rows (ADR 0018).

    Append-only: database triggers refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username", "username", "at"),
                      Index("ix_login_attempt_client", "client_key", "at"),
                      {"info": {"kind": "log"}})

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    username: Mapped[str] = mapped_column(String(64))
    client_key: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    # ok | wrong_password | unknown_user | locked | throttled
    outcome: Mapped[str] = mapped_column(String(16))
