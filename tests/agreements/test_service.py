"""Agreements: shipped profiles, the agreement file's validation, idempotent registration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from habeas.agreements import service
from habeas.agreements.models import Agreement, FeeSchedule, Party
from habeas.agreements.terms import add_months, term_end
from habeas.db import read_session, unit_of_work
from habeas.errors import Conflict, DomainError, ErrorCode, ValidationFailed
from habeas.ledger.models import Event

BILATERAL = service.profile_text("bilateral-fee-2025")


def invalid(text: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        service.parse_agreement(text, "test.toml")
    assert caught.value.code is ErrorCode.INVALID_AGREEMENT
    return caught.value


class TestShippedProfiles:
    def test_both_profiles_ship_and_load(self) -> None:
        assert service.shipped_profiles() == ["bilateral-fee-2025", "coe-ets112"]
        for name in service.shipped_profiles():
            assert service.load_profile(name).profile.name == name

    def test_bilateral_profile_is_the_2025_offer(self) -> None:
        rules = service.load_profile("bilateral-fee-2025").resolved_rules()
        on = {r for r, s in rules.items() if s["enabled"]}
        assert on == {"CONVICTED", "FINAL_JUDGMENT", "NO_PENDING_CHARGES", "ADULT", "IDENTITY",
                      "NO_LEGAL_HOLD", "NON_REFOULEMENT", "NOTICE", "QUOTA", "CAPACITY"}
        assert rules["NOTICE"]["days"] == 30

    def test_coe_profile_turns_every_rule_on(self) -> None:
        rules = service.load_profile("coe-ets112").resolved_rules()
        assert all(s["enabled"] for s in rules.values())
        assert rules["MIN_REMAINING"]["days"] == 183

    def test_unknown_profile_names_the_shipped_ones(self) -> None:
        with pytest.raises(DomainError, match="bilateral-fee-2025, coe-ets112") as caught:
            service.load_profile("nope")
        assert caught.value.code is ErrorCode.UNKNOWN_PROFILE


class TestAgreementFileErrors:
    def test_malformed_toml_gives_line_and_column(self) -> None:
        error = invalid("[agreement\nref = 1")
        assert "test.toml: malformed TOML" in error.message and "line 1" in error.message

    def test_bad_country_code_names_the_key(self) -> None:
        error = invalid(BILATERAL.replace('sending_party = "USA"', 'sending_party = "US"'))
        assert error.details["field"] == "agreement.sending_party"
        assert "ISO 3166-1 alpha-3" in error.message

    def test_an_always_rule_cannot_be_switched_off(self) -> None:
        error = invalid(BILATERAL.replace("CONVICTED = { enabled = true }",
                                          "CONVICTED = { enabled = false }"))
        assert error.details["field"] == "rules"
        assert "CONVICTED is an always rule" in error.message

    def test_unknown_rule_and_unknown_key_are_named(self) -> None:
        assert "'TATTOOS' is not a rule" in invalid(
            BILATERAL + "TATTOOS = { enabled = true }\n").message
        error = invalid(BILATERAL.replace("quota = 300", "quota = 300\ncolour = 'red'"))
        assert error.details["field"] == "agreement.colour"
        assert error.details["problem"] == "unknown key"

    def test_missing_key_bad_currency_and_both_rates(self) -> None:
        assert invalid(BILATERAL.replace('currency = "USD"\n', "")).details["field"] == \
            "agreement.currency"
        assert "ISO 4217" in invalid(BILATERAL.replace('"USD"', '"DOLLARS"')).message
        error = invalid(BILATERAL.replace("intake_fee_minor = 0", "per_diem_minor = 5000"))
        assert "exactly one of annual_rate_minor and per_diem_minor" in error.message

    def test_facility_must_be_in_the_receiving_state(self) -> None:
        error = invalid(BILATERAL.replace('country = "SLV"', 'country = "HND"'))
        assert "facility.country must be the receiving party's country" in error.message

    def test_unreadable_file(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationFailed, match="cannot read"):
            service.load_agreement_file(tmp_path / "missing.toml")


class TestRegister:
    def test_registers_parties_facility_agreement_and_fees_as_events(
            self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            assert service.register(s, service.load_profile("bilateral-fee-2025"),
                                    actor="test") == "registered"
        with read_session(engine) as s:
            agreement = s.get(Agreement, "USA-SLV-2025")
            assert agreement is not None and agreement.quota == 300
            assert s.get(Party, "SLV").name == "El Salvador"  # type: ignore[union-attr]
            fees = s.scalars(select(FeeSchedule)).one()
            assert fees.annual_rate_minor == 2_000_000 and fees.currency == "USD"
            assert [e.type for e in s.scalars(select(Event).order_by(Event.seq))] == [
                "facility.registered", "agreement.registered"]

    def test_registering_the_same_file_again_changes_nothing(self, engine: Engine) -> None:
        doc = service.load_profile("bilateral-fee-2025")
        with unit_of_work(engine) as s:
            service.register(s, doc, actor="test")
        with unit_of_work(engine) as s:
            assert service.register(s, doc, actor="test") == "unchanged"
        with read_session(engine) as s:
            assert s.scalar(select(func.count()).select_from(Event)) == 2

    def test_different_terms_under_a_used_ref_conflict_and_write_nothing(
            self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            service.register(s, service.load_profile("bilateral-fee-2025"), actor="test")
        changed = service.parse_agreement(BILATERAL.replace("quota = 300", "quota = 3000"), "x")
        with pytest.raises(Conflict, match="already registered"), unit_of_work(engine) as s:
            service.register(s, changed, actor="test")
        with read_session(engine) as s:
            assert s.get(Agreement, "USA-SLV-2025").quota == 300  # type: ignore[union-attr]


class TestTerm:
    def test_one_year_term_ends_the_day_before_the_anniversary(self) -> None:
        assert term_end(date(2025, 3, 15), 12) == date(2026, 3, 14)

    def test_month_arithmetic_clamps_to_month_end(self) -> None:
        assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
        assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
        assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_a_sending_state_lists_only_the_agreements_it_sends_under(demo_engine: Engine) -> None:
    with read_session(demo_engine) as s:
        every = service.list_agreements(s)
        sender = every[0].sending_party
        assert service.list_agreements(s, sending_party=sender) == [
            a for a in every if a.sending_party == sender]
        assert service.list_agreements(s, sending_party="ZZZ") == []
