"""A court order binds the state before its court (issue 17; DESIGN.md §4, §12.1).

Two agreements send to one prison: the United States' and Costa Rica's. An external_ref
is unique only within a sending state, so both have a person "X". A US court's stay for
US "X" bars US "X" only: it neither blocks nor, when lifted, frees Costa Rica's "X", and
a class it names is the United States' class.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine, func, select

from habeas.auth.models import Role
from habeas.auth.principal import Principal
from habeas.custody import timeline
from habeas.custody.models import Prisoner
from habeas.db import read_session, unit_of_work
from habeas.holds import service as holds
from habeas.holds.models import HoldRecord
from habeas.holds.schemas import Hold
from habeas.ledger.models import Event
from habeas.nominations.models import NominationRecord
from habeas.screening import rules
from habeas.screening.rules import Context, Outcome
from habeas.transfers import service as transfers
from habeas.transfers.models import ManifestPerson
from tests.conftest import second_agreement
from tests.custody.test_intake import intake, take_in
from tests.custody.test_records import line
from tests.factories import refused
from tests.screening.factories import nomination
from tests.transfers.factories import DEPARTS, accepted_people, approved, departed, handed_over

# Issue 17's reproductions, on both engines: court orders gate the write path.
pytestmark = pytest.mark.both_engines

CRI = "CRI-SLV-2025"
ISSUED = date(2025, 4, 1)


def officer(party: str) -> Principal:
    """officer: the sending state PARTY's legal role, as a principal."""
    return Principal(user_id=f"u-{party}", username=f"{party.lower()}.officer",
                     display_name=f"{party} officer", role=Role.SENDING, party_code=party,
                     via="token")


def order(hold_ref: str, scope: dict[str, str], **changes: object) -> Hold:
    return holds.parse_hold({"hold_ref": hold_ref, "court": "U.S. Court of Appeals, 5th Cir.",
                             "kind": "stay", "issued": ISSUED.isoformat(), "expires": None,
                             "scope": scope, "bars_removal_to": "any", **changes})


def register(engine: Engine, hold: Hold, by: str) -> int:
    with unit_of_work(engine) as s:
        _, changed = holds.register_by(s, hold, by=officer(by), as_of=ISSUED)
    return changed


def decision(engine: Engine, public_id: str) -> str | None:
    with read_session(engine) as s:
        return s.get_one(NominationRecord, public_id).decision


def screenings(engine: Engine, public_id: str) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Event).where(
            Event.type == "nomination.screened", Event.subject == public_id)) or 0


@pytest.fixture
def two_x(demo_engine: Engine) -> tuple[str, str]:
    """two_x: the United States' "X" and Costa Rica's "X" (another man), both accepted with
    notice served, at the same prison."""
    with unit_of_work(demo_engine) as s:
        second_agreement(s)
    [us] = accepted_people(demo_engine, "X")
    [cr] = accepted_people(demo_engine, "X", agreement_ref=CRI,
                           **{"person.given_names": "Carlos", "convictions.0.case_number":
                              "CR-2021-0456"})
    return us, cr


