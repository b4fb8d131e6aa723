"""Auth use cases: users, passwords, API tokens, browser sessions, the read audit."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from habeas.agreements.models import Party
from habeas.auth.models import (
    PARTY_ROLES,
    ApiToken,
    LoginAttempt,
    ReadAudit,
    Role,
    User,
    WebSession,
)
from habeas.auth.projections import (
    PasswordChanged,
    TokenIssued,
    TokenRevoked,
    UserAdded,
    UserUnlocked,
)
from habeas.config import get_settings
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
MAX_PASSWORD_LENGTH = 1024  # a passphrase fits; a megabyte to hash does not
TOKEN_PREFIX = "hbs_"  # noqa: S105 - a prefix, not a secret
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class _Hasher:
    """_Hasher is argon2id with the library's current parameters — or, when the test suite
    sets HABEAS_INSECURE_FAST_PASSWORD_HASHING, with the cheapest ones. Both are chosen at
    the first use, not at import: a CLI run that checks no password computes no hash."""

    @staticmethod
    def _current() -> PasswordHash:
        return _password_hash(get_settings().insecure_fast_password_hashing)

    def hash(self, password: str) -> str:
        return self._current().hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        return self._current().verify(password, hashed)

    def dummy(self) -> str:
        """dummy is a hash of nothing, checked when the user is unknown so a wrong name and
        a wrong password take the same time."""
        return _dummy_hash(get_settings().insecure_fast_password_hashing)


@lru_cache(maxsize=2)
def _password_hash(cheap: bool) -> PasswordHash:
    if cheap:
        return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    return PasswordHash.recommended()


@lru_cache(maxsize=2)
def _dummy_hash(cheap: bool) -> str:
    return _password_hash(cheap).hash(secrets.token_hex(16))


_hasher = _Hasher()


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
    # For a session: when it was last seen (the idle timeout counts from here).
    seen_at: datetime | None = None

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


# Passwords that meet the length rule and are still among the first an attacker tries
# (the most common entries of public breach corpora, 12 characters or more), and the
# words such passwords are built from: "Password2024!" is "password" plus decoration.
COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123123123123", "111111111111",
    "000000000000", "123456123456", "qwertyuiopas", "qwerty123456", "1q2w3e4r5t6y",
    "1qaz2wsx3edc", "q1w2e3r4t5y6", "zaq12wsxcde3", "asdfghjklzxc", "password1234",
    "password123!", "passw0rd1234", "iloveyou1234", "abcdefghijkl", "abc123abc123",
    "letmein12345", "welcome12345", "administrator", "qwertyqwerty", "passwordpassword",
    "trustno1trustno1", "correcthorsebatterystaple",
})
COMMON_WORDS = frozenset({
    "password", "passw0rd", "p@ssword", "p@ssw0rd", "qwerty", "qwertyuiop", "letmein",
    "welcome", "admin", "administrator", "iloveyou", "monkey", "dragon", "sunshine",
    "football", "baseball", "princess", "master", "superman", "starwars", "whatever",
    "trustno", "changeme", "secret", "login", "habeas", "prison", "custody", "transfer",
})
_SEQUENCES = ("0123456789012345678901234567890", "9876543210987654321098765432109",
              "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm")
_DECORATION = string.digits + string.punctuation + string.whitespace


def check_password_policy(password: str, username: str) -> None:
    """check_password_policy refuses short passwords, ones containing the user name, and
    ones an attacker would try first (NIST SP 800-63B §5.1.1.2: check against "passwords
    obtained from previous breach corpora" and "dictionary words")."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise field_error("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise field_error("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if username.lower() in password.lower():
        raise field_error("password", "must not contain the user name")
    folded = password.lower()
    squeezed = "".join(folded.split())
    core = folded.strip(_DECORATION)
    if (folded in COMMON_PASSWORDS or squeezed in COMMON_PASSWORDS or core in COMMON_WORDS
            or len(set(squeezed)) < 4 or any(squeezed in seq for seq in _SEQUENCES)):
        raise field_error("password", "is too common or too easy to guess")


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
        _hasher.verify(password, _hasher.dummy())
        raise Unauthenticated("wrong user name or password", code=ErrorCode.INVALID_CREDENTIALS)
    if not _hasher.verify(password, user.password_hash):
        raise Unauthenticated("wrong user name or password", code=ErrorCode.INVALID_CREDENTIALS)
    return user


def principal_for(user: User, via: str, csrf_token: str | None = None,
                  seen_at: datetime | None = None) -> Principal:
    return Principal(user.id, user.username, user.display_name, user.role, user.party_code,
                     via, csrf_token, seen_at)


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
                                                     password_hash=_hasher.hash(password))))
    session.execute(update(WebSession).where(WebSession.user_id == user.id,
                                             WebSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))


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


