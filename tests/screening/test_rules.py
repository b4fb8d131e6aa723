"""Each eligibility rule, as DESIGN.md §4 and issue 4 state it, with its boundary cases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from habeas.holds.schemas import Hold
from habeas.screening import rules
from habeas.screening.engine import Decision, screen
from habeas.screening.rules import Context, Outcome
from tests.screening.factories import nomination

AS_OF = date(2025, 3, 1)
CTX = Context(as_of=AS_OF, receiving_party="SLV")
TD3_SPECIMEN = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10")


def outcome(rule: Any, ctx: Context = CTX, **changes: Any) -> Outcome:
    return rule(nomination(**changes), ctx).outcome  # type: ignore[no-any-return]


class TestConvicted:
    def test_a_custodial_sentence_is_needed(self) -> None:
        assert outcome(rules.convicted) is Outcome.PASS
        assert outcome(rules.convicted, convictions=[]) is Outcome.FAIL
        zero = {"kind": "determinate", "years": 0, "months": 0, "days": 0}
        assert outcome(rules.convicted, **{"convictions.0.sentence": zero}) is Outcome.FAIL
        assert outcome(rules.convicted, **{"convictions.0.sentence": {"kind": "life"}}) \
            is Outcome.PASS

    def test_alleged_membership_never_makes_anyone_eligible(self) -> None:
        tattoo_only = nomination(convictions=[],
                                 affiliation={"group": "Tren de Aragua", "basis": "tattoo"})
        result = screen(tattoo_only, {}, CTX)
        assert result.decision is Decision.INELIGIBLE
        assert [r.rule for r in result.reasons][:1] == ["CONVICTED"]


class TestFinalJudgment:
    @pytest.mark.parametrize(("status", "expected"), [
        ("none", Outcome.PASS), ("exhausted", Outcome.PASS),
        ("pending", Outcome.FAIL), ("unknown", Outcome.REVIEW)])
    def test_appeal_status(self, status: str, expected: Outcome) -> None:
        assert outcome(rules.final_judgment, **{"convictions.0.appeal_status": status}) \
            is expected


class TestMinRemaining:
    # 8 years from 2022-11-01 → last day 2030-10-31, minus 190 credited days → 2030-04-24.
    def test_counts_days_to_expiry(self) -> None:
        result = rules.min_remaining(nomination(), CTX)
        assert result.outcome is Outcome.PASS
        assert result.message.startswith(f"{(date(2030, 4, 24) - AS_OF).days} day(s) left"
                                          " to 2030-04-24")

    def test_boundary_at_exactly_the_minimum(self) -> None:
        expiry = date(2030, 4, 24)
        just = Context(as_of=date.fromordinal(expiry.toordinal() - 183), receiving_party="SLV")
        short = Context(as_of=date.fromordinal(expiry.toordinal() - 182), receiving_party="SLV")
        assert rules.min_remaining(nomination(), just).outcome is Outcome.PASS
        assert rules.min_remaining(nomination(), short).outcome is Outcome.FAIL

    def test_the_profile_sets_the_minimum_and_life_passes(self) -> None:
        strict = Context(as_of=AS_OF, receiving_party="SLV",
                         params={"MIN_REMAINING": {"days": 10_000}})
        assert rules.min_remaining(nomination(), strict).outcome is Outcome.FAIL
        assert outcome(rules.min_remaining, strict,
                       **{"convictions.0.sentence": {"kind": "indeterminate"}}) is Outcome.PASS


class TestPersonRules:
    def test_nationality(self) -> None:
        assert outcome(rules.nationality) is Outcome.PASS
        assert outcome(rules.nationality, **{"person.nationalities": ["VEN"]}) is Outcome.FAIL

    @pytest.mark.parametrize(("consent", "expected"), [
        ({"given": True, "date": "2025-01-02"}, Outcome.PASS),
        ({"given": False, "date": "2025-01-02"}, Outcome.FAIL),
        ({"given": False, "date": None}, Outcome.REVIEW),
        ({"given": None, "date": None}, Outcome.REVIEW)])
    def test_consent(self, consent: dict[str, Any], expected: Outcome) -> None:
        assert outcome(rules.consent, consent=consent) is expected

    def test_dual_criminality_needs_an_offence_table(self) -> None:
        assert outcome(rules.dual_criminality) is Outcome.REVIEW
        table = Context(as_of=AS_OF, receiving_party="SLV",
                        offence_table={"18USC1951": "CP-212 robo"})
        assert outcome(rules.dual_criminality, table) is Outcome.PASS
        assert outcome(rules.dual_criminality, table,
                       **{"convictions.0.offense_code": "8USC1326"}) is Outcome.FAIL

    def test_pending_charges(self) -> None:
        assert outcome(rules.no_pending_charges) is Outcome.PASS
        assert outcome(rules.no_pending_charges,
                       pending_charges=[{"offense": "assault"}]) is Outcome.FAIL


class TestAdult:
    def test_the_eighteenth_birthday_counts(self) -> None:
        assert outcome(rules.adult, **{"person.date_of_birth": "2007-03-01"}) is Outcome.PASS
        assert outcome(rules.adult, **{"person.date_of_birth": "2007-03-02"}) is Outcome.FAIL

    def test_born_on_29_february_comes_of_age_on_1_march(self) -> None:
        assert rules.eighteenth_birthday(date(2008, 2, 29)) == date(2026, 3, 1)
        assert rules.eighteenth_birthday(date(2004, 2, 29)) == date(2022, 3, 1)
        assert rules.eighteenth_birthday(date(2000, 2, 29)) == date(2018, 3, 1)


class TestIdentity:
    def test_documents_and_mrz(self) -> None:
        assert outcome(rules.identity) is Outcome.PASS
        assert outcome(rules.identity, **{"person.documents": []}) is Outcome.FAIL
        assert outcome(rules.identity, **{"person.documents.0.mrz": TD3_SPECIMEN}) \
            is Outcome.PASS
        broken = TD3_SPECIMEN.replace("7408122", "7408123")
        result = rules.identity(nomination(**{"person.documents.0.mrz": broken}), CTX)
        assert result.outcome is Outcome.FAIL and "check digit" in result.message
        assert outcome(rules.identity, **{"person.documents.0.mrz": "NOT AN MRZ"}) \
            is Outcome.FAIL


def hold(**fields: Any) -> Hold:
    base = {"hold_ref": "1:25-cv-00766-TRO", "court": "U.S. District Court for D.C.",
            "kind": "tro", "issued": "2025-02-15", "expires": None,
            "scope": {"nationality": "SLV"}, "bars_removal_to": "any"}
    return Hold.model_validate({**base, **fields})


def with_holds(*holds: Hold) -> Context:
    return Context(as_of=AS_OF, receiving_party="SLV", holds=holds)


class TestCourtOrders:
    def test_a_class_order_bars_everyone_it_names(self) -> None:
        assert outcome(rules.no_legal_hold, with_holds(hold())) is Outcome.FAIL
        assert outcome(rules.no_legal_hold, with_holds(hold(scope={"nationality": "VEN"}))) \
            is Outcome.PASS
        both = hold(scope={"nationality": "SLV", "affiliation_group": "Tren de Aragua"})
        assert outcome(rules.no_legal_hold, with_holds(both)) is Outcome.PASS  # every field

    def test_active_from_issue_through_expiry_inclusive(self) -> None:
        assert outcome(rules.no_legal_hold, with_holds(hold(issued="2025-03-01"))) \
            is Outcome.FAIL
        assert outcome(rules.no_legal_hold, with_holds(hold(issued="2025-03-02"))) \
            is Outcome.PASS
        assert outcome(rules.no_legal_hold, with_holds(hold(expires="2025-03-01"))) \
            is Outcome.FAIL
        assert outcome(rules.no_legal_hold, with_holds(hold(expires="2025-02-28"))) \
            is Outcome.PASS
        assert outcome(rules.no_legal_hold, with_holds(hold(lifted_on="2025-03-01"))) \
            is Outcome.PASS

    def test_an_order_barring_other_countries_only_does_not_fail(self) -> None:
        assert outcome(rules.no_legal_hold, with_holds(hold(bars_removal_to=["VEN"]))) \
            is Outcome.PASS
        assert outcome(rules.no_legal_hold, with_holds(hold(bars_removal_to=["SLV"]))) \
            is Outcome.FAIL

    def test_protection_orders_are_non_refoulement(self) -> None:
        order = hold(kind="withholding_of_removal", bars_removal_to=["SLV"],
                     scope={"external_ref": "US-2025-000123"})
        assert outcome(rules.non_refoulement, with_holds(order)) is Outcome.FAIL
        assert outcome(rules.no_legal_hold, with_holds(order)) is Outcome.PASS
        assert outcome(rules.non_refoulement, with_holds(hold())) is Outcome.PASS


class TestEngine:
    BILATERAL = {"FINAL_JUDGMENT": {"enabled": True}, "NO_PENDING_CHARGES": {"enabled": True},
                 "CONSENT": {"enabled": False}, "NATIONALITY": {"enabled": False}}

    def test_decision_is_the_worst_outcome(self) -> None:
        assert screen(nomination(), self.BILATERAL, CTX).decision is Decision.ELIGIBLE
        review = nomination(**{"convictions.0.appeal_status": "unknown"})
        assert screen(review, self.BILATERAL, CTX).decision is Decision.REVIEW
        both = nomination(**{"convictions.0.appeal_status": "unknown",
                             "person.date_of_birth": "2010-01-01"})
        assert screen(both, self.BILATERAL, CTX).decision is Decision.INELIGIBLE

    def test_always_rules_run_even_if_the_profile_omits_them(self) -> None:
        minor = nomination(**{"person.date_of_birth": "2010-01-01"})
        result = screen(minor, {}, CTX)
        assert result.decision is Decision.INELIGIBLE
        assert {r.rule for r in result.results} == {"CONVICTED", "ADULT", "IDENTITY",
                                                    "NO_LEGAL_HOLD", "NON_REFOULEMENT"}

    def test_every_result_carries_a_citation(self) -> None:
        everything = {rule: {"enabled": True} for rule in rules.PERSON_RULES}
        result = screen(nomination(), everything, CTX)
        assert len(result.results) == 11
        assert all(r.citation for r in result.results)
        assert result.results[0].as_dict()["citation"].startswith("the offer's own term")