class TestAPersonScopedOrder:
    def test_a_us_order_for_x_blocks_us_x_and_not_costa_ricas_x(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        us, cr = two_x
        cr_screenings = screenings(demo_engine, cr)
        assert register(demo_engine, order("STAY-US", {"external_ref": "X"}), "USA") == 1
        assert decision(demo_engine, us) == "ineligible"
        assert decision(demo_engine, cr) == "eligible"
        # Re-screening touched only the issuing state's people.
        assert screenings(demo_engine, cr) == cr_screenings
        with read_session(demo_engine) as s:
            assert s.get_one(HoldRecord, "STAY-US").party == "USA"

    def test_costa_ricas_x_flies_past_it_and_us_x_does_not(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        us, cr = two_x
        ours, theirs = approved(demo_engine, [us]), approved(demo_engine, [cr], "CRI")
        register(demo_engine, order("STAY-US", {"external_ref": "X"}), "USA")
        with unit_of_work(demo_engine) as s:
            boarded, _ = transfers.depart(s, theirs, departed_at=datetime.fromisoformat(DEPARTS),
                                          actor="user:cr.officer", party="CRI")
            assert boarded == [cr]
            boarded, removed = transfers.depart(s, ours,
                                                departed_at=datetime.fromisoformat(DEPARTS),
                                                actor="user:us.officer", party="USA")
        assert boarded == [] and "STAY-US" in removed[0]["reason"]

    def test_its_lift_frees_us_x_and_not_costa_ricas_x(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        us, cr = two_x
        register(demo_engine, order("STAY-US", {"external_ref": "X"}), "USA")
        register(demo_engine, order("STAY-CR", {"external_ref": "X"},
                                    court="Sala Constitucional de Costa Rica"), "CRI")
        assert (decision(demo_engine, us), decision(demo_engine, cr)) == \
            ("ineligible", "ineligible")
        cr_screenings = screenings(demo_engine, cr)
        with unit_of_work(demo_engine) as s:
            changed = holds.lift_by(s, "STAY-US", by=officer("USA"), reason="vacated",
                                    document="Order vacating the stay", lifted_on=ISSUED)
        assert changed == 1
        assert decision(demo_engine, us) == "eligible"
        assert decision(demo_engine, cr) == "ineligible"  # its own court's stay still holds
        assert screenings(demo_engine, cr) == cr_screenings

    def test_another_states_officer_cannot_name_its_people(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        refused(demo_engine, lambda s: holds.register_by(
            s, order("STAY-US", {"external_ref": "X"}, party="CRI"), by=officer("USA"),
            as_of=ISSUED), "wrong_party")
        assert decision(demo_engine, two_x[1]) == "eligible"


class TestOnePrisonTwoStates:
    def test_both_xs_are_held_at_the_prison_each_under_its_own_state(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        """A transferee's local reference is its state's external_ref: the prison holds
        the United States' "X" and Costa Rica's "X" side by side (the second handover
        was a unique-key failure, a 500, when the key was the facility and ref alone)."""
        us, cr = two_x
        handed_over(demo_engine, [us])
        handed_over(demo_engine, [cr], "CRI")
        with read_session(demo_engine) as s:
            held = {p.public_id: (p.legal_custodian, p.local_ref, p.facility_code)
                    for p in s.scalars(select(Prisoner).where(Prisoner.local_ref == "X"))}
        assert held[us][:2] == ("USA", "X") and held[cr][:2] == ("CRI", "X")
        assert held[us][2] == held[cr][2]


class TestTheTrustedEntry:
    def test_an_order_for_a_ref_two_states_use_must_say_whose_it_is(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        error = refused(demo_engine, lambda s: holds.register(
            s, order("STAY-?", {"external_ref": "X"}), actor="import", party=None,
            as_of=ISSUED), "validation_failed")
        assert error.details["field"] == "party" and "CRI, USA" in error.message

    def test_the_order_it_says_is_costa_ricas_binds_costa_ricas_x(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        us, cr = two_x
        with unit_of_work(demo_engine) as s:
            holds.register(s, order("STAY-CR", {"external_ref": "X"}, party="CRI"),
                           actor="import", party=None, as_of=ISSUED)
            assert s.get_one(Event, s.get_one(HoldRecord, "STAY-CR").registered_seq).party \
                == "CRI"
        assert (decision(demo_engine, us), decision(demo_engine, cr)) == \
            ("eligible", "ineligible")

    def test_a_state_no_agreement_sends_for_is_refused(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        error = refused(demo_engine, lambda s: holds.register(
            s, order("STAY-MX", {"external_ref": "X"}, party="MEX"), actor="import",
            party=None, as_of=ISSUED), "validation_failed")
        assert error.details["field"] == "party"


class TestAClassWideOrder:
    def test_binds_the_class_of_its_states_agreement_only(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        us, cr = two_x  # both Salvadoran
        with unit_of_work(demo_engine) as s:
            holds.register(s, order("INJ-SLV", {"nationality": "SLV"}), actor="import",
                           party="USA", as_of=ISSUED)
        assert (decision(demo_engine, us), decision(demo_engine, cr)) == \
            ("ineligible", "eligible")

    def test_without_a_state_it_is_refused_once_two_states_send(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        refused(demo_engine, lambda s: holds.register(
            s, order("INJ-SLV", {"nationality": "SLV"}), actor="import", party=None,
            as_of=ISSUED), "validation_failed")


class TestPeopleAlreadyMoving:
    def test_an_order_in_flight_marks_only_its_states_person_return_required(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        us, cr = two_x
        ours, _, _ = departed(demo_engine, [us])
        theirs, _, _ = departed(demo_engine, [cr], "CRI")
        with unit_of_work(demo_engine) as s:
            holds.register(s, order("TRO-AIR", {"external_ref": "X"}, kind="tro",
                                    issued="2025-04-10"), actor="user:counsel", party="USA",
                           as_of=date(2025, 4, 10))
        with read_session(demo_engine) as s:
            assert s.get_one(ManifestPerson, (ours, us)).status == "return_required"
            assert s.get_one(ManifestPerson, (theirs, cr)).status == "departed"

    def test_a_return_order_names_a_deadline_for_its_states_people_only(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        # Two people held at one prison under one reference cannot be yet: the prison's
        # local reference is the external_ref (see the report), so Costa Rica's man held
        # is "Z", and its court orders back its own Salvadorans.
        us, _ = two_x
        [cr] = accepted_people(demo_engine, "Z", agreement_ref=CRI)
        handed_over(demo_engine, [us])
        handed_over(demo_engine, [cr], "CRI")
        take_in(demo_engine, us, intake())
        take_in(demo_engine, cr, intake())
        with unit_of_work(demo_engine) as s:
            holds.register(s, order("RET-CR", {"nationality": "SLV"}, kind="return_order",
                                    issued="2025-04-20"), actor="x", party="CRI",
                           as_of=date(2025, 4, 20))
        with read_session(demo_engine) as s:
            assert s.get_one(Prisoner, cr).return_deadline == date(2025, 5, 4)
            assert s.get_one(Prisoner, us).return_deadline is None
            assert s.get_one(Prisoner, us).status != "return_required"

    def test_transferred_despite_an_order_names_only_its_states_person(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        us, cr = two_x
        handed_over(demo_engine, [us])
        theirs, _, _ = departed(demo_engine, [cr], "CRI")  # still in the air
        # Registered late, issued before the flights: it bound the United States then.
        register(demo_engine, order("STAY-US", {"external_ref": "X"}), "USA")
        despite = line(demo_engine, "transferred_despite_hold")
        assert despite.count == 1 and despite.people == [us], despite.notes
        assert "STAY-US" in despite.notes[0]
        with read_session(demo_engine) as s:
            assert s.get_one(ManifestPerson, (theirs, cr)).status == "departed"

    def test_the_order_is_on_its_states_persons_timeline_only(
            self, demo_engine: Engine, two_x: tuple[str, str]) -> None:
        us, cr = two_x
        register(demo_engine, order("STAY-US", {"external_ref": "X"}), "USA")
        with read_session(demo_engine) as s:
            seq = s.get_one(HoldRecord, "STAY-US").registered_seq
            data = {p: s.get_one(NominationRecord, p).data for p in (us, cr)}
            assert seq in timeline.related(s, us, data[us])
            assert seq not in timeline.related(s, cr, data[cr])


class TestTheRule:
    """The pure rule, as NO_LEGAL_HOLD reads it: no database, the state passed in."""

    X = nomination(external_ref="X")

    def test_an_order_binds_its_issuing_states_nomination_only(self) -> None:
        stay = order("STAY-US", {"external_ref": "X"}, party="USA")
        assert stay.binds(self.X, "USA") and not stay.binds(self.X, "CRI")
        for party, outcome in (("USA", Outcome.FAIL), ("CRI", Outcome.PASS)):
            ctx = Context(as_of=ISSUED, receiving_party="SLV", holds=[stay],
                          sending_party=party)
            assert rules.no_legal_hold(self.X, ctx).outcome is outcome, party

    def test_an_order_of_no_recorded_state_binds_by_its_scope(self) -> None:
        legacy = order("STAY-OLD", {"external_ref": "X"})
        assert legacy.binds(self.X, "USA") and legacy.binds(self.X, "CRI")
        assert not legacy.binds(nomination(external_ref="Y"), "USA")
