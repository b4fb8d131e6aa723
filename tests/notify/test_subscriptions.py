"""Subscriptions (VINE-style): anyone may subscribe to a person the locator finds; nothing
but a code is sent until the code comes back; revocable; never more than the locator shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.app import create_app
from habeas.custody import records
from habeas.db import unit_of_work
from habeas.errors import DomainError
from habeas.notify import service, tokens
from habeas.notify.models import Subscription
from tests.factories import event_count, refused
from tests.notify.conftest import admitted, rows

WATCHER = "vecina@example.org"
NOW = datetime(2025, 5, 1, 12, tzinfo=UTC)
LOCATOR_FIELDS = {"name", "status", "since", "facility", "custodian"}


def subscribe(engine: Engine, public_id: str, address: str = WATCHER, *,
              channel: str = "email", client: str = "203.0.113.7", now: datetime = NOW,
              limit: int = 10) -> Subscription:
    with unit_of_work(engine) as s:
        return service.subscribe(s, token=tokens.subscribe_token(public_id), channel=channel,
                                 address=address, locale="es", client=client, now=now,
                                 limit=limit, window_s=3600, allow_private=True)


def confirm(engine: Engine, found: Subscription, now: datetime = NOW) -> Subscription:
    with unit_of_work(engine) as s:
        return service.confirm(s, tokens.confirm_code(found.id), now=now)


def escape(engine: Engine, public_id: str) -> None:
    with unit_of_work(engine) as s:
        records.record_escape(s, public_id, at=NOW, circumstances="", actor="x", party="SLV")


class TestTokens:
    def test_a_token_hides_the_person_and_cannot_be_forged(self) -> None:
        token = tokens.subscribe_token("N7K2M4P9Q3R5")
        assert "N7K2M4P9Q3R5".lower() not in token.lower()
        assert tokens.person_for(token) == "N7K2M4P9Q3R5"
        assert tokens.subscribe_token("N7K2M4P9Q3R5") == token  # stable across searches
        flipped = token[:-2] + ("a" if token[-2] != "a" else "b") + token[-1]
        for forged in (flipped, token[:-4], "", "x" * 300, "not base32 !"):
            assert tokens.person_for(forged) is None

    def test_codes_are_bound_to_their_subscription_and_purpose(self) -> None:
        code, revoke = tokens.confirm_code("S12"), tokens.revoke_token("S12")
        assert tokens.subscription_for_code(code) == "S12"
        assert tokens.subscription_for_revoke(revoke) == "S12"
        assert tokens.subscription_for_code(revoke) is None  # a revoke token confirms nothing
        assert tokens.subscription_for_code("S13" + code[3:]) is None


class TestSubscribe:
    def test_only_a_code_is_sent_until_it_is_used(self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        found = subscribe(demo_engine, person)
        assert found.status == "pending"
        [code] = rows(demo_engine, kind="subscription")
        assert (code.reason, code.recipient, code.subscription_id) == ("confirm", WATCHER,
                                                                       found.id)
        assert code.params == {"name": "José Antonio Rivera López"}
        escape(demo_engine, person)  # a status change before the code was used
        assert [n.reason for n in rows(demo_engine, kind="subscription")] == ["confirm"]

    def test_a_confirmed_subscriber_hears_only_what_the_locator_shows(
            self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        found = confirm(demo_engine, subscribe(demo_engine, person))
        assert found.status == "active"
        with unit_of_work(demo_engine) as s:
            records.record_death(s, person, died_at=NOW, place="M8/8-01 (cell)",
                                 circumstances="found unresponsive", actor="x", party="SLV")
        [update] = rows(demo_engine, reason="status")
        assert set(update.params) == LOCATOR_FIELDS
        assert (update.params["status"], update.params["since"]) == ("deceased", "2025-05-01")
        assert "M8" not in str(update.params) and person not in str(update.params)
        assert update.recipient == WATCHER and update.locale == "es"

    def test_confirming_twice_is_harmless(self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        found = confirm(demo_engine, subscribe(demo_engine, person))
        before = event_count(demo_engine)
        assert confirm(demo_engine, found).status == "active"
        assert event_count(demo_engine) == before

    def test_a_revoked_subscription_gets_nothing_more_not_even_what_was_queued(
            self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        found = confirm(demo_engine, subscribe(demo_engine, person))
        escape(demo_engine, person)
        [queued] = rows(demo_engine, reason="status")
        with unit_of_work(demo_engine) as s:
            service.revoke(s, tokens.revoke_token(found.id), now=NOW)
        assert rows(demo_engine, reason="status")[0].status == "cancelled"
        with unit_of_work(demo_engine) as s:
            records.record_recapture(s, person, at=NOW + timedelta(days=1),
                                     circumstances="", actor="x", party="SLV")
        assert [n.id for n in rows(demo_engine, reason="status")] == [queued.id]
        caught = refused(demo_engine, lambda s: service.confirm(
            s, tokens.confirm_code(found.id), now=NOW), "subscription_revoked")
        assert caught.status == 409

    def test_a_code_expires_after_a_week(self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        found = subscribe(demo_engine, person, now=NOW)
        refused(demo_engine, lambda s: service.confirm(
            s, tokens.confirm_code(found.id), now=NOW + timedelta(days=8)),
            "confirmation_expired")

    @pytest.mark.parametrize("code", ["", "S1.abc", "nothing", "S999999." + "a" * 26])
    def test_a_wrong_code_finds_nothing(self, demo_engine: Engine, code: str) -> None:
        caught = refused(demo_engine, lambda s: service.confirm(s, code, now=NOW), "not_found")
        assert caught.details == {"field": "code"}


class TestBadRequests:
    def test_a_forged_token_and_a_person_no_longer_shown_look_the_same(
            self, demo_engine: Engine) -> None:
        from tests.locator.conftest import release

        person = admitted(demo_engine)
        release(demo_engine, person, datetime(2025, 6, 1, tzinfo=UTC).date())
        for token in ("forged", tokens.subscribe_token(person)):
            caught = refused(demo_engine, lambda s, t=token: service.subscribe(  # type: ignore[misc]
                s, token=t, channel="email", address=WATCHER, locale="en", client="c",
                now=NOW + timedelta(days=100), limit=10, window_s=60), "not_found")
            assert caught.message.startswith("token: no such person")

    @pytest.mark.parametrize(("channel", "address"), [
        ("email", "not-an-address"), ("email", "a@b"), ("webhook", "ftp://example.org/x"),
        ("webhook", "https://user:pw@example.org/x"), ("sms", "+50370000000")])
    def test_a_bad_address_is_refused_naming_the_field(self, demo_engine: Engine, channel: str,
                                                       address: str) -> None:
        person = admitted(demo_engine)
        caught = refused(demo_engine, lambda s: service.subscribe(
            s, token=tokens.subscribe_token(person), channel=channel, address=address,
            locale="en", client="c", now=NOW, limit=10, window_s=60), "validation_failed")
        assert caught.details["field"] in ("address", "channel")

    @pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://10.1.2.3/hook",
                                     "https://localhost/hook", "https://[::1]/hook",
                                     "http://example.org/hook"])
    def test_a_public_webhook_may_not_point_inside_the_network(self, url: str) -> None:
        with pytest.raises(DomainError) as caught:
            service.check_address("webhook", url, allow_private=False)
        assert caught.value.details["field"] == "address"
        assert service.check_address("webhook", "https://hooks.example.org/x") \
            == "https://hooks.example.org/x"

    def test_requests_are_rate_limited_per_address(self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        for n in range(2):
            subscribe(demo_engine, person, f"p{n}@example.org", limit=2)
        caught = refused(demo_engine, lambda s: service.subscribe(
            s, token=tokens.subscribe_token(person), channel="email", address=WATCHER,
            locale="en", client="203.0.113.7", now=NOW, limit=2, window_s=3600),
            "rate_limited")
        assert caught.status == 429 and caught.details["retry_after"] == 3600
        subscribe(demo_engine, person, client="198.51.100.1", limit=2)  # another address
        subscribe(demo_engine, person, now=NOW + timedelta(hours=2), limit=2)  # window over


class TestApi:
    def test_subscribe_confirm_revoke_over_http(self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        client = TestClient(create_app(demo_engine))
        asked = client.post("/api/v1/subscriptions", json={
            "token": tokens.subscribe_token(person), "channel": "webhook",
            "address": "https://hooks.example.org/habeas", "locale": "en"})
        assert asked.status_code == 202, asked.text
        body = asked.json()
        assert body["status"] == "pending" and body["webhook_secret"]
        assert WATCHER not in asked.text and person not in asked.text
        wrong = client.post("/api/v1/subscriptions/confirm", json={"code": "S1.nope"})
        assert wrong.status_code == 404 and wrong.json()["error"]["details"]["field"] == "code"
        confirmed = client.post("/api/v1/subscriptions/confirm", json={
            "code": tokens.confirm_code(body["subscription_id"])})
        assert confirmed.json() == {"subscription_id": body["subscription_id"],
                                    "status": "active"}
        revoked = client.post("/api/v1/subscriptions/revoke",
                              json={"token": body["revoke_token"]})
        assert revoked.json()["status"] == "revoked"
        again = client.post("/api/v1/subscriptions/confirm", json={
            "code": tokens.confirm_code(body["subscription_id"])})
        assert (again.status_code, again.json()["error"]["code"]) == (409,
                                                                      "subscription_revoked")

    def test_bad_input_is_named_and_the_limit_says_when_to_come_back(
            self, demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
        from habeas.config import get_settings

        person = admitted(demo_engine)
        client = TestClient(create_app(demo_engine))
        missing = client.post("/api/v1/subscriptions", json={"channel": "email"})
        assert missing.status_code == 422
        assert missing.json()["error"]["details"]["field"] == "body.token"
        forged = client.post("/api/v1/subscriptions", json={
            "token": "forged", "address": WATCHER})
        assert forged.status_code == 404
        monkeypatch.setenv("HABEAS_SUBSCRIBE_RATE_LIMIT", "1")
        get_settings.cache_clear()
        body = {"token": tokens.subscribe_token(person), "address": WATCHER}
        assert client.post("/api/v1/subscriptions", json=body).status_code == 202
        limited = client.post("/api/v1/subscriptions", json=body)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        assert limited.json()["error"]["code"] == "rate_limited"
