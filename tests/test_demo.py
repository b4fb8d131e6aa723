"""The demo scenario: the CECOT-like facility, the agreement, a user per role; deterministic."""

from __future__ import annotations

import random
import uuid
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from habeas.auth.models import Role, User
from habeas.billing import reads
from habeas.db import read_session
from habeas.demo import DEMO_USERS, cecot_layout
from habeas.facilities import service as facilities
from habeas.facilities.models import Cell
from habeas.ledger.models import Event
from tests.factories import with_demo


class TestLayout:
    def test_cecot_has_256_cells_of_100_m2_summing_to_the_signed_capacity(self) -> None:
        doc = cecot_layout()
        cells = [c for b in doc.buildings for c in b.cells]
        assert (len(doc.buildings), len(cells)) == (8, 256)
        assert sum(c.max_capacity for c in cells) == doc.facility.signed_capacity == 40_000
        assert {c.max_capacity for c in cells} == {156, 157}
        assert {c.area_m2 for c in cells} == {100.0}
        assert {b.sex for b in doc.buildings} == {"M"}


class TestDemo:
    def test_loads_facility_agreement_and_a_user_per_role(self, demo_engine: Engine) -> None:
        with read_session(demo_engine) as s:
            assert {u.role for u in s.scalars(select(User))} == set(Role)
            assert s.scalar(select(func.count()).select_from(Cell)) == 256
            summary = facilities.capacity(s, "CECOT")
        assert summary.space_at_signed_m2 == 0.64
        assert summary.compliant == {"ICRC": 7424, "CPT": 6400}

    def test_running_it_again_changes_nothing(self, demo_engine: Engine) -> None:
        again = with_demo(demo_engine)  # demo_engine: the demo loaded once already
        assert all(line.endswith("unchanged") for line in again), again
        with read_session(demo_engine) as s:
            # agreement and facility registered (3 events), then its separation and layout.
            assert s.scalar(select(func.count()).select_from(Event)) == 4 + len(DEMO_USERS)

    def test_the_same_seed_gives_the_same_ids(self, engine: Engine) -> None:
        with_demo(engine, seed=7)
        with read_session(engine) as s:
            ids = {u.username: u.id for u in s.scalars(select(User))}
        rng = random.Random(7)
        expected = {u.username: str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    for u in DEMO_USERS}
        assert ids == expected


class TestDemoNominations:
    def test_400_people_with_the_2025_failure_modes_screened_out(self,
                                                                 demo_engine: Engine) -> None:
        from habeas import demo
        from habeas.db import unit_of_work
        from habeas.nominations.models import NominationRecord

        with unit_of_work(demo_engine) as s:
            demo.nominate(s)
        with read_session(demo_engine) as s:
            records = list(s.scalars(select(NominationRecord)))
        assert len(records) == 400
        by_ref = {r.external_ref: r for r in records}
        protected = by_ref["US-2025-PROTECTED"]
        assert protected.decision == "ineligible"
        assert [r["rule"] for r in protected.results if r["outcome"] == "fail"] == [
            "NON_REFOULEMENT"]
        venezuelans = [r for r in records if r.nationalities == ["VEN"]]
        assert venezuelans and all(r.decision == "ineligible" for r in venezuelans)
        failing = {r["rule"] for rec in records for r in rec.results if r["outcome"] == "fail"}
        assert failing >= {"CONVICTED", "FINAL_JUDGMENT", "ADULT", "NO_PENDING_CHARGES",
                           "IDENTITY", "NO_LEGAL_HOLD", "NON_REFOULEMENT"}
        eligible = sum(r.decision == "eligible" for r in records)
        assert 250 <= eligible <= 330  # most people, as in the 2025 reporting, were convicted


