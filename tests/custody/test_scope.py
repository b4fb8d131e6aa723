"""Scope (issue 17, item 5): the integrity report, its term check and the alerts are per
agreement and per reader, and one person is nominated once (DESIGN.md §12.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from habeas import clock
from habeas.agreements import service as agreements
from habeas.agreements.models import Agreement
from habeas.custody import integrity, records
from habeas.custody import service as custody
from habeas.custody.models import Alert
from habeas.db import read_session, unit_of_work
from habeas.nominations import decisions
from habeas.nominations import service as nominations
from habeas.nominations.models import NominationRecord
from tests.custody.test_records import line, transferee
from tests.factories import refused
from tests.screening.factories import nomination
from tests.transfers.factories import AS_OF, NOTICE_ON

__all__ = ["transferee"]  # the fixture, used below


def a_second_agreement(engine: Engine, *, term_months: int) -> None:
    """a_second_agreement: Costa Rica sends to the same prison under its own agreement,
    registered after the United States' (so it is the one a facility-keyed lookup found)."""
    text = agreements.profile_text("bilateral-fee-2025").replace(
        'ref = "USA-SLV-2025"', 'ref = "CRI-SLV-2025"').replace(
        'sending_party = "USA"', 'sending_party = "CRI"').replace(
        'currency = "USD"', 'currency = "CRC"').replace(
        "term_months = 12", f"term_months = {term_months}")
    with unit_of_work(engine) as s:
        agreements.register(s, agreements.parse_agreement(text, "test"), actor="test")


class TestTermOfEachPersonsOwnAgreement:
    def test_another_agreements_term_at_the_same_prison_decides_nothing(
            self, demo_engine: Engine, transferee: str) -> None:
        # Costa Rica's one-month term ended in April 2025; the US one runs to March 2026.
        a_second_agreement(demo_engine, term_months=1)
        assert line(demo_engine, "past_agreement_term", date(2025, 6, 1)).count == 0
        past = line(demo_engine, "past_agreement_term", date(2026, 4, 1))
        assert past.count == 1 and past.people == [transferee]
        assert "2026-03-14" in past.notes[0]  # the United States' own term end

    def test_a_longer_term_elsewhere_does_not_hide_a_breach(
            self, demo_engine: Engine, transferee: str) -> None:
        a_second_agreement(demo_engine, term_months=120)
        assert line(demo_engine, "past_agreement_term", date(2026, 4, 1)).people == [transferee]


class TestAlertsOnce:
    def test_one_alert_per_party_of_the_persons_agreement_and_once_for_monitors(
            self, demo_engine: Engine, transferee: str) -> None:
        a_second_agreement(demo_engine, term_months=12)
        with unit_of_work(demo_engine) as s:
            seq = records.record_medical_emergency(
                s, transferee, at=datetime.fromisoformat("2025-05-01T10:00:00+00:00"),
                nature="injury", details="fall in the yard", actor="user:sv.warden",
                party="SLV")
        with read_session(demo_engine) as s:
            filed = sorted(a.party for a in s.scalars(select(Alert).where(Alert.seq == seq)))
            assert filed == ["SLV", "USA"]  # never CRI: not the person's agreement
            for party, seen in (("USA", 1), ("SLV", 1), ("CRI", 0), (None, 1)):
                alerts = [a for a in custody.alerts_for(s, party) if a.seq == seq]
                assert len(alerts) == seen, party


IN_TERM = datetime(2025, 12, 1, 12, tzinfo=UTC)


def _nominate_again(engine: Engine, ref: str, *, case: str = "4:23-cr-T-1") -> str:
    """_nominate_again: the person of "T-1" (same name, birth date and case) under REF."""
    # Nominated within the agreement's term, after the lived demo's story (DESIGN.md §12.2:
    # a test lives its story on the injected clock, as the demo does).
    with clock.simulated(IN_TERM), unit_of_work(engine) as s:
        agreement = s.get_one(Agreement, "USA-SLV-2025")
        data = nomination(external_ref=ref, **{"convictions.0.case_number": case})
        [result] = nominations.import_rows(s, agreement, [nominations.Row(
            1, data.model_dump(mode="json"))], as_of=AS_OF, actor="test")
    assert result.public_id is not None and result.decision == "eligible", result
    return result.public_id


