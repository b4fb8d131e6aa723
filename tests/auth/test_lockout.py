"""Login throttling and lockout (ADR 0018), the attempt log, admin unlock, the password policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DatabaseError

from habeas.auth import passwords, service, sessions, throttle, tokens
from habeas.auth.models import LoginAttempt, Role, User, WebSession
from habeas.auth.throttle import LoginDecision, LoginPolicy, Outcome
from habeas.db import read_session, unit_of_work
from habeas.errors import ValidationFailed
from habeas.ledger.models import Event
from tests.factories import PASSWORD, a_user, with_agreement
from tests.test_cli import habeas

POLICY = LoginPolicy()  # the defaults the ADR states: 5 → 15 min (doubling), 20 per 10 min
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOME = "198.51.100.7"
WRONG = "not the password at all"


@pytest.fixture
def admin(engine: Engine) -> User:
    with_agreement(engine)
    return a_user(engine, "admin", Role.ADMIN)


def attempt(engine: Engine, username: str, password: str, at: datetime,
            client: str = HOME) -> LoginDecision:
    """attempt is one POST /login as the page makes it: decide, then write it down."""
    with read_session(engine) as s:
        decision = throttle.assess_login(s, username, password, client=client, now=at,
                                        policy=POLICY)
    with unit_of_work(engine) as s:
        throttle.record_login(s, decision, lifetime=timedelta(hours=8), now=at)
    return decision


def fail(engine: Engine, times: int, start: datetime, username: str = "admin",
         client: str = HOME) -> datetime:
    at = start
    for _ in range(times):
        attempt(engine, username, WRONG, at, client)
        at += timedelta(seconds=1)
    return at


def outcomes(engine: Engine) -> list[str]:
    with read_session(engine) as s:
        return list(s.scalars(select(LoginAttempt.outcome).order_by(LoginAttempt.id)))


class TestLockout:
    def test_five_failures_lock_the_name_for_fifteen_minutes(self, engine: Engine,
                                                             admin: User) -> None:
        at = fail(engine, 4, T0)
        assert attempt(engine, "admin", PASSWORD, at).outcome is Outcome.OK  # 4 are forgiven
        at = fail(engine, 5, at + timedelta(seconds=1))
        # The right password no longer opens it, and says nothing different.
        assert attempt(engine, "admin", PASSWORD, at).outcome is Outcome.LOCKED
        fifth = at - timedelta(seconds=1)
        assert attempt(engine, "admin", PASSWORD,
                       fifth + timedelta(minutes=15) - timedelta(seconds=1)
                       ).outcome is Outcome.LOCKED
        assert attempt(engine, "admin", PASSWORD,
                       fifth + timedelta(minutes=15)).outcome is Outcome.OK

    def test_a_repeated_lock_doubles_and_a_good_login_resets(self, engine: Engine,
                                                             admin: User) -> None:
        at = fail(engine, 5, T0)
        at = fail(engine, 5, at + timedelta(minutes=15))  # second lock: 30 minutes
        second = at - timedelta(seconds=1)
        assert attempt(engine, "admin", PASSWORD,
                       second + timedelta(minutes=29)).outcome is Outcome.LOCKED
        assert attempt(engine, "admin", PASSWORD,
                       second + timedelta(minutes=30)).outcome is Outcome.OK
        at = fail(engine, 5, second + timedelta(minutes=31))  # after a success: 15 again
        assert attempt(engine, "admin", PASSWORD,
                       at + timedelta(minutes=15)).outcome is Outcome.OK

    def test_knocking_on_a_lock_does_not_prolong_it(self, engine: Engine, admin: User) -> None:
        at = fail(engine, 5, T0)
        for minute in range(1, 15):  # one guess a minute throughout the lock
            assert attempt(engine, "admin", WRONG,
                           at + timedelta(minutes=minute)).outcome is Outcome.LOCKED
        assert attempt(engine, "admin", PASSWORD,
                       at + timedelta(minutes=15)).outcome is Outcome.OK

    def test_the_lock_is_capped(self) -> None:
        assert POLICY.lock_length(1) == timedelta(minutes=15)
        assert POLICY.lock_length(3) == timedelta(hours=1)
        assert POLICY.lock_length(99) == timedelta(hours=24)

    def test_names_are_matched_as_typed_after_normalising(self, engine: Engine,
                                                           admin: User) -> None:
        at = fail(engine, 5, T0, username="  ADMIN ")
        assert attempt(engine, "admin", PASSWORD, at).outcome is Outcome.LOCKED
        assert set(outcomes(engine)) == {"wrong_password", "locked"}
        with read_session(engine) as s:
            assert set(s.scalars(select(LoginAttempt.username))) == {"admin"}

    def test_wrong_unknown_inactive_and_locked_are_all_refused(self, engine: Engine,
                                                               admin: User) -> None:
        assert attempt(engine, "nobody", PASSWORD, T0).outcome is Outcome.UNKNOWN_USER
        assert attempt(engine, "admin", WRONG, T0).outcome is Outcome.WRONG_PASSWORD
        with unit_of_work(engine) as s:  # a deactivated user (no service deactivates yet)
            s.execute(text("UPDATE user_account SET active = :no"), {"no": False})
        assert attempt(engine, "admin", PASSWORD, T0).outcome is Outcome.INACTIVE
        with read_session(engine) as s:
            rows = list(s.scalars(select(LoginAttempt)))
        assert not any(r.succeeded for r in rows)

    def test_unknown_names_lock_like_real_ones(self, engine: Engine, admin: User) -> None:
        """So that "this name locks" never shows that a name exists."""
        at = fail(engine, 5, T0, username="nobody")
        assert attempt(engine, "nobody", PASSWORD, at).outcome is Outcome.LOCKED


class TestUnlock:
    def test_an_admin_unlock_is_an_event_and_lifts_the_lock(self, engine: Engine,
                                                            admin: User) -> None:
        at = fail(engine, 5, T0)
        with unit_of_work(engine) as s:
            throttle.unlock_user(s, s.get(User, admin.id), actor="user:root")  # type: ignore[arg-type]
        with read_session(engine) as s:
            event = s.scalars(select(Event).where(Event.type == "user.unlocked")).one()
            assert event.actor == "user:root"
            unlocked_at = s.get(User, admin.id).unlocked_at  # type: ignore[union-attr]
        assert unlocked_at is not None
        # The unlock happened "now" (wall clock); the failures before it no longer count.
        later = max(at, unlocked_at) + timedelta(seconds=1)
        assert attempt(engine, "admin", PASSWORD, later).outcome is Outcome.OK

    def test_unlock_from_the_command_line(self, database_url: str, tmp_path: Path) -> None:
        from habeas.db import make_engine

        engine = make_engine(database_url)
        try:
            with_agreement(engine)
            a_user(engine, "admin", Role.ADMIN)
            fail(engine, 5, datetime.now(UTC) - timedelta(minutes=1))
            assert attempt(engine, "admin", PASSWORD, datetime.now(UTC)).outcome \
                is Outcome.LOCKED
            result = habeas("users", "unlock", "admin", "--json", url=database_url,
                            data_dir=tmp_path / "data")
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout) == {"username": "admin", "unlocked": True}
            assert attempt(engine, "admin", PASSWORD, datetime.now(UTC)).outcome is Outcome.OK
            missing = habeas("users", "unlock", "nobody", url=database_url,
                             data_dir=tmp_path / "data")
            assert missing.returncode != 0 and "no user named 'nobody'" in missing.stderr
        finally:
            engine.dispose()


class TestThrottle:
    def test_twenty_failures_from_one_address_throttle_it(self, engine: Engine,
                                                          admin: User) -> None:
        at = T0
        for n in range(20):  # spread over many names, so no name locks
            attempt(engine, f"guess{n}", WRONG, at)
            at += timedelta(seconds=10)
        refused = attempt(engine, "admin", PASSWORD, at)
        assert refused.outcome is Outcome.THROTTLED
        # The first failure leaves the 10-minute window at T0 + 10 min.
        assert refused.retry_after == int((T0 + timedelta(minutes=10) - at).total_seconds())
        assert attempt(engine, "admin", PASSWORD, at, client="203.0.113.9").outcome \
            is Outcome.OK  # another address is not affected
        assert attempt(engine, "admin", PASSWORD,
                       T0 + timedelta(minutes=10, seconds=1)).outcome is Outcome.OK

    def test_a_flood_writes_one_row_a_minute(self, engine: Engine, admin: User) -> None:
        at = fail(engine, 20, T0, username="x")
        for second in range(0, 90, 3):
            attempt(engine, "admin", WRONG, at + timedelta(seconds=second))
        assert outcomes(engine).count("throttled") == 2

    def test_the_address_is_kept_only_as_a_keyed_hash(self, engine: Engine,
                                                      admin: User) -> None:
        attempt(engine, "admin", WRONG, T0)
        with read_session(engine) as s:
            row = s.scalars(select(LoginAttempt)).one()
        assert HOME not in row.client_key and len(row.client_key) == 64
        assert row.client_key == throttle.client_key(HOME)
        assert row.client_key != tokens.sha256_hex(HOME)

    def test_the_log_cannot_be_rewritten(self, engine: Engine, admin: User) -> None:
        attempt(engine, "admin", WRONG, T0)
        for statement in ("UPDATE login_attempt SET succeeded = true",
                          "DELETE FROM login_attempt"):
            with pytest.raises(DatabaseError), unit_of_work(engine) as s:
                s.execute(text(statement))
        with read_session(engine) as s:
            assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1


class TestPasswordPolicy:
    @pytest.mark.parametrize("password", [
        "Password2024!", "password1234", "qwerty123456", "123456789012", "aaaaaaaaaaaa",
        "abababababab", "abcdefghijklmn", "Habeas-2026!!", "  letmein  2025  ", "a" * 1025,
    ])
    def test_common_and_easy_passwords_are_refused(self, password: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            passwords.check_password_policy(password, "someone")
        assert caught.value.details["field"] == "password"

    @pytest.mark.parametrize("password", [PASSWORD, "cecot-demo-2025", "tangerine-orbit-47"])
    def test_ordinary_passphrases_pass(self, password: str) -> None:
        passwords.check_password_policy(password, "someone")

    def test_a_change_obeys_the_policy_and_ends_the_sessions(self, engine: Engine,
                                                              admin: User) -> None:
        with unit_of_work(engine) as s:
            secret = sessions.start_session(s, admin, lifetime=timedelta(hours=8))
        for weak, problem in (("short", "at least 12"), ("my-admin-password", "user name"),
                              ("Password2024!", "too common")):
            with pytest.raises(ValidationFailed, match=problem) as caught, \
                    unit_of_work(engine) as s:
                service.change_password(s, s.get(User, admin.id), weak,  # type: ignore[arg-type]
                                        actor="test")
            assert caught.value.details["field"] == "password"
        with unit_of_work(engine) as s:
            service.change_password(s, s.get(User, admin.id), "tangerine-orbit-47",  # type: ignore[arg-type]
                                    actor="test")
        with read_session(engine) as s:
            assert s.get(WebSession, tokens.sha256_hex(secret)).ended_at is not None  # type: ignore[union-attr]
            assert sessions.principal_from_session(s, secret) is None
        assert attempt(engine, "admin", PASSWORD, T0).outcome is Outcome.WRONG_PASSWORD
        assert attempt(engine, "admin", "tangerine-orbit-47", T0).outcome is Outcome.OK
