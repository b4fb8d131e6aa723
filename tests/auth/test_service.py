"""Users, passwords, API tokens, browser sessions and the read audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError

from habeas.auth import audit, passwords, principal, service, sessions, tokens
from habeas.auth.models import ApiToken, ReadAudit, Role, User
from habeas.config import Settings, get_settings
from habeas.db import read_session, unit_of_work
from habeas.errors import Conflict, ErrorCode, Unauthenticated, ValidationFailed
from tests.factories import PASSWORD, a_user, with_agreement


@pytest.fixture
def agreed(engine: Engine) -> Engine:
    with_agreement(engine)
    return engine


class TestHashParameters:
    """The suite hashes cheaply (tests/conftest.py sets HABEAS_INSECURE_FAST_PASSWORD_HASHING);
    without the setting — production — the hash has argon2's recommended cost."""

    @staticmethod
    def cost(hashed: str) -> str:
        return hashed.split("$")[3]  # $argon2id$v=19$m=...,t=...,p=...$salt$hash

    def test_production_hashes_with_the_recommended_parameters(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        import argon2

        monkeypatch.delenv("HABEAS_INSECURE_FAST_PASSWORD_HASHING", raising=False)
        get_settings.cache_clear()
        try:
            hashed = passwords.hasher.hash(PASSWORD)
            assert self.cost(hashed) == (f"m={argon2.DEFAULT_MEMORY_COST},"
                                         f"t={argon2.DEFAULT_TIME_COST},"
                                         f"p={argon2.DEFAULT_PARALLELISM}")
            assert self.cost(passwords.hasher.dummy()) == self.cost(hashed)
            assert passwords.hasher.verify(PASSWORD, hashed)
        finally:
            get_settings.cache_clear()

    def test_the_suite_hashes_cheaply_and_a_cheap_hash_still_checks_the_password(
            self) -> None:
        hashed = passwords.hasher.hash(PASSWORD)
        assert hashed.startswith("$argon2id$") and self.cost(hashed) == "m=8,t=1,p=1"
        assert passwords.hasher.verify(PASSWORD, hashed)
        assert not passwords.hasher.verify(PASSWORD + "!", hashed)

    def test_the_setting_is_off_by_default(self) -> None:
        assert Settings.model_fields["insecure_fast_password_hashing"].default is False


class TestAddUser:
    def test_state_roles_are_bound_to_a_party(self, agreed: Engine) -> None:
        user = a_user(agreed, "officer", Role.SENDING, "USA")
        assert (user.role, user.party_code) == (Role.SENDING, "USA")
        with pytest.raises(ValidationFailed, match="give --party CODE"):
            a_user(agreed, "officer2", Role.RECEIVING)
        with pytest.raises(ValidationFailed, match="not bound to a party"):
            a_user(agreed, "monitor", Role.MONITOR, "USA")
        with pytest.raises(ValidationFailed, match="not a party to any agreement"):
            a_user(agreed, "officer3", Role.SENDING, "VEN")

    def test_password_is_stored_as_an_argon2_hash(self, agreed: Engine) -> None:
        user = a_user(agreed, "admin", Role.ADMIN)
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash

    def test_duplicate_user_is_a_conflict_with_its_own_code(self, agreed: Engine) -> None:
        a_user(agreed, "admin", Role.ADMIN)
        with pytest.raises(Conflict) as caught:
            a_user(agreed, "admin", Role.MONITOR)
        assert caught.value.code is ErrorCode.DUPLICATE_USER

    @pytest.mark.parametrize(("username", "password", "field"), [
        ("ok.name", "short", "password"),
        ("ok.name", "ok.name-is-my-password", "password"),
        ("Bad Name", PASSWORD, "username"),
    ])
    def test_policy_errors_name_the_field(self, agreed: Engine, username: str, password: str,
                                          field: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            a_user(agreed, username, Role.ADMIN, password=password)
        assert caught.value.details["field"] == field
        with read_session(agreed) as s:
            assert s.scalars(select(User)).first() is None


class TestAuthenticate:
    def test_right_and_wrong_passwords(self, agreed: Engine) -> None:
        a_user(agreed, "admin", Role.ADMIN)
        with read_session(agreed) as s:
            assert service.authenticate(s, "admin", PASSWORD).username == "admin"
            for name, password in (("admin", "wrong password!"), ("nobody", PASSWORD)):
                with pytest.raises(Unauthenticated) as caught:
                    service.authenticate(s, name, password)
                assert caught.value.code is ErrorCode.INVALID_CREDENTIALS


class TestTokens:
    def test_token_secret_is_shown_once_and_stored_hashed(self, agreed: Engine) -> None:
        user = a_user(agreed, "admin", Role.ADMIN)
        with unit_of_work(agreed) as s:
            token, secret = tokens.issue_token(s, user, name="ci", actor="test")
        with read_session(agreed) as s:
            stored = s.get(ApiToken, token.id)
            assert stored is not None and secret not in stored.secret_sha256
            assert tokens.principal_from_token(s, secret).username == "admin"

    def test_revoked_expired_and_unknown_tokens_are_refused_with_their_codes(
            self, agreed: Engine) -> None:
        user = a_user(agreed, "admin", Role.ADMIN)
        now = datetime(2026, 1, 1, tzinfo=UTC)
        with unit_of_work(agreed) as s:
            to_revoke, revoked = tokens.issue_token(s, user, name="a", actor="test")
            expiring, expired = tokens.issue_token(
                s, user, name="b", actor="test", expires_at=now + timedelta(hours=1), now=now)
        with unit_of_work(agreed) as s:
            tokens.revoke_token(s, principal.principal_for(user, "token"), to_revoke.id)
        with read_session(agreed) as s:
            cases = [(revoked, now, ErrorCode.TOKEN_REVOKED),
                     (expired, now + timedelta(hours=2), ErrorCode.TOKEN_EXPIRED),
                     ("hbs_nonsense", now, ErrorCode.UNAUTHENTICATED)]
            for secret, at, code in cases:
                with pytest.raises(Unauthenticated) as caught:
                    tokens.principal_from_token(s, secret, now=at)
                assert caught.value.code is code
            assert tokens.principal_from_token(s, expired, now=now).username == "admin"
            assert expiring.expires_at == now + timedelta(hours=1)

    def test_another_users_token_cannot_be_revoked(self, agreed: Engine) -> None:
        owner = a_user(agreed, "alice", Role.MONITOR)
        other = a_user(agreed, "bob", Role.COUNSEL)
        with unit_of_work(agreed) as s:
            token, _ = tokens.issue_token(s, owner, name="mine", actor="test")
        with pytest.raises(Exception, match="not found"), unit_of_work(agreed) as s:
            tokens.revoke_token(s, principal.principal_for(other, "token"), token.id)


class TestSessions:
    def test_session_lives_until_expiry_or_logout(self, agreed: Engine) -> None:
        user = a_user(agreed, "admin", Role.ADMIN)
        now = datetime(2026, 1, 1, tzinfo=UTC)
        with unit_of_work(agreed) as s:
            secret = sessions.start_session(s, user, lifetime=timedelta(hours=8), now=now)
        with unit_of_work(agreed) as s:  # in use until then: the idle timeout does not end it
            sessions.touch_session(s, secret, now=now + timedelta(hours=6, minutes=50))
        with read_session(agreed) as s:
            live = sessions.principal_from_session(s, secret, now=now + timedelta(hours=7))
            assert live is not None and live.csrf_token
            assert sessions.principal_from_session(s, secret, now=now + timedelta(hours=8)) is None
        with unit_of_work(agreed) as s:
            sessions.end_session(s, secret)
        with read_session(agreed) as s:
            assert sessions.principal_from_session(s, secret, now=now) is None


class TestReadAudit:
    def test_reads_are_logged_and_the_log_cannot_be_rewritten(self, agreed: Engine) -> None:
        user = a_user(agreed, "monitor", Role.MONITOR)
        who = principal.principal_for(user, "token")
        with unit_of_work(agreed) as s:
            audit.record_read(s, who, kind="user", record_id=user.id, channel="api",
                                purpose="inspection")
        with read_session(agreed) as s:
            row = s.scalars(select(ReadAudit)).one()
            assert (row.username, row.record_id, row.purpose) == ("monitor", user.id,
                                                                  "inspection")
        for statement in ("UPDATE read_audit SET username = 'x'", "DELETE FROM read_audit"):
            with pytest.raises(DatabaseError, match="append-only"), agreed.begin() as conn:
                conn.execute(text(statement))
