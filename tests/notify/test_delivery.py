"""Delivery: email to a real SMTP server, signed webhooks to a real HTTP receiver; retries
with backoff, dead letters, staff retries; at least once, with an idempotency key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.app import create_app
from habeas.auth.models import Role
from habeas.custody import records
from habeas.db import read_session, unit_of_work
from habeas.ledger.models import Event
from habeas.notify import service, tokens, worker
from habeas.notify.models import Notification
from habeas.replay import check
from tests.api.conftest import bearer
from tests.factories import a_token, a_user
from tests.notify.conftest import (
    COUNSEL,
    MOTHER,
    Clock,
    Receiver,
    SmtpServer,
    admitted,
    delivery,
    rows,
)
from tests.notify.test_subscriptions import NOW, subscribe

ESCAPED_AT = NOW


def outcomes(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    with read_session(engine) as s:
        return [(e.type, e.payload) for e in s.scalars(
            select(Event).where(Event.type.like("notification.%")).order_by(Event.seq))]


class TestEmail:
    def test_is_delivered_over_smtp_and_recorded(self, demo_engine: Engine,
                                                  smtp_server: SmtpServer,
                                                  clock: Clock) -> None:
        admitted(demo_engine, nationalities=("SLV",))
        run = worker.run_once(demo_engine, delivery(smtp_server.port), clock=clock)
        # Counsel heard of the departure and the admission; the mother of the admission.
        assert (len(run.delivered), run.failed, run.dead) == (3, [], [])
        mails = [m["To"] for m in smtp_server.inbox.messages]
        assert sorted(mails) == sorted([MOTHER, COUNSEL, COUNSEL])
        [mother] = [m for m in smtp_server.inbox.messages if m["To"] == MOTHER]
        assert mother["Subject"] == ("José Antonio Rivera López ha ingresado en Centro de "
                                     "Confinamiento del Terrorismo (CECOT)")
        assert mother["Content-Language"] == "es"
        body = mother.get_content()
        assert "Estimada/o Ana López:" in body and "regla 68" in body
        [owed] = rows(demo_engine, recipient=MOTHER)
        assert mother["X-Habeas-Idempotency-Key"] == owed.idempotency_key
        assert mother["Message-ID"] == f"<{owed.idempotency_key.replace(':', '.')}@habeas.test>"
        assert {(n.status, n.delivered_at) for n in rows(demo_engine)} == {("delivered",
                                                                             clock.now)}
        # The ledger records the delivery, never the message.
        assert [t for t, _ in outcomes(demo_engine)] == ["notification.delivered"] * 3
        assert all(set(p) == {"notification_id", "attempt", "at"}
                   for _, p in outcomes(demo_engine))
        assert worker.run_once(demo_engine, delivery(smtp_server.port), clock=clock).attempted \
            == 0

    def test_a_refusing_server_is_retried_with_backoff_then_dead(
            self, demo_engine: Engine, smtp_server: SmtpServer, clock: Clock) -> None:
        admitted(demo_engine, nationalities=("SLV",), counsel=False)
        smtp_server.inbox.refuse = True
        out = delivery(smtp_server.port)
        waits = []
        for attempt in range(1, worker.MAX_ATTEMPTS + 1):
            run = worker.run_once(demo_engine, out, clock=clock)
            [row] = rows(demo_engine)
            assert row.attempts == attempt and "451" in (row.last_error or "")
            if attempt < worker.MAX_ATTEMPTS:
                assert run.failed == [row.id] and row.status == "pending"
                assert row.next_attempt_at is not None
                waits.append((row.next_attempt_at - clock.now).total_seconds())
                assert worker.run_once(demo_engine, out, clock=clock).attempted == 0  # not due
                clock.now = row.next_attempt_at
            else:
                assert run.dead == [row.id] and row.status == "dead"
        assert waits == [60, 120, 240, 480, 960]
        assert smtp_server.inbox.messages == []


class TestWebhook:
    def test_is_signed_and_deduplicated_by_its_idempotency_key(
            self, demo_engine: Engine, receiver: Receiver, clock: Clock) -> None:
        person = admitted(demo_engine)
        found = subscribe(demo_engine, person, receiver.url, channel="webhook")
        receiver.secrets.append(tokens.webhook_secret(found.id, receiver.url))
        out = delivery()
        [code] = rows(demo_engine, kind="subscription")
        worker.run_once(demo_engine, out, clock=clock)
        assert receiver.bad_signatures == 0
        call = receiver.received[code.idempotency_key]
        assert (call["reason"], call["facts"]) == ("confirm",
                                                    {"name": "José Antonio Rivera López"})
        # The receiver confirms with the code it was sent.
        with unit_of_work(demo_engine) as s:
            service.confirm(s, call["confirm_code"], now=NOW)
        with unit_of_work(demo_engine) as s:
            records.record_escape(s, person, at=ESCAPED_AT, circumstances="", actor="x",
                                  party="SLV")
        worker.run_once(demo_engine, out, clock=clock)
        [update] = rows(demo_engine, reason="status")
        assert update.status == "delivered"
        status = receiver.received[update.idempotency_key]
        assert set(status["facts"]) == {"name", "status", "since", "facility", "custodian"}
        assert status["facts"]["status"] == "escaped"
        assert status["revoke_url"].startswith("http://habeas.test/subscribe/revoke?token=")
        # At least once: a second send of the same row is one message to the receiver.
        with read_session(demo_engine) as s:
            row = s.get_one(Notification, update.id)
        message = worker.render(row, base_url=out.base_url)
        out.send(row, message, clock.now)
        assert receiver.calls == 3 and len(receiver.received) == 2

    def test_a_forged_signature_is_refused_by_the_receiver(
            self, demo_engine: Engine, receiver: Receiver, clock: Clock) -> None:
        person = admitted(demo_engine)
        subscribe(demo_engine, person, receiver.url, channel="webhook")
        receiver.secrets.append("not the secret")
        run = worker.run_once(demo_engine, delivery(), clock=clock)
        assert receiver.bad_signatures == 1 and run.failed
        assert rows(demo_engine)[-1].last_error == "HTTP 401"

    def test_a_receiver_answering_500_is_retried_then_dead_then_retried_by_staff(
            self, demo_engine: Engine, receiver: Receiver, clock: Clock) -> None:
        admitted(demo_engine, counsel=False, contacts=[], consulates={"HND": receiver.url})
        receiver.secrets.append(tokens.webhook_secret(None, receiver.url))
        receiver.mode = "fail"
        out = delivery()
        for _ in range(worker.MAX_ATTEMPTS):
            worker.run_once(demo_engine, out, clock=clock)
            clock.advance(hours=1)
        [row] = rows(demo_engine)
        assert (row.status, row.attempts, row.last_error) == ("dead", 6, "HTTP 500")
        assert receiver.calls == 6 and receiver.received == {}
        assert [t for t, _ in outcomes(demo_engine)] == ["notification.failed"] * 5 + [
            "notification.dead"]
        a_user(demo_engine, "warden", role=Role.RECEIVING, party="SLV")
        client = TestClient(create_app(demo_engine))
        headers = bearer(a_token(demo_engine, "warden"))
        dead = client.get("/api/v1/notifications?status=dead", headers=headers).json()
        assert dead["counts"]["dead"] == 1 and [n["id"] for n in dead["items"]] == [row.id]
        retried = client.post(f"/api/v1/notifications/{row.id}/retry", headers=headers)
        assert retried.status_code == 200 and retried.json()["status"] == "pending"
        again = client.post(f"/api/v1/notifications/{row.id}/retry", headers=headers)
        assert (again.status_code, again.json()["error"]["code"]) == (409,
                                                                      "invalid_transition")
        receiver.mode = "ok"
        worker.run_once(demo_engine, out, clock=clock)
        [row] = rows(demo_engine)
        assert (row.status, row.attempts) == ("delivered", 1)
        assert list(receiver.received) == [row.idempotency_key]

    def test_a_receiver_that_hangs_times_out_and_is_retried(
            self, demo_engine: Engine, receiver: Receiver, clock: Clock) -> None:
        admitted(demo_engine, counsel=False, contacts=[], consulates={"HND": receiver.url})
        receiver.mode = "hang"
        run = worker.run_once(demo_engine, delivery(timeout_s=0.3), clock=clock)
        [row] = rows(demo_engine)
        assert run.failed == [row.id]
        assert (row.status, row.last_error) == ("pending", "no answer within 0.3 s")
        assert row.next_attempt_at == clock.now + timedelta(seconds=60)

    def test_a_webhook_to_a_private_address_is_refused_at_sending(
            self, demo_engine: Engine, receiver: Receiver, clock: Clock) -> None:
        from habeas.notify import channels

        admitted(demo_engine, counsel=False, contacts=[], consulates={"HND": receiver.url})
        out = delivery()
        guarded = worker.Delivery(smtp=out.smtp, base_url=out.base_url,
                                  webhooks=channels.Webhooks(timeout_s=1, allow_private=False))
        worker.run_once(demo_engine, guarded, clock=clock)
        assert receiver.calls == 0
        assert "non-public address" in (rows(demo_engine)[0].last_error or "")


class TestStaffView:
    def test_masks_subscribers_and_never_shows_a_message(
            self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        subscribe(demo_engine, person, "vecina@example.org")
        a_user(demo_engine, "inspector", role=Role.MONITOR)
        client = TestClient(create_app(demo_engine))
        body = client.get("/api/v1/notifications",
                          headers=bearer(a_token(demo_engine, "inspector"))).json()
        shown = {n["audience"]: n for n in body["items"]}
        assert shown["subscriber"]["recipient"] == "v•••@example.org"
        assert shown["family"]["recipient"] == MOTHER
        assert "params" not in shown["family"] and "text" not in shown["family"]
        assert client.get("/api/v1/notifications").status_code == 401


class TestReplay:
    def test_rebuilds_the_outbox_and_every_outcome_exactly(
            self, demo_engine: Engine, smtp_server: SmtpServer, receiver: Receiver,
            clock: Clock) -> None:
        person = admitted(demo_engine, nationalities=("GTM",), consulates={"GTM": receiver.url})
        found = subscribe(demo_engine, person)
        with unit_of_work(demo_engine) as s:
            service.confirm(s, tokens.confirm_code(found.id), now=NOW)
        receiver.mode = "fail"
        worker.run_once(demo_engine, delivery(smtp_server.port), clock=clock)
        with unit_of_work(demo_engine) as s:
            records.record_escape(s, person, at=ESCAPED_AT, circumstances="", actor="x",
                                  party="SLV")
        report = check(demo_engine)
        assert report.clean, [d.describe() for d in report.differences]
        assert {n.status for n in rows(demo_engine)} == {"delivered", "pending"}
