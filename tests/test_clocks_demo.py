"""The two clocks on the lived demo (DESIGN.md §12.2): the demo is recorded in its own
time and its timelines read in custody order; late records of acts in custody need their
reason; a return order registered late binds from its issue and says why.

Apart from tests/test_clocks.py because the lived demo is module-scoped: on PostgreSQL it
shares the session's database, which the function-scoped `engine` empties after each test.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.clock import utcnow
from habeas.config import get_settings
from habeas.custody.models import Prisoner
from habeas.custody.timeline import timeline
from habeas.db import read_session, unit_of_work
from habeas.holds import service as holds
from habeas.ledger.models import Event
from habeas.nominations.models import NominationRecord
from tests.api.conftest import bearer
from tests.factories import a_token


@pytest.fixture
def late_window(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """late_window: the default 72-hour window in force (the suite's fixtures widen it)."""
    monkeypatch.setenv("HABEAS_LATE_WINDOW_HOURS", "72")
    get_settings.cache_clear()
    yield 72
    monkeypatch.undo()
    get_settings.cache_clear()


def _story_end(engine: Engine) -> int:
    """_story_end: the demo's last event (its integrity run); what follows is the tests'."""
    with read_session(engine) as s:
        return s.scalars(select(Event.seq).where(Event.type == "integrity.recorded")
                         .order_by(Event.seq)).first() or 0


class TestDemoInTime:
    def test_the_demo_is_recorded_in_its_own_time(
            self, lived: tuple[TestClient, Engine]) -> None:
        """The lived demo (to 31 July 2025): every event recorded within the scenario, in
        log order, none claiming a time after its recording — nothing from 2025 recorded
        today. The second agreement the fixture adds afterwards is today's."""
        _, engine = lived
        with read_session(engine) as s:
            run = _story_end(engine)
            rows = s.execute(select(Event.seq, Event.occurred_at, Event.recorded_at)
                             .where(Event.seq <= run).order_by(Event.seq)).all()
        assert rows[0].recorded_at == datetime(2025, 2, 20, 9, tzinfo=UTC)
        assert rows[-1].recorded_at == datetime(2025, 7, 31, 23, tzinfo=UTC)
        assert all(a.recorded_at <= b.recorded_at for a, b in itertools.pairwise(rows))
        assert all(r.occurred_at <= r.recorded_at for r in rows)
        # And none late: the story writes each act when it happens.
        assert max(r.recorded_at - r.occurred_at for r in rows) < timedelta(hours=3)

    def test_a_person_s_timeline_reads_in_custody_order(
            self, lived: tuple[TestClient, Engine]) -> None:
        """Each transferee's timeline, in log order, is in the order things happened:
        nominated, accepted and served notice, flown, handed over, taken in, housed, their
        contacts and episodes after."""
        _, engine = lived
        end = _story_end(engine)
        with read_session(engine) as s:
            people = s.execute(select(Prisoner.public_id, NominationRecord.data)
                               .join(NominationRecord,
                                     NominationRecord.public_id == Prisoner.public_id)
                               .order_by(Prisoner.public_id).limit(25)).all()
            for public_id, data in people:
                entries = [e for e in timeline(s, public_id, data).entries if e.seq <= end]
                kinds = [e.type for e in entries]
                assert kinds.index("nomination.received") < kinds.index("transfer.departed") \
                    < kinds.index("custody.handed_over") < kinds.index("intake.recorded")
                moments = [e.occurred_at for e in entries]
                assert moments == sorted(moments), (public_id, list(zip(kinds, moments,
                                                                         strict=True)))


class TestLateRecords:
    def test_a_death_entered_days_later_needs_its_reason(
            self, lived: tuple[TestClient, Engine], late_window: int) -> None:
        client, engine = lived
        with read_session(engine) as s:
            person = s.scalars(select(Prisoner.public_id).where(
                Prisoner.kind == "transferee", Prisoner.status == "in_custody")
                .order_by(Prisoner.public_id)).first()
        assert person is not None
        warden = bearer(a_token(engine, "sv.warden"))
        body = {"died_at": (utcnow() - timedelta(days=5)).isoformat(),
                "place": "CECOT infirmary", "circumstances": "found at the count"}
        url = f"/api/v1/people/{person}/death"
        late = client.post(url, headers=warden, json=body)
        assert late.status_code == 422, late.text
        assert late.json()["error"]["code"] == "late_reason_required"
        ahead = client.post(url, headers=warden, json={
            **body, "died_at": (utcnow() + timedelta(hours=1)).isoformat()})
        assert ahead.json()["error"]["code"] == "occurred_in_future"
        assert ahead.json()["error"]["details"]["field"] == "died_at"
        kept = client.post(url, headers=warden, json={
            **body, "late_reason": "the night officer's report reached the registry today"})
        assert kept.status_code == 201, kept.text
        with read_session(engine) as s:
            event = s.get_one(Event, kept.json()["seq"])
        assert event.late_reason == "the night officer's report reached the registry today"

    def test_a_return_order_registered_late_binds_from_its_issue_and_says_why(
            self, lived: tuple[TestClient, Engine], late_window: int) -> None:
        """What an order obliges is dated from its issue (DESIGN.md §12.2); registered
        days later, the derived act is late and carries the order's own reason."""
        _, engine = lived
        with read_session(engine) as s:
            person, external_ref = s.execute(
                select(Prisoner.public_id, NominationRecord.external_ref)
                .join(NominationRecord, NominationRecord.public_id == Prisoner.public_id)
                .where(Prisoner.status == "in_custody").order_by(Prisoner.public_id)
                .offset(3)).first() or (None, None)
        assert person is not None
        issued = utcnow().date() - timedelta(days=10)
        with unit_of_work(engine) as s:
            holds.register(s, holds.parse_hold({
                "hold_ref": "RO-2026-LATE", "court": "U.S. District Court for D.C.",
                "kind": "return_order", "issued": issued.isoformat(), "expires": None,
                "scope": {"external_ref": external_ref}, "bars_removal_to": "any"}),
                actor="user:counsel", party=None, as_of=utcnow().date())
        with read_session(engine) as s:
            event = s.scalars(select(Event).where(
                Event.type == "custody.return_ordered", Event.subject == person)).one()
        assert event.occurred_at.date() <= issued + timedelta(days=1)
        assert event.late_reason == (f"court order RO-2026-LATE issued {issued}, "
                                     f"registered {utcnow().date()}")
