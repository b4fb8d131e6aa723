"""The integrity report's 13th check: mandatory notifications not delivered within 24 hours
(Mandela Rules 68-69: "at once"; VCCR art. 36(1)(b): "without delay")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from habeas.custody import integrity
from habeas.db import read_session
from habeas.notify import worker
from tests.notify.conftest import Clock, SmtpServer, admitted, delivery, rows

pytestmark = pytest.mark.both_engines  # SQL-heavy: the outbox's integrity checks (docs/testing.md)


def late(engine: Engine, at: Clock) -> integrity.Line:
    with read_session(engine) as s:
        report = integrity.report(s, at().date(), at=at())
    [line] = [x for x in report.lines if x.check == "notification_late"]
    return line


class TestLateNotifications:
    def test_counts_what_is_undelivered_after_24_hours_and_what_came_late(
            self, demo_engine: Engine, smtp_server: SmtpServer, clock: Clock) -> None:
        person = admitted(demo_engine, nationalities=("SLV",), counsel=False)
        [owed] = rows(demo_engine)
        clock.now = owed.created_at + timedelta(hours=23)
        assert late(demo_engine, clock).count == 0  # still within the day
        clock.now = owed.created_at + timedelta(hours=25)
        line = late(demo_engine, clock)
        assert (line.count, line.people, line.events) == (1, [person], [owed.seq])
        assert "admission notice to the family" in line.notes[0] and "pending" in line.notes[0]
        worker.run_once(demo_engine, delivery(smtp_server.port), clock=clock)
        line = late(demo_engine, clock)
        assert line.count == 1 and "delivered" in line.notes[0]  # late is still a breach
        assert (line.severity, line.rule) == ("high", "Rules 68-69")

    def test_one_delivered_in_time_is_no_breach(
            self, demo_engine: Engine, smtp_server: SmtpServer, clock: Clock) -> None:
        admitted(demo_engine, nationalities=("SLV",), counsel=False)
        [owed] = rows(demo_engine)
        clock.now = owed.created_at + timedelta(minutes=5)
        worker.run_once(demo_engine, delivery(smtp_server.port), clock=clock)
        clock.now = owed.created_at + timedelta(days=3)
        assert late(demo_engine, clock).count == 0

    def test_subscriptions_are_not_a_duty(self, demo_engine: Engine, clock: Clock) -> None:
        from tests.notify.test_subscriptions import subscribe

        person = admitted(demo_engine, nationalities=("SLV",), counsel=False, contacts=[])
        subscribe(demo_engine, person)
        clock.now = rows(demo_engine)[0].created_at + timedelta(days=30)
        assert late(demo_engine, clock).count == 0