# --- Read audit (Mandela Rule 9) ----------------------------------------------------------

def record_read(
    session: Session, who: Principal, *, kind: str, record_id: str, channel: str,
    purpose: str, now: datetime | None = None,
) -> None:
    """record_read appends who read which record, when, through what, and why."""
    session.add(ReadAudit(at=now or utcnow(), user_id=who.user_id, username=who.username,
                          role=who.role.value, record_kind=kind, record_id=record_id,
                          channel=channel, purpose=purpose[:200]))


# --- Login throttling and lockout (ADR 0018) ------------------------------------------------

class Outcome(StrEnum):
    """Outcome of one login attempt, as the attempt log records it."""

    OK = "ok"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 - an outcome, not a secret
    UNKNOWN_USER = "unknown_user"
    INACTIVE = "inactive"
    LOCKED = "locked"
    THROTTLED = "throttled"


# A password was checked (or pretended to be) and refused: these count against the name
# (all but LOCKED, which checks nothing) and against the client address (all of them).
NAME_FAILURES = (Outcome.WRONG_PASSWORD, Outcome.UNKNOWN_USER, Outcome.INACTIVE)
CLIENT_FAILURES = (*NAME_FAILURES, Outcome.LOCKED)
# Under a flood, one THROTTLED row per client per this interval, not one per request.
THROTTLE_NOTE_EVERY = timedelta(minutes=1)
_CLIENT_KEY_CONTEXT = b"habeas login client v1"


@dataclass(frozen=True)
class LoginPolicy:
    """LoginPolicy: consecutive failures that lock a name and for how long (doubling per
    repeat, capped), and failures per client address per window before it is throttled."""

    lock_after: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    lock_max: timedelta = timedelta(hours=24)
    client_limit: int = 20
    client_window: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls) -> LoginPolicy:
        s = get_settings()
        return cls(lock_after=s.login_lock_after, lock_for=timedelta(minutes=s.login_lock_minutes),
                   lock_max=timedelta(minutes=s.login_lock_max_minutes),
                   client_limit=s.login_client_limit,
                   client_window=timedelta(seconds=s.login_client_window_s))

    def lock_length(self, nth: int) -> timedelta:
        """lock_length is how long the NTH lock since the last good login lasts."""
        return min(self.lock_for * (1 << min(nth - 1, 30)), self.lock_max)


@dataclass(frozen=True)
class LoginDecision:
    """LoginDecision is what one login attempt came to, before it is written down."""

    username: str
    client_key: str
    outcome: Outcome
    user_id: str | None = None
    retry_after: int | None = None  # seconds, when THROTTLED

    @property
    def succeeded(self) -> bool:
        return self.outcome is Outcome.OK


def normalise_username(typed: str) -> str:
    """normalise_username is a typed user name as the log keeps it: trimmed, lower case,
    at most 64 characters (user names are lower case: USERNAME)."""
    return typed.strip().lower()[:64]


def client_key(address: str) -> str:
    """client_key is a keyed hash (HMAC-SHA-256 under the server key) of a client address.

    Keyed, not plain SHA-256: an IPv4 address has 2**32 values, so a plain hash is undone
    by trying them all; with the key kept outside the database (HABEAS_DATA_DIR), a copy of
    the log does not say who tried to log in from where (ADR 0018).
    """
    from habeas.notify.tokens import ensure_key  # the one server key (ADR 0016)

    key = ensure_key()[0]
    return hmac.new(key, _CLIENT_KEY_CONTEXT + b"\x00" + address.encode(),
                    hashlib.sha256).hexdigest()


def throttled_for(session: Session, key: str, now: datetime, policy: LoginPolicy) -> int | None:
    """throttled_for is how many seconds CLIENT must wait, or None if it may try now."""
    recent = list(session.scalars(
        select(LoginAttempt.at)
        .where(LoginAttempt.client_key == key, LoginAttempt.at > now - policy.client_window,
               LoginAttempt.outcome.in_([o.value for o in CLIENT_FAILURES]))
        .order_by(LoginAttempt.at.desc()).limit(policy.client_limit)))
    if len(recent) < policy.client_limit:
        return None
    # The oldest of the last LIMIT failures leaves the window first.
    return max(1, math.ceil((recent[-1] + policy.client_window - now).total_seconds()))


