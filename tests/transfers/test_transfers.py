"""Manifests: planned → approved → departed → arrived; gates at departure; handover."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from habeas.custody.models import Alert, Prisoner
from habeas.db import read_session, unit_of_work
from habeas.holds import service as holds
from habeas.ledger.models import Event
from habeas.nominations.models import NominationRecord
from habeas.transfers import service as transfers
from habeas.transfers.models import ManifestPerson
from tests.factories import refused
from tests.transfers.factories import (
    DEPARTS,
    LANDS,
    accepted_people,
    approved,
    arrived,
    departed,
    handed_over,
    handover,
    manifest_body,
    planned,
    status_of,
)


class TestStateMachine:
    def test_a_manifest_goes_planned_approved_departed_arrived(self, demo_engine: Engine
                                                               ) -> None:
        people = accepted_people(demo_engine, "T-1", "T-2")
        manifest_id = planned(demo_engine, people)
        assert status_of(demo_engine, manifest_id) == "planned"
        with unit_of_work(demo_engine) as s:
            transfers.approve(s, manifest_id, actor="user:us.officer", party="USA")
            boarded, removed = transfers.depart(s, manifest_id,
                                                departed_at=datetime.fromisoformat(DEPARTS),
                                                actor="user:us.officer", party="USA")
        assert (sorted(boarded), removed) == (sorted(people), [])
        with read_session(demo_engine) as s:
            assert {s.get_one(NominationRecord, p).status for p in people} == {"in_transit"}
        with unit_of_work(demo_engine) as s:
            transfers.arrive(s, manifest_id, arrived_at=datetime.fromisoformat(LANDS),
                             actor="user:sv.warden", party="SLV")
        assert status_of(demo_engine, manifest_id) == "arrived"

    def test_an_unapproved_manifest_cannot_depart(self, demo_engine: Engine) -> None:
        manifest_id = planned(demo_engine, accepted_people(demo_engine, "T-1"))
        refused(demo_engine, lambda s: transfers.depart(
            s, manifest_id, departed_at=datetime.fromisoformat(DEPARTS), actor="x", party="USA"),
            "manifest_not_approved")
        assert status_of(demo_engine, manifest_id) == "planned"

    def test_no_step_backwards_or_twice(self, demo_engine: Engine) -> None:
        manifest_id, _, _ = departed(demo_engine, accepted_people(demo_engine, "T-1"))
        for step in (lambda s: transfers.approve(s, manifest_id, actor="x", party="USA"),
                     lambda s: transfers.cancel(s, manifest_id, reason="r", actor="x",
                                                party="SLV")):
            refused(demo_engine, step, "invalid_transition")

    def test_only_accepted_people_are_planned_and_never_on_two_manifests(
            self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "T-1")
        planned(demo_engine, people)
        refused(demo_engine, lambda s: transfers.plan(
            s, manifest_body(people), actor="x", party="SLV"), "conflict")
        with unit_of_work(demo_engine) as s:
            from habeas.agreements.models import Agreement
            from habeas.nominations import service as nominations
            from tests.screening.factories import nomination

            [result] = nominations.import_rows(
                s, s.get_one(Agreement, "USA-SLV-2025"), [nominations.Row(1, nomination(
                    external_ref="T-9").model_dump(mode="json"))], as_of=datetime(2025, 3, 1)
                .date(), actor="test")
        refused(demo_engine, lambda s: transfers.plan(
            s, manifest_body([str(result.public_id)]), actor="x", party="SLV"), "not_accepted")

    def test_a_cancelled_manifest_frees_its_people_for_another(self, demo_engine: Engine
                                                               ) -> None:
        people = accepted_people(demo_engine, "T-1")
        first = approved(demo_engine, people)
        with unit_of_work(demo_engine) as s:
            transfers.cancel(s, first, reason="aircraft unserviceable", actor="x", party="SLV")
        assert status_of(demo_engine, first) == "cancelled"
        assert status_of(demo_engine, planned(demo_engine, people)) == "planned"


class TestDepartureGates:
    def test_a_court_order_minutes_before_departure_takes_that_person_off(
            self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "T-1", "T-2", "T-3")
        manifest_id = approved(demo_engine, people)
        with unit_of_work(demo_engine) as s:
            holds.register(s, holds.parse_hold({
                "hold_ref": "STAY-1", "court": "5th Cir.", "kind": "stay",
                "issued": "2025-04-10", "expires": None, "scope": {"external_ref": "T-2"},
                "bars_removal_to": "any"}), actor="user:counsel", party=None,
                as_of=datetime(2025, 4, 10).date())
            boarded, removed = transfers.depart(s, manifest_id,
                                                departed_at=datetime.fromisoformat(DEPARTS),
                                                actor="user:us.officer", party="USA")
        assert len(boarded) == 2
        assert [r["public_id"] for r in removed] == [people[1]]
        assert "NO_LEGAL_HOLD" in removed[0]["reason"] and "STAY-1" in removed[0]["reason"]
        with read_session(demo_engine) as s:
            entry = s.get_one(ManifestPerson, (manifest_id, people[1]))
            assert entry.status == "removed"
            assert {g["rule"]: g["outcome"] for g in entry.gates}["NO_LEGAL_HOLD"] == "fail"
            assert s.get_one(NominationRecord, people[1]).status == "accepted"

    def test_notice_served_too_late_stops_the_person(self, demo_engine: Engine) -> None:
        late = accepted_people(demo_engine, "T-1", notice=False)
        manifest_id = approved(demo_engine, late)
        with unit_of_work(demo_engine) as s:
            from habeas.nominations import decisions

            decisions.serve_notice(s, s.get_one(NominationRecord, late[0]),
                                   served_on=datetime(2025, 4, 1).date(), language="es",
                                   method="in_person", acknowledged=True, actor="x",
                                   party="USA")
            boarded, removed = transfers.depart(s, manifest_id,
                                                departed_at=datetime.fromisoformat(DEPARTS),
                                                actor="x", party="USA")
        assert boarded == []
        assert "NOTICE: notice served 9 day(s) before departure; 30 required" in \
            removed[0]["reason"]
        # Nobody passed: the flight is cancelled rather than departing empty.
        assert status_of(demo_engine, manifest_id) == "cancelled"


class TestCourtOrderInFlight:
    def test_marks_its_people_return_required_and_alerts_both_states(
            self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "T-1", "T-2")
        manifest_id, _, _ = departed(demo_engine, people)
        with unit_of_work(demo_engine) as s:
            holds.register(s, holds.parse_hold({
                "hold_ref": "TRO-AIR", "court": "D.D.C.", "kind": "tro", "issued": "2025-04-10",
                "expires": None, "scope": {"external_ref": "T-1"}, "bars_removal_to": "any"}),
                actor="user:counsel", party=None, as_of=datetime(2025, 4, 10).date())
        with read_session(demo_engine) as s:
            assert s.get_one(ManifestPerson, (manifest_id, people[0])).status == \
                "return_required"
            assert s.get_one(ManifestPerson, (manifest_id, people[1])).status == "departed"
            alerts = list(s.scalars(select(Alert)))
        assert {a.party for a in alerts} == {"USA", "SLV"}
        assert all(a.subject == people[0] and "TRO-AIR" in a.message for a in alerts)
        with unit_of_work(demo_engine) as s:
            transfers.arrive(s, manifest_id, arrived_at=datetime.fromisoformat(LANDS),
                             actor="x", party="SLV")
        refused(demo_engine, lambda s: transfers.hand_over(
            s, manifest_id, handover(people[0]), officer="x", actor="x", party="SLV"),
            "return_required")
        from habeas.custody import integrity

        def not_returned() -> int:
            with read_session(demo_engine) as s:
                [line] = [x for x in integrity.report(s, datetime(2025, 4, 11).date()).lines
                          if x.check == "return_overdue"]
            return line.count

        assert not_returned() == 1
        refused(demo_engine, lambda s: transfers.return_from_transit(
            s, manifest_id, people[1], returned_at=datetime.fromisoformat(LANDS), officer="A",
            actor="x", party="USA"), "invalid_transition")  # T-2 was not stopped
        with unit_of_work(demo_engine) as s:
            transfers.return_from_transit(s, manifest_id, people[0],
                                          returned_at=datetime.fromisoformat(LANDS),
                                          officer="Officer Castillo (ICE)", actor="x",
                                          party="USA")
        with read_session(demo_engine) as s:
            assert s.get_one(NominationRecord, people[0]).status == "returned"
        assert not_returned() == 0


class TestHandover:
    def test_one_event_per_person_with_both_officers_and_split_custody(
            self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "T-1", "T-2")
        manifest_id = handed_over(demo_engine, people)
        with read_session(demo_engine) as s:
            kinds = list(s.scalars(select(Event.subject).where(
                Event.type == "custody.handed_over").order_by(Event.seq)))
            prisoner = s.get_one(Prisoner, people[0])
            entry = s.get_one(ManifestPerson, (manifest_id, people[0]))
        assert kinds == people
        assert (prisoner.legal_custodian, prisoner.physical_custodian) == ("USA", "CECOT")
        assert prisoner.status == "handed_over"
        assert (entry.sending_officer, entry.receiving_officer) == (
            "Officer Castillo (ICE)", "Subinspector Portillo (DGCP)")

    def test_a_person_not_on_the_manifest_is_refused(self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "T-1", "T-2")
        manifest_id = arrived(demo_engine, people[:1])
        refused(demo_engine, lambda s: transfers.hand_over(
            s, manifest_id, handover(people[1]), officer="x", actor="x", party="SLV"),
            "not_on_manifest")

    def test_no_handover_before_arrival(self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "T-1")
        manifest_id, _, _ = departed(demo_engine, people)
        refused(demo_engine, lambda s: transfers.hand_over(
            s, manifest_id, handover(people[0]), officer="x", actor="x", party="SLV"),
            "invalid_transition")
