"""The two clocks (DESIGN.md §12.2): occurred_at is a claim, recorded_at is a fact.

One test per reproduction of issue 17 item 4, on SQLite and PostgreSQL: a claimed
time in the future, a late act with and without its reason, notice served before the
nomination existed or on a day to come, a departure backdated around a court order,
a backdated act named by the integrity report, notice counted from its recording;
and the injected clock the demo lives on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.agreements.models import Agreement
from habeas.app import create_app
from habeas.clock import simulated, utcnow
from habeas.config import get_settings
from habeas.custody import integrity
from habeas.db import read_session, unit_of_work
from habeas.errors import ValidationFailed
from habeas.events import check_claim
from habeas.holds import service as holds
from habeas.ledger.leaf import envelope, leaf_bytes
from habeas.ledger.models import Event
from habeas.nominations import decisions
from habeas.nominations import service as nominations
from habeas.nominations.models import NominationRecord
from habeas.transfers import service as transfers
from tests.api.conftest import bearer
from tests.conftest import log_in_as
from tests.factories import a_token, refused
from tests.screening.factories import nomination
from tests.transfers.factories import (
    DEPARTS,
    LANDS,
    accepted_people,
    approved,
    arrived,
    departed,
    hand_over_both,
    handover,
    manifest_body,
)

# Issue 17's reproductions, on both engines: the two clocks are compared in SQL
# on each engine (time zones, ordering).
pytestmark = pytest.mark.both_engines

WINDOW_HOURS = 72


@pytest.fixture
def late_window(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """late_window: the default 72-hour window in force (the suite's fixtures widen it)."""
    monkeypatch.setenv("HABEAS_LATE_WINDOW_HOURS", str(WINDOW_HOURS))
    get_settings.cache_clear()
    yield WINDOW_HOURS
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def client(demo_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(demo_engine), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def tokens(client: TestClient, demo_engine: Engine) -> dict[str, str]:
    return {name: a_token(demo_engine, name) for name in ("us.officer", "sv.warden")}


def _tro(external_ref: str, issued: date, ref: str = "1:26-cv-00001-TRO") -> holds.Hold:
    return holds.parse_hold({
        "hold_ref": ref, "court": "U.S. District Court for D.C.", "kind": "tro",
        "issued": issued.isoformat(), "expires": None,
        "scope": {"external_ref": external_ref}, "bars_removal_to": "any"})


def _line(engine: Engine, check: str) -> integrity.Line:
    with read_session(engine) as s:
        lines = {line.check: line for line in integrity.report(s, utcnow().date()).lines}
    return lines[check]


class TestInjectedClock:
    def test_outside_a_simulation_it_is_the_wall_clock(self) -> None:
        before = datetime.now(UTC)
        now = utcnow()
        assert before <= now <= datetime.now(UTC)

    def test_it_never_goes_back_and_ends_with_its_block(self) -> None:
        start = datetime(2025, 4, 10, 13, tzinfo=UTC)
        with simulated(start) as clock:
            assert utcnow() == start
            clock.set(start + timedelta(hours=2))
            clock.set(start)  # earlier: the clock stays where it is
            assert utcnow() == start + timedelta(hours=2)
            clock.advance(timedelta(minutes=-5))
            assert utcnow() == start + timedelta(hours=2)
            with pytest.raises(ValueError, match="time zone"):
                clock.set(datetime(2025, 4, 11, 9))
        assert utcnow().year >= 2026


class TestClaimedTime:
    def test_a_departure_claimed_in_the_future_is_refused(self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "F-1")
        manifest_id = approved(demo_engine, people)
        error = refused(demo_engine, lambda s: transfers.depart(
            s, manifest_id, departed_at=utcnow() + timedelta(hours=1), actor="user:us.officer",
            party="USA"), "occurred_in_future")
        assert error.details["field"] == "departed_at"

    def test_within_the_clock_skew_a_claim_ahead_is_accepted(self) -> None:
        skew = get_settings().clock_skew_seconds
        assert skew == 300
        check_claim("transfer.departed", utcnow() + timedelta(seconds=skew - 30), None,
                    field="departed_at")
        with pytest.raises(ValidationFailed) as caught:
            check_claim("transfer.departed", utcnow() + timedelta(seconds=skew + 30), None,
                        field="departed_at")
        assert caught.value.code == "occurred_in_future"


class TestLateEntries:
    def test_a_late_act_needs_a_reason_then_is_kept_and_listed(
            self, demo_engine: Engine, late_window: int) -> None:
        people = accepted_people(demo_engine, "L-1")
        manifest_id = approved(demo_engine, people)
        error = refused(demo_engine, lambda s: transfers.depart(
            s, manifest_id, departed_at=datetime.fromisoformat(DEPARTS),
            actor="user:us.officer", party="USA"), "late_reason_required")
        assert error.details["field"] == "late_reason"
        assert error.details["window_hours"] == late_window
        reason = "entered from the paper manifest after the network outage"
        with unit_of_work(demo_engine) as s:
            boarded, _ = transfers.depart(s, manifest_id,
                                          departed_at=datetime.fromisoformat(DEPARTS),
                                          actor="user:us.officer", party="USA",
                                          late_reason=reason)
        assert boarded == people
        with read_session(demo_engine) as s:
            event = s.scalars(select(Event).where(Event.type == "transfer.departed")).one()
            first = s.get_one(Event, 0)
            # The reason is in the public leaf; a leaf without one keeps its old bytes.
            assert envelope(event)["late_reason"] == reason
            assert json.loads(leaf_bytes(event))["late_reason"] == reason
            assert "late_reason" not in envelope(first)
        line = _line(demo_engine, "late_entry")
        assert line.count == 1 and line.events == [event.seq]
        assert reason in line.notes[0]

    def test_each_kind_may_have_its_own_window(self, late_window: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        ten_days_ago = utcnow() - timedelta(days=10)
        with pytest.raises(ValidationFailed) as caught:
            check_claim("intake.recorded", ten_days_ago, None, field="at")
        assert caught.value.code == "late_reason_required"
        monkeypatch.setenv("HABEAS_LATE_WINDOWS", '{"intake.recorded": 360}')
        get_settings.cache_clear()
        check_claim("intake.recorded", ten_days_ago, None, field="at")  # 15 days allowed
        with pytest.raises(ValidationFailed):
            check_claim("transfer.departed", ten_days_ago, None, field="departed_at")

    def test_a_late_reason_is_trimmed_text(self, demo_engine: Engine,
                                           late_window: int) -> None:
        people = accepted_people(demo_engine, "L-2")
        manifest_id = approved(demo_engine, people)
        error = refused(demo_engine, lambda s: transfers.depart(
            s, manifest_id, departed_at=datetime.fromisoformat(DEPARTS),
            actor="user:us.officer", party="USA", late_reason="   "), "invalid_event")
        assert error.details["field"] == "late_reason"

    def test_the_api_takes_the_reason(self, client: TestClient, tokens: dict[str, str],
                                      demo_engine: Engine, late_window: int) -> None:
        people = accepted_people(demo_engine, "L-3")
        manifest_id = approved(demo_engine, people)
        url = f"/api/v1/transfers/{manifest_id}/depart"
        officer = bearer(tokens["us.officer"])
        late = client.post(url, headers=officer, json={"departed_at": DEPARTS})
        assert late.status_code == 422, late.text
        assert late.json()["error"]["code"] == "late_reason_required"
        kept = client.post(url, headers=officer, json={
            "departed_at": DEPARTS, "late_reason": "paper manifest entered a year on"})
        assert kept.status_code == 200, kept.text
        assert kept.json()["boarded"] == people


    def test_the_api_takes_the_reason_for_each_states_part_of_a_handover(
            self, client: TestClient, tokens: dict[str, str], demo_engine: Engine,
            monkeypatch: pytest.MonkeyPatch) -> None:
        people = accepted_people(demo_engine, "L-5")
        manifest_id = arrived(demo_engine, people)  # on the suite's wide window
        monkeypatch.setenv("HABEAS_LATE_WINDOW_HOURS", str(WINDOW_HOURS))
        get_settings.cache_clear()
        url = f"/api/v1/transfers/{manifest_id}/handover"
        part = {"public_id": people[0], "handed_over_at": LANDS}
        for name in ("us.officer", "sv.warden"):
            late = client.post(url, headers=bearer(tokens[name]), json=part)
            assert late.status_code == 422, late.text
            assert late.json()["error"]["code"] == "late_reason_required"
            kept = client.post(url, headers=bearer(tokens[name]), json={
                **part, "late_reason": "entered from the paper handover sheet"})
            assert kept.status_code == 201, kept.text
        assert sorted(kept.json()["parts"]) == ["receiving", "sending"]
        get_settings.cache_clear()


    def test_the_departure_form_asks_why_next_to_the_field(
            self, client: TestClient, demo_engine: Engine, late_window: int) -> None:
        people = accepted_people(demo_engine, "L-4")
        manifest_id = approved(demo_engine, people)
        csrf = log_in_as(client, "us.officer")
        url = f"/transfers/{manifest_id}/depart"
        page = client.post(url, data={"csrf": csrf, "departed_at": "2025-04-10T13:00"})
        assert page.status_code == 422
        assert 'id="departed_late_reason" name="late_reason"' in page.text
        assert 'data-testid="departed-error"' in page.text
        assert 'value="2025-04-10T13:00"' in page.text  # what was entered, kept
        done = client.post(url, data={"csrf": csrf, "departed_at": "2025-04-10T13:00",
                                      "late_reason": "from the paper log"},
                           follow_redirects=False)
        assert done.status_code == 303, done.text
        with read_session(demo_engine) as s:
            event = s.scalars(select(Event).where(Event.type == "transfer.departed")).one()
        assert event.late_reason == "from the paper log"


class TestCausalOrder:
    def test_notice_served_before_the_nomination_existed_is_refused(
            self, client: TestClient, tokens: dict[str, str], demo_engine: Engine) -> None:
        [public_id] = accepted_people(demo_engine, "C-1", notice=False)  # nominated 5 Mar 2025
        response = client.post(f"/api/v1/nominations/{public_id}/notice",
                               headers=bearer(tokens["us.officer"]), json={
                                   "served_on": "2025-02-10", "language": "es",
                                   "method": "in_person", "acknowledged": True})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "out_of_order"
        assert error["details"]["field"] == "served_on"

    def test_notice_served_on_a_day_to_come_is_refused(
            self, client: TestClient, tokens: dict[str, str], demo_engine: Engine) -> None:
        [public_id] = accepted_people(demo_engine, "C-2", notice=False)
        tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
        response = client.post(f"/api/v1/nominations/{public_id}/notice",
                               headers=bearer(tokens["us.officer"]), json={
                                   "served_on": tomorrow, "language": "es",
                                   "method": "in_person", "acknowledged": True})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "occurred_in_future"
        assert response.json()["error"]["details"]["field"] == "served_on"

    def test_a_flight_planned_before_the_nomination_is_refused(self,
                                                              demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "C-3")  # nominated 5 March 2025, 12:00
        body = manifest_body(people, departs="2025-03-05T08:00:00+00:00",
                             lands="2025-03-05T12:00:00+00:00")
        error = refused(demo_engine, lambda s: transfers.plan(
            s, body, actor="user:sv.warden", party="SLV"), "out_of_order")
        assert error.details["field"] == "legs.0.departs_at"

    def test_a_departure_before_the_nomination_is_refused(self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "C-4")  # nominated 5 March 2025, 12:00
        with unit_of_work(demo_engine) as s:
            manifest_id = transfers.plan(s, manifest_body(
                people, departs="2025-03-05T13:00:00+00:00",
                lands="2025-03-05T17:00:00+00:00"), actor="user:sv.warden", party="SLV").id
            transfers.approve(s, manifest_id, actor="user:us.officer", party="USA")
        error = refused(demo_engine, lambda s: transfers.depart(
            s, manifest_id, departed_at=datetime(2025, 3, 5, 10, tzinfo=UTC),
            actor="user:us.officer", party="USA"), "out_of_order")
        assert error.details["field"] == "departed_at"

    def test_acceptance_dated_before_the_nomination_is_refused(self,
                                                               demo_engine: Engine) -> None:
        with simulated(datetime(2025, 3, 6, 9, tzinfo=UTC)), unit_of_work(demo_engine) as s:
            [row] = nominations.import_rows(s, s.get_one(Agreement, "USA-SLV-2025"), [
                nominations.Row(1, nomination(external_ref="C-5").model_dump(mode="json"))],
                as_of=date(2025, 3, 6), actor="test")
        assert row.public_id is not None
        public_id = row.public_id
        error = refused(demo_engine, lambda s: decisions.accept(
            s, s.get_one(NominationRecord, public_id), on=date(2025, 3, 5),
            actor="user:sv.warden", party="SLV"), "out_of_order")
        assert error.details["field"] == "on"

    def test_an_arrival_before_the_departure_is_out_of_order(self,
                                                             demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "C-6")
        manifest_id, _, _ = departed(demo_engine, people)
        error = refused(demo_engine, lambda s: transfers.arrive(
            s, manifest_id, arrived_at=datetime.fromisoformat(DEPARTS) - timedelta(hours=1),
            actor="user:sv.warden", party="SLV"), "out_of_order")
        assert error.details["field"] == "arrived_at"


class TestGatesAtRecording:
    def test_a_departure_backdated_before_a_registered_tro_is_refused(
            self, demo_engine: Engine) -> None:
        """The reproduction: a TRO is registered (issued today), then the departure is
        recorded with a departed_at before it. At the claimed time no order was in force;
        at the recording one was on record, so the person does not board."""
        people = accepted_people(demo_engine, "G-1")
        manifest_id = approved(demo_engine, people)
        with unit_of_work(demo_engine) as s:
            holds.register(s, _tro("G-1", utcnow().date()), actor="user:counsel", party=None,
                           as_of=utcnow().date())
        with unit_of_work(demo_engine) as s:
            boarded, removed = transfers.depart(
                s, manifest_id, departed_at=datetime.fromisoformat(DEPARTS),
                actor="user:us.officer", party="USA")
        assert boarded == []
        assert [r["public_id"] for r in removed] == people
        assert "NO_LEGAL_HOLD" in removed[0]["reason"]
        assert "on record when the departure was recorded" in removed[0]["reason"]
        with read_session(demo_engine) as s:
            assert s.get_one(NominationRecord, people[0]).status == "accepted"
            assert not s.scalars(select(Event).where(Event.type == "transfer.departed")).all()

    def test_a_backdated_departure_that_fails_a_gate_is_named(self,
                                                              demo_engine: Engine) -> None:
        """Detected where it could not be refused: when the departure was recorded no
        order was on record; one issued before its claimed day is registered after it."""
        people = accepted_people(demo_engine, "G-2", "G-3")
        manifest_id = approved(demo_engine, people)
        with unit_of_work(demo_engine) as s:
            boarded, _ = transfers.depart(s, manifest_id,
                                          departed_at=datetime.fromisoformat(DEPARTS),
                                          actor="user:us.officer", party="USA")
        assert sorted(boarded) == sorted(people)
        with unit_of_work(demo_engine) as s:  # landed and handed over, no longer in flight
            transfers.arrive(s, manifest_id, arrived_at=datetime.fromisoformat(LANDS),
                             actor="user:sv.warden", party="SLV")
            for public_id in people:
                hand_over_both(s, manifest_id, handover(public_id))
        assert _line(demo_engine, "backdated_past_gate").count == 0
        with unit_of_work(demo_engine) as s:
            holds.register(s, _tro("G-2", date(2025, 4, 1)), actor="user:counsel",
                           party=None, as_of=utcnow().date())
        g2 = next(p for p in people
                  if _external_ref(demo_engine, p) == "G-2")
        line = _line(demo_engine, "backdated_past_gate")
        with read_session(demo_engine) as s:
            departed = s.scalars(select(Event.seq).where(
                Event.type == "transfer.departed")).one()
        assert line.count == 1 and line.people == [g2] and line.events == [departed]
        assert "NO_LEGAL_HOLD" in line.notes[0] and "2025-04-10" in line.notes[0]


def _external_ref(engine: Engine, public_id: str) -> str:
    with read_session(engine) as s:
        return s.get_one(NominationRecord, public_id).external_ref


class TestNoticeFromRecording:
    def test_short_notice_is_counted_from_when_the_notice_was_recorded(
            self, demo_engine: Engine) -> None:
        """Notice typed as served on 5 March but recorded on 1 April: the departure on
        10 April passes the gate on served_on (36 days) but had 9 days from the record."""
        people = accepted_people(demo_engine, "N-1", "N-2", notice=False)
        late, kept = people
        for public_id, recorded_on in ((late, datetime(2025, 4, 1, 9, tzinfo=UTC)),
                                       (kept, datetime(2025, 3, 5, 15, tzinfo=UTC))):
            with simulated(recorded_on), unit_of_work(demo_engine) as s:
                decisions.serve_notice(s, s.get_one(NominationRecord, public_id),
                                       served_on=date(2025, 3, 5), language="es",
                                       method="in_person", acknowledged=True,
                                       actor="user:us.officer", party="USA")
        manifest_id = approved(demo_engine, people)
        with unit_of_work(demo_engine) as s:
            boarded, _ = transfers.depart(s, manifest_id,
                                          departed_at=datetime.fromisoformat(DEPARTS),
                                          actor="user:us.officer", party="USA")
        assert sorted(boarded) == sorted(people)
        assert _line(demo_engine, "short_notice").count == 0  # on served_on, it passes
        line = _line(demo_engine, "short_notice_recorded")
        assert line.count == 1 and line.people == [late]
        assert "recorded on 2025-04-01" in line.notes[0] and "9 day(s)" in line.notes[0]


class TestDemoRefusal:
    def test_the_demo_is_not_loaded_onto_a_log_past_its_story(self, engine: Engine) -> None:
        from habeas import demo
        from tests.factories import with_agreement

        with_agreement(engine)  # registered today, as `habeas init --profile` does
        error = refused(engine, lambda s: demo.load(s), "conflict")
        assert "load the demo into an empty database first" in error.message