def _accept(engine: Engine, public_id: str) -> None:
    with clock.simulated(IN_TERM), unit_of_work(engine) as s:
        # Accepted the day it is nominated: never before it (DESIGN.md §12.2).
        decisions.accept(s, s.get_one(NominationRecord, public_id), on=clock.today(),
                         actor="user:sv.warden", party="SLV")


class TestOnePersonOneNomination:
    def test_nominated_again_while_in_custody_is_refused_and_reported(
            self, demo_engine: Engine, transferee: str) -> None:
        again = _nominate_again(demo_engine, "T-1-BIS")
        error = refused(demo_engine, lambda s: decisions.accept(
            s, s.get_one(NominationRecord, again), on=NOTICE_ON, actor="user:sv.warden",
            party="SLV"), "duplicate_person")
        assert error.details["same_as"] == transferee and error.details["status"] == \
            "in_custody"
        found = line(demo_engine, "duplicate_person")
        assert found.count == 1 and found.people == [again]
        assert transferee in found.notes[0]

    def test_a_namesake_with_another_conviction_is_another_person(
            self, demo_engine: Engine, transferee: str) -> None:
        other = _nominate_again(demo_engine, "T-9", case="4:19-cr-00999")
        _accept(demo_engine, other)
        assert line(demo_engine, "duplicate_person").count == 0

    def test_the_case_number_is_compared_by_its_letters_and_digits(
            self, demo_engine: Engine, transferee: str) -> None:
        again = _nominate_again(demo_engine, "T-1-TER", case="4:23 CR T1")
        refused(demo_engine, lambda s: decisions.accept(
            s, s.get_one(NominationRecord, again), on=NOTICE_ON, actor="user:sv.warden",
            party="SLV"), "duplicate_person")

    def test_the_report_is_scoped_for_the_duplicates_too(
            self, demo_engine: Engine, transferee: str) -> None:
        _nominate_again(demo_engine, "T-1-BIS")
        with read_session(demo_engine) as s:
            mine = integrity.scope_of(s, "sending", "USA")
            theirs = integrity.scope_of(s, "sending", "CRI")
            assert integrity.duplicate_people(s, mine).count == 1
            assert integrity.duplicate_people(s, theirs).count == 0


def test_a_reader_without_a_state_sees_everything(demo_engine: Engine) -> None:
    with read_session(demo_engine) as s:
        assert integrity.scope_of(s, "monitor", None).everyone
        assert integrity.scope_of(s, "admin", None) == integrity.EVERYONE
        sending = integrity.scope_of(s, "sending", "USA")
    assert sending.party == "USA" and sending.agreements == frozenset({"USA-SLV-2025"})


def test_any_other_reader_sees_no_one(demo_engine: Engine, transferee: str) -> None:
    with read_session(demo_engine) as s:
        nobody = integrity.scope_of(s, "counsel", None)
        assert nobody == integrity.NOBODY
        result = integrity.report(s, date(2025, 6, 1), scope=nobody)
        assert result.population == 0 and not any(x.people or x.notes for x in result.lines)
        assert integrity.report(s, date(2025, 6, 1)).population == 1


def test_a_state_counts_only_the_prisons_it_sends_to(demo_engine: Engine) -> None:
    """Dashboards (issue 17): another agreement's prison reads as one that does not exist."""
    from habeas.dashboard import service as dashboard
    from habeas.errors import NotFound

    text = agreements.profile_text("bilateral-fee-2025").replace(
        'ref = "USA-SLV-2025"', 'ref = "CRI-SLV-2025"').replace(
        'sending_party = "USA"', 'sending_party = "CRI"').replace(
        'code = "CECOT"', 'code = "IZALCO"')
    with unit_of_work(demo_engine) as s:
        agreements.register(s, agreements.parse_agreement(text, "test"), actor="test")
    today = date(2025, 6, 1)
    with read_session(demo_engine) as s:
        assert dashboard.population(s, "CECOT", today, "USA")["facility"] == "CECOT"
        assert dashboard.population(s, "IZALCO", today, None)["facility"] == "IZALCO"
        said = []
        for code in ("IZALCO", "NOWHERE"):
            try:
                dashboard.population(s, code, today, "USA")
            except NotFound as exc:
                said.append(exc.message.replace(code, "X"))
        assert said == ["facility 'X' not found"] * 2
