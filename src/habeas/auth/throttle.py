"""Login throttling and lockout (ADR 0018): each attempt decided without revealing which names
exist or are locked, then written to the attempt log; a client address throttled, a name
locked for doubling spells, an admin's unlock."""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.auth.models import LoginAttempt, User
from habeas.auth.passwords import hasher
from habeas.auth.projections import UserUnlocked
from habeas.auth.sessions import start_session
from habeas.config import get_settings
from habeas.db import utcnow
from habeas.events import NewEvent, record


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
        hasher.verify(password, hasher.dummy())
        outcome = (Outcome.LOCKED if until is not None else
                   Outcome.UNKNOWN_USER if user is None else Outcome.INACTIVE)
        return LoginDecision(name, key, outcome, user.id if user else None)
    if not hasher.verify(password, user.password_hash):
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
    return start_session(session, session.get_one(User, decision.user_id), lifetime=lifetime,
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