def locked_until(session: Session, username: str, now: datetime, policy: LoginPolicy,
                 user: User | None = None) -> datetime | None:
    """locked_until is when the lock on USERNAME ends, or None if it is not locked.

    The failures counted are those since the last good login or an admin's unlock,
    whichever is later. Every LOCK_AFTER of them starts a lock; the nth lasts
    lock_for * 2**(n-1), capped at lock_max. Attempts during a lock check nothing and
    do not count, so a lock cannot be prolonged by knocking on it.
    """
    name = normalise_username(username)
    since = session.scalar(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == name, LoginAttempt.outcome == Outcome.OK.value))
    if user is not None and user.unlocked_at is not None:
        since = max(since, user.unlocked_at) if since is not None else user.unlocked_at
    failures = select(LoginAttempt.at).where(
        LoginAttempt.username == name,
        LoginAttempt.outcome.in_([o.value for o in NAME_FAILURES]))
    if since is not None:
        failures = failures.where(LoginAttempt.at > since)
    count = session.scalar(select(func.count()).select_from(failures.subquery())) or 0
    locks = count // policy.lock_after
    if locks == 0:
        return None
    started = session.scalar(failures.order_by(LoginAttempt.at, LoginAttempt.id)
                             .offset(locks * policy.lock_after - 1).limit(1))
    assert started is not None
    until = started + policy.lock_length(locks)
    return until if until > now else None


def assess_login(session: Session, username: str, password: str, *, client: str,
                 now: datetime | None = None, policy: LoginPolicy | None = None
                 ) -> LoginDecision:
    """assess_login decides one login attempt without writing anything (record_login does).

    A throttled address is refused before any password is hashed. Otherwise exactly one
    argon2 verification runs whatever the case — a real one for an active, unlocked user,
    the dummy hash for an unknown name, a deactivated user or a locked one — so neither
    the answer nor its timing tells which names exist or which are locked.
    """
    now, policy = now or utcnow(), policy or LoginPolicy.from_settings()
    name, key = normalise_username(username), client_key(client)
    wait = throttled_for(session, key, now, policy)
    if wait is not None:
        return LoginDecision(name, key, Outcome.THROTTLED, retry_after=wait)
    user = session.scalar(select(User).where(User.username == name))
    until = locked_until(session, name, now, policy, user)
    if user is None or not user.active or until is not None:
        _hasher.verify(password, _hasher.dummy())
        outcome = (Outcome.LOCKED if until is not None else
                   Outcome.UNKNOWN_USER if user is None else Outcome.INACTIVE)
        return LoginDecision(name, key, outcome, user.id if user else None)
    if not _hasher.verify(password, user.password_hash):
        return LoginDecision(name, key, Outcome.WRONG_PASSWORD, user.id)
    return LoginDecision(name, key, Outcome.OK, user.id)


def record_login(session: Session, decision: LoginDecision, *, lifetime: timedelta,
                 now: datetime | None = None) -> str | None:
    """record_login writes the attempt to the log and, if it succeeded, opens a browser
    session and returns its cookie secret."""
    now = now or utcnow()
    if decision.outcome is Outcome.THROTTLED and session.scalar(
            select(LoginAttempt.id).where(
                LoginAttempt.client_key == decision.client_key,
                LoginAttempt.outcome == Outcome.THROTTLED.value,
                LoginAttempt.at > now - THROTTLE_NOTE_EVERY).limit(1)) is not None:
        return None  # the flood is already on record for this minute
    session.add(LoginAttempt(at=now, username=decision.username,
                             client_key=decision.client_key, succeeded=decision.succeeded,
                             outcome=decision.outcome.value))
    if not decision.succeeded:
        return None
    assert decision.user_id is not None
    return start_session(session, get_user(session, decision.user_id), lifetime=lifetime,
                         now=now)


def unlock_user(session: Session, user: User, *, actor: str) -> None:
    """unlock_user lifts USER's lockout (`user.unlocked`): failed logins before it stop
    counting. Recorded even if no lock is on, as a reset of the failure count."""
    record(session, NewEvent(type="user.unlocked", payload=UserUnlocked(id=user.id),
                             actor=actor, party=user.party_code))


def recent_attempts(session: Session, *, failed_only: bool = True, username: str | None = None,
                    limit: int = 100) -> list[LoginAttempt]:
    """recent_attempts lists the newest login attempts first, for administrators."""
    query = select(LoginAttempt).order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
    if failed_only:
        query = query.where(LoginAttempt.succeeded.is_(False))
    if username:
        query = query.where(LoginAttempt.username == normalise_username(username))
    return list(session.scalars(query.limit(limit)))