@pytest.mark.heavy
class TestDemoCustody:
    def test_population_two_flights_and_a_court_order_in_the_air(self, engine: Engine) -> None:
        from habeas import demo, replay
        from habeas.custody import integrity
        from habeas.custody.models import Alert, Prisoner
        from habeas.db import unit_of_work
        from habeas.facilities import assign, housing
        from habeas.transfers.models import Manifest, ManifestPerson

        with_demo(engine)
        with unit_of_work(engine) as s:
            demo.nominate(s)
            demo.populate(s, count=1_000)
            steps = demo.transfer(s)
            lived = demo.simulate(s, until=date(2026, 4, 30))
        assert len(steps) == 2, steps
        with read_session(engine) as s:
            statuses = dict(s.execute(select(Prisoner.status, func.count())
                                      .group_by(Prisoner.status)).all())
            manifests = list(s.scalars(select(Manifest).order_by(Manifest.id)))
            people = dict(s.execute(select(ManifestPerson.status, func.count())
                                    .group_by(ManifestPerson.status)).all())
            alerts = {a.party for a in s.scalars(select(Alert))}
            state = housing.housing_state(s, "CECOT", demo.DEMO_AS_OF)
            capacity = facilities.capacity(s, "CECOT")
        domestic = 1_000
        assert [m.status for m in manifests[:2]] == ["arrived", "arrived"]
        assert people["removed"] == 1  # the last-minute stay, taken off at the gates
        # The in-flight order's people were flown back; both states were alerted.
        assert people["returned"] > 0 and alerts >= {"USA", "SLV"}
        assert statuses["handed_over"] == demo.LEFT_AWAITING_INTAKE
        released = statuses.get("released", 0)
        assert statuses["returned"] == 1  # sent in error, flown back in June 2025
        assert capacity.population == \
            domestic + people["handed_over"] - released - 1 - 1  # the one returned, a death
        with read_session(engine) as s:
            report = {line.check: line for line in integrity.report(s, date(2026, 4, 30)).lines}
        # Every line of the report is explainable from the scenario.
        assert report["prolonged_solitary"].count == 2
        assert report["death_without_investigation"].count == 0
        assert report["finding_response_overdue"].count == 1  # due 30 September 2025
        for check in ("no_final_conviction", "transferred_despite_hold", "short_notice",
                      "return_overdue", "past_agreement_term", "duplicate_person"):
            assert report[check].count == 0, (check, report[check].notes[:3])
        assert any(line.startswith("releases: ") for line in lived), lived
        # Every placement honours every hard constraint (DESIGN.md §7).
        assert assign.audit(state.cells, state.rules) == []
        self._a_year_of_invoices(engine)
        with unit_of_work(engine) as s:
            assert demo.transfer(s) == ["transfers: unchanged"]
        assert replay.check(engine).differences == []

    @staticmethod
    def _a_year_of_invoices(engine: Engine) -> None:
        with read_session(engine) as s:
            invoices = reads.list_invoices(s)
            disputes = [d for i in invoices for d in reads.disputes_of(s, i.seq)]
            notes = [n for i in invoices for n in reads.credit_notes_of(s, i.seq)]
            on = date(2026, 4, 30)
            ageing = {i.period: reads.ageing(i, on) for i in invoices}
        assert [i.period for i in invoices] == [
            f"{y}-{m:02d}" for y, m in [(2025, m) for m in range(4, 13)]
            + [(2026, m) for m in range(1, 4)]]
        assert [n for n in (i.number for i in invoices)][-1] == "USA-SLV-2025/0012"
        # Paid in full, but February 2026's: due 2 April, 28 days overdue on 30 April.
        assert {p: a for p, a in ageing.items() if a != "paid"} == {"2026-02": "0-30"}
        assert sorted(d.status for d in disputes) == ["accepted", "rejected"]
        accepted = next(d for d in disputes if d.status == "accepted")
        assert [n.seq for n in notes] == [accepted.credit_note_seq]
        # The transfer declared erroneous in June is credited on June's invoice.
        june = next(i for i in invoices if i.period == "2025-06")
        credits = [x for x in june.lines if x["kind"] == "credit"]
        assert {x["credits_invoice"] for x in credits} == {"USA-SLV-2025/0001",
                                                           "USA-SLV-2025/0002"}
        assert all(x["amount_minor"] < 0 for x in credits)
