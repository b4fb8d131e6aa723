"""Events in custody and the integrity report that watches them (DESIGN.md §5, §9)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from habeas.agreements import service as agreements
from habeas.custody import integrity, records
from habeas.custody.models import Alert, IntegrityRun, Prisoner
from habeas.db import read_session, unit_of_work
from habeas.holds import service as holds
from habeas.ledger.models import Event
from habeas.transfers import service as transfers
from tests.custody.test_intake import intake, take_in
from tests.custody.test_population import admit, row
from tests.factories import refused
from tests.transfers.factories import (
    accepted_people,
    hand_back_both,
    handed_over,
    handover,
    manifest_body,
)

ON = date(2025, 5, 1)


def moment(day: date, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day.isoformat()}T{hour:02d}:00:00+00:00")


def line(engine: Engine, check: str, on: date = ON, **kw: Any) -> integrity.Line:
    with read_session(engine) as s:
        [found] = [x for x in integrity.report(s, on, **kw).lines if x.check == check]
    return found


@pytest.fixture
def transferee(demo_engine: Engine) -> str:
    """transferee: one accepted man, flown, handed over and taken in (10 April 2025)."""
    [person] = accepted_people(demo_engine, "T-1")
    handed_over(demo_engine, [person])
    take_in(demo_engine, person, intake())
    return person


class TestDeath:
    def test_starts_its_duties_alerts_both_states_and_cannot_happen_twice(
            self, demo_engine: Engine, transferee: str) -> None:
        with unit_of_work(demo_engine) as s:
            death = records.record_death(s, transferee, died_at=moment(ON), place="M8/8-01",
                                         circumstances="found unresponsive", actor="x", party="SLV")
        assert any("Rule 71" in o for o in death.obligations)
        with read_session(demo_engine) as s:
            assert s.get_one(Prisoner, transferee).status == "died"
            assert {a.party for a in s.scalars(select(Alert).where(Alert.kind == "death"))} \
                == {"USA", "SLV"}
        refused(demo_engine, lambda s: records.record_death(
            s, transferee, died_at=moment(ON), place="x", circumstances="y", actor="x",
            party="SLV"),
            "invalid_transition")
        assert line(demo_engine, "death_without_investigation").count == 1
        with unit_of_work(demo_engine) as s:
            records.record_death_investigation(s, transferee, body="Fiscalía General",
                                               reference="FGR-2025-1", opened_on=ON, actor="x",
                                               party="SLV")
        assert line(demo_engine, "death_without_investigation").count == 0


class TestEscape:
    def test_escape_and_return_to_custody(self, demo_engine: Engine, transferee: str) -> None:
        with unit_of_work(demo_engine) as s:
            records.record_escape(s, transferee, at=moment(ON), circumstances="", actor="x",
                                  party="SLV")
        refused(demo_engine, lambda s: records.record_escape(
            s, transferee, at=moment(ON), circumstances="", actor="x",
            party="SLV"), "invalid_transition")
        with unit_of_work(demo_engine) as s:
            records.record_recapture(s, transferee, at=moment(ON + timedelta(days=2)),
                                     circumstances="found in Tecoluca", actor="x", party="SLV")
        with read_session(demo_engine) as s:
            prisoner = s.get_one(Prisoner, transferee)
        assert (prisoner.status, prisoner.cell_code) == ("taken_in", None)


class TestSolitary:
    def test_over_15_days_is_flagged_until_independently_reviewed(
            self, demo_engine: Engine, transferee: str) -> None:
        start = moment(ON - timedelta(days=20))
        with unit_of_work(demo_engine) as s:
            seq = records.start_solitary(s, transferee, at=start, authorised_by="Director Ruiz",
                                         reason="fight", actor="x", party="SLV")
        refused(demo_engine, lambda s: records.start_solitary(
            s, transferee, at=start, authorised_by="a", reason="b", actor="x", party="SLV"),
            "invalid_transition")
        refused(demo_engine, lambda s: records.end_solitary(  # causal order (§12.2)
            s, transferee, at=start - timedelta(days=1), actor="x",
            party="SLV"), "out_of_order")
        flagged = line(demo_engine, "prolonged_solitary")
        assert flagged.count == 1 and "NO independent review" in flagged.notes[0]
        assert "(ongoing)" in flagged.notes[0]
        refused(demo_engine, lambda s: records.review_solitary(
            s, seq, reviewer="Director Ruiz", outcome="fine", actor="x"), "validation_failed")
        with unit_of_work(demo_engine) as s:
            records.review_solitary(s, seq, reviewer="Procuraduría (PDDH)",
                                    outcome="end it today", actor="x")
            records.end_solitary(s, transferee, at=moment(ON), actor="x", party="SLV")
        assert "reviewed by Procuraduría" in line(demo_engine, "prolonged_solitary").notes[0]

    def test_15_days_exactly_is_not_prolonged(self, demo_engine: Engine,
                                             transferee: str) -> None:
        with unit_of_work(demo_engine) as s:
            records.start_solitary(s, transferee, at=moment(ON - timedelta(days=15)),
                                   authorised_by="a", reason="b", actor="x", party="SLV")
            records.end_solitary(s, transferee, at=moment(ON), actor="x", party="SLV")
        assert line(demo_engine, "prolonged_solitary").count == 0


class TestContact:
    def test_family_contact_is_measured(self, demo_engine: Engine, transferee: str) -> None:
        june = date(2025, 6, 1)  # admitted 10 April: over 30 days without family contact
        assert line(demo_engine, "no_family_contact", june).count == 1
        with unit_of_work(demo_engine) as s:
            records.record_contact(s, transferee, kind="legal", mode="visit",
                                   on=date(2025, 5, 28), with_whom="counsel", actor="x",
                                   party="SLV")
        assert line(demo_engine, "no_family_contact", june).count == 1  # legal is not family
        with unit_of_work(demo_engine) as s:
            records.record_contact(s, transferee, kind="family", mode="call",
                                   on=date(2025, 5, 28), with_whom="Ana López (mother)",
                                   actor="x", party="SLV")
        assert line(demo_engine, "no_family_contact", june).count == 0
        refused(demo_engine, lambda s: records.record_contact(
            s, transferee, kind="pen pal", mode="call", on=ON, with_whom="x", actor="x",
            party="SLV"),
            "validation_failed")


class TestTermsAndReleaseDates:
    def test_held_past_the_term_without_a_renewal(self, demo_engine: Engine,
                                                  transferee: str) -> None:
        after_term = date(2026, 4, 1)  # the agreement ran 15 March 2025 – 14 March 2026
        with unit_of_work(demo_engine) as s:
            records.set_release_date(s, transferee, sentence_expiry=date(2030, 1, 1),
                                     release_date=date(2029, 12, 31), working=["w"], actor="x",
                                     party="SLV")
        assert line(demo_engine, "past_agreement_term", after_term).count == 1
        refused(demo_engine, lambda s: agreements.renew_term(
            s, transferee, until=date(2031, 1, 1), reason="notes", actor="x", party="SLV"),
            "validation_failed")  # never past the release date
        with unit_of_work(demo_engine) as s:
            proposal = agreements.renew_term(s, transferee, until=date(2027, 3, 14),
                                          reason="exchange of notes 2026-03-01", actor="x",
                                          party="SLV").seq
        # Proposed by one state only: the person is still held past the term (§12.1).
        assert line(demo_engine, "past_agreement_term", after_term).count == 1
        with unit_of_work(demo_engine) as s:
            agreements.accept_change(s, "USA-SLV-2025", proposal, actor="user:us.officer",
                                     party="USA")
        assert line(demo_engine, "past_agreement_term", after_term).count == 0

    def test_held_past_the_release_date(self, demo_engine: Engine, transferee: str) -> None:
        with unit_of_work(demo_engine) as s:
            records.set_release_date(s, transferee, sentence_expiry=ON, release_date=ON,
                                     working=["w"], actor="x", party="SLV")
        assert line(demo_engine, "past_release_date", ON).count == 0
        late = line(demo_engine, "past_release_date", ON + timedelta(days=1))
        assert late.count == 1 and late.people == [transferee]


class TestRelease:
    def test_a_return_manifest_hands_the_person_back(self, demo_engine: Engine,
                                                     transferee: str) -> None:
        body = manifest_body([transferee], departs="2025-06-01T13:00:00+00:00",
                             lands="2025-06-01T17:00:00+00:00")
        with unit_of_work(demo_engine) as s:
            manifest = transfers.plan_return(s, body, outcome="released", actor="x", party="SLV")
            transfers.approve(s, manifest.id, actor="x", party="USA")
            transfers.depart(s, manifest.id, departed_at=moment(date(2025, 6, 1), 13),
                             actor="x", party="USA")
        with read_session(demo_engine) as s:
            assert s.get_one(Prisoner, transferee).status == "returning"
        with unit_of_work(demo_engine) as s:
            transfers.arrive(s, manifest.id, arrived_at=moment(date(2025, 6, 1), 17), actor="x",
                             party="SLV")
            hand_back_both(s, manifest.id, handover(
                transferee, handed_over_at="2025-06-01T18:00:00+00:00"))
        with read_session(demo_engine) as s:
            prisoner = s.get_one(Prisoner, transferee)
        assert (prisoner.status, prisoner.physical_custodian) == ("released", "USA")
        refused(demo_engine, lambda s: transfers.plan_return(
            s, body, outcome="released", actor="x", party="SLV"), "invalid_transition")

    def test_a_stay_cannot_end_before_it_began(self, demo_engine: Engine,
                                               transferee: str) -> None:
        # The transferee was handed over on 10 April 2025; a receipt dated earlier would
        # make a stay end before it began (and bill nothing, or fail reconciliation).
        body = manifest_body([transferee], departs="2025-04-09T13:00:00+00:00",
                             lands="2025-04-09T17:00:00+00:00")
        with unit_of_work(demo_engine) as s:
            manifest = transfers.plan_return(s, body, outcome="released", actor="x", party="SLV")
            transfers.approve(s, manifest.id, actor="x", party="USA")
            transfers.depart(s, manifest.id, departed_at=moment(date(2025, 4, 9), 13),
                             actor="x", party="USA")
            transfers.arrive(s, manifest.id, arrived_at=moment(date(2025, 4, 9), 17),
                             actor="x", party="SLV")
        error = refused(demo_engine, lambda s: hand_back_both(
            s, manifest.id, handover(transferee, handed_over_at="2025-04-09T18:00:00+00:00")),
            "validation_failed")
        assert error.details["field"] == "handed_over_at"
        assert "before" in error.message and transferee in error.message

    def test_going_home_after_the_term_is_never_barred(self, demo_engine: Engine,
                                                       transferee: str) -> None:
        # The agreement's term ended on 14 March 2026; a return flight after it still goes.
        body = manifest_body([transferee], departs="2026-04-01T13:00:00+00:00",
                             lands="2026-04-01T17:00:00+00:00")
        with unit_of_work(demo_engine) as s:
            manifest = transfers.plan_return(s, body, outcome="returned", actor="x", party="SLV")
            transfers.approve(s, manifest.id, actor="x", party="USA")
            boarded, _ = transfers.depart(s, manifest.id,
                                          departed_at=moment(date(2026, 4, 1), 13), actor="x",
                                          party="USA")
        assert boarded == [transferee]

    def test_a_return_order_sets_a_deadline(self, demo_engine: Engine, transferee: str) -> None:
        with unit_of_work(demo_engine) as s:
            holds.register(s, holds.parse_hold({
                "hold_ref": "RET-1", "court": "D. Md.", "kind": "return_order",
                "issued": "2025-04-20", "expires": None, "scope": {"external_ref": "T-1"},
                "bars_removal_to": "any"}), actor="x", party=None, as_of=date(2025, 4, 20))
        with read_session(demo_engine) as s:
            prisoner = s.get_one(Prisoner, transferee)
        assert (prisoner.status, prisoner.return_deadline) == ("return_required",
                                                               date(2025, 5, 4))
        assert line(demo_engine, "return_overdue", date(2025, 5, 4)).count == 0
        assert line(demo_engine, "return_overdue", date(2025, 5, 5)).count == 1


class TestIntegrityReport:
    def test_a_clean_facility_reports_every_check_with_a_zero(self, demo_engine: Engine,
                                                              transferee: str) -> None:
        with unit_of_work(demo_engine) as s:
            records.record_contact(s, transferee, kind="family", mode="visit", on=ON,
                                   with_whom="mother", actor="x", party="SLV")
            result = integrity.report(s, ON)
        assert len(result.lines) == 17  # 13, one person one nomination, the two clocks' three
        assert {x.check: x.count for x in result.lines if x.count} == {}
        assert result.population == 1

    def test_an_order_registered_late_but_issued_before_the_flight_counts(
            self, demo_engine: Engine, transferee: str) -> None:
        with unit_of_work(demo_engine) as s:
            holds.register(s, holds.parse_hold({
                "hold_ref": "TRO-LATE", "court": "D.D.C.", "kind": "tro",
                "issued": "2025-04-09", "expires": None, "scope": {"external_ref": "T-1"},
                "bars_removal_to": "any"}), actor="x", party=None, as_of=ON)
        despite = line(demo_engine, "transferred_despite_hold")
        assert despite.count == 1 and "TRO-LATE" in despite.notes[0]

    def test_crowded_cells_are_counted(self, demo_engine: Engine) -> None:
        admit(demo_engine, *(row(f"D-{i}", building="M1", cell="1-01") for i in range(30)))
        assert line(demo_engine, "space_below_standard").count == 1  # 100 m² / 30 < 3.4
        assert line(demo_engine, "over_certified_capacity").count == 0  # CNA is 80

    def test_a_recorded_run_is_on_the_ledger(self, demo_engine: Engine, transferee: str
                                            ) -> None:
        with unit_of_work(demo_engine) as s:
            seq = integrity.record_run(s, integrity.report(s, date(2025, 6, 1)),
                                       actor="user:monitor")
        with read_session(demo_engine) as s:
            run = s.get_one(IntegrityRun, seq)
            event = s.get_one(Event, seq)
        assert run.as_of == date(2025, 6, 1) and run.counts["no_family_contact"] == 1
        assert event.type == "integrity.recorded" and len(run.sha256) == 64

