"""Intake (Mandela Rule 7): identity verified, the record kept, then housing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from habeas.custody import service as custody
from habeas.custody.models import IntakeRecord, Prisoner
from habeas.custody.schemas import IntakeIn
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError
from habeas.facilities import housing
from tests.transfers.factories import accepted_people, handed_over

AT = datetime.fromisoformat("2025-04-10T19:00:00+00:00")
FINGERPRINT = hashlib.sha256(b"fingerprint template").hexdigest()


def intake(**changes: Any) -> IntakeIn:
    return IntakeIn.model_validate({
        "document_checked": "passport A1234567", "language": "es", "security_level": "high",
        "visible_injuries": "bruise on left wrist",
        "property": [{"description": "wristwatch"}],
        "contacts": [{"name": "Ana López", "relationship": "mother", "emergency": True}],
        "affiliation": {"group": "MS-13", "basis": "tattoo", "source": "arrest report"},
        **changes})


def take_in(engine: Engine, public_id: str, body: IntakeIn) -> IntakeRecord:
    with unit_of_work(engine) as s:
        return custody.record_intake(s, public_id, body, officer="Portillo", actor="x",
        party="SLV", at=AT)


class TestIntake:
    def test_records_rule_7_and_keeps_a_tattoo_basis_as_such(self, demo_engine: Engine
                                                             ) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        handed_over(demo_engine, [person])
        take_in(demo_engine, person, intake())
        with read_session(demo_engine) as s:
            prisoner = s.get_one(Prisoner, person)
            record = custody.latest_intake(s, person)
        assert prisoner.status == "taken_in"
        assert (prisoner.affiliation_group, prisoner.affiliation_basis) == ("MS-13", "tattoo")
        assert record is not None and record.visible_injuries == "bruise on left wrist"
        assert record.property_items == [{"description": "wristwatch", "quantity": 1,
                                          "stored": True}]

    def test_the_biometric_reference_must_match(self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        handed_over(demo_engine, [person], biometric_reference_sha256=FINGERPRINT)
        for body, code in ((intake(), "validation_failed"),
                           (intake(biometric_sha256="0" * 64), "identity_mismatch")):
            with pytest.raises(DomainError) as caught, unit_of_work(demo_engine) as s:
                custody.record_intake(s, person, body, officer="P", actor="x", party="SLV", at=AT)
            assert caught.value.code == code
        record = take_in(demo_engine, person, intake(biometric_sha256=FINGERPRINT))
        assert record.biometric_match is True

    def test_intake_is_taken_once_and_only_after_handover(self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        with pytest.raises(DomainError) as caught, unit_of_work(demo_engine) as s:
            custody.record_intake(s, person, intake(), officer="P", actor="x", party="SLV", at=AT)
        assert caught.value.code == "not_found"
        handed_over(demo_engine, [person])
        take_in(demo_engine, person, intake())
        with pytest.raises(DomainError) as again, unit_of_work(demo_engine) as s:
            custody.record_intake(s, person, intake(), officer="P", actor="x", party="SLV", at=AT)
        assert again.value.code == "invalid_transition"


class TestHousingAfterIntake:
    def test_the_group_is_housed_together_under_the_rules(self, demo_engine: Engine) -> None:
        people = accepted_people(demo_engine, "T-1", "T-2", "T-3")
        handed_over(demo_engine, people)
        with unit_of_work(demo_engine) as s:
            waiting = housing.house(s, "CECOT", on=AT.date(), actor="x")
        assert waiting.placed == {}  # nobody is housed before intake
        for person in people:
            take_in(demo_engine, person, intake())
        with unit_of_work(demo_engine) as s:
            report = housing.house(s, "CECOT", on=AT.date(), actor="x")
        assert sorted(report.placed) == sorted(people) and report.unplaced == []
        with read_session(demo_engine) as s:
            assert {s.get_one(Prisoner, p).status for p in people} == {"in_custody"}


def test_intake_sets_the_release_date_under_the_sending_states_law(demo_engine: Engine
                                                                    ) -> None:
    [person] = accepted_people(demo_engine, "T-1")
    handed_over(demo_engine, [person])
    take_in(demo_engine, person, intake())
    with read_session(demo_engine) as s:
        prisoner = s.get_one(Prisoner, person)
    # 8 years from 1 Nov 2022 less 190 days credited; US federal good conduct (54 × 8 days).
    assert prisoner.sentence_expiry is not None and prisoner.release_date is not None
    assert prisoner.release_date <= prisoner.sentence_expiry - timedelta(days=54 * 8)
    assert prisoner.release_date.weekday() < 5
    assert any("3624(b)" in step for step in prisoner.release_working)
