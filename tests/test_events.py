"""The one write path: sequence, payload commitment, envelope, atomicity, append-only log."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
import rfc8785
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError

from habeas.agreements.schemas import FacilityInfo
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError, ErrorCode, ValidationFailed
from habeas.events import NewEvent, log_size, record
from habeas.facilities.models import Facility
from habeas.facilities.projections import FacilityRegistered
from habeas.ledger.leaf import envelope, leaf_bytes
from habeas.ledger.models import Event

# the write path: one commit, the log's head and hashes (docs/testing.md)
pytestmark = pytest.mark.both_engines

FACILITY = FacilityInfo(code="F1", name="Test prison", country="SLV",
                        timezone="America/El_Salvador", address="Somewhere", phone="+503 1",
                        signed_capacity=100)


def facility_event(code: str = "F1") -> NewEvent:
    info = FACILITY.model_copy(update={"code": code})
    return NewEvent(type="facility.registered", payload=FacilityRegistered(facility=info),
                    actor="test", party="SLV", facility=code)


class TestRecord:
    def test_assigns_gap_free_sequence_numbers_from_zero(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            seqs = [record(s, facility_event(f"F{i}")).seq for i in range(3)]
        with unit_of_work(engine) as s:
            seqs.append(record(s, facility_event("F9")).seq)
            assert log_size(s) == 4
        assert seqs == [0, 1, 2, 3]

    def test_applies_the_event_to_current_state_in_the_same_transaction(
            self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            record(s, facility_event())
            assert s.get(Facility, "F1") is not None
        with read_session(engine) as s:
            assert s.get(Facility, "F1").signed_capacity == 100  # type: ignore[union-attr]

    def test_payload_is_committed_by_salted_sha256_of_canonical_json(
            self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            event = record(s, facility_event())
        salt = bytes.fromhex(event.salt)
        assert len(salt) == 16
        expected = hashlib.sha256(salt + rfc8785.dumps(event.payload)).hexdigest()
        assert event.payload_sha256 == expected

    def test_same_payload_twice_gets_different_salts_and_digests(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            a = record(s, facility_event("A"))
            b = record(s, facility_event("B"))
        payload_a = dict(a.payload["facility"], code="X")
        payload_b = dict(b.payload["facility"], code="X")
        assert payload_a == payload_b
        assert a.salt != b.salt

    def test_envelope_carries_no_payload_and_is_canonical_json(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            event = record(s, facility_event(), now=datetime.fromisoformat(
                "2025-03-15T12:00:00+00:00"))
        env = envelope(event)
        assert set(env) == {"v", "seq", "type", "occurred_at", "recorded_at", "actor",
                            "party", "subject", "facility", "payload_sha256"}
        assert env["recorded_at"] == "2025-03-15T12:00:00.000000Z"
        assert b"Test prison" not in leaf_bytes(event)
        assert leaf_bytes(event) == rfc8785.dumps(env)

    def test_envelope_is_identical_after_a_round_trip_through_the_database(
            self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            before = leaf_bytes(record(s, facility_event()))
        with read_session(engine) as s:
            after = leaf_bytes(s.scalars(select(Event)).one())
        assert before == after


class TestRefusals:
    def test_unknown_event_type(self, engine: Engine) -> None:
        with pytest.raises(DomainError) as caught, unit_of_work(engine) as s:
            record(s, NewEvent(type="custody.teleported", payload={}, actor="test"))
        assert caught.value.code is ErrorCode.UNKNOWN_EVENT_TYPE

    def test_payload_error_names_the_field(self, engine: Engine) -> None:
        bad = {"facility": {**FACILITY.model_dump(), "country": "XXX"}}
        with pytest.raises(ValidationFailed) as caught, unit_of_work(engine) as s:
            record(s, NewEvent(type="facility.registered", payload=bad, actor="test"))
        assert caught.value.details["field"] == "payload.facility.country"
        assert caught.value.code is ErrorCode.INVALID_EVENT

    def test_bad_party_code_is_refused(self, engine: Engine) -> None:
        event = NewEvent(type="facility.registered", actor="test", party="ZZ",
                         payload=FacilityRegistered(facility=FACILITY))
        with pytest.raises(ValidationFailed, match="party"), unit_of_work(engine) as s:
            record(s, event)

    def test_naive_occurred_at_is_refused(self, engine: Engine) -> None:
        event = NewEvent(type="facility.registered", actor="test",
                         payload=FacilityRegistered(facility=FACILITY),
                         occurred_at=datetime(2025, 3, 15, 12, 0))
        with pytest.raises(ValidationFailed, match="occurred_at"), unit_of_work(engine) as s:
            record(s, event)


class TestAtomicity:
    def test_a_failure_later_in_the_unit_of_work_leaves_neither_event_nor_state(
            self, engine: Engine) -> None:
        with pytest.raises(RuntimeError), unit_of_work(engine) as s:
            record(s, facility_event())
            raise RuntimeError("crash after the event was recorded")
        with read_session(engine) as s:
            assert log_size(s) == 0
            assert s.scalars(select(Event)).first() is None
            assert s.get(Facility, "F1") is None
        with unit_of_work(engine) as s:
            assert record(s, facility_event()).seq == 0  # no gap left behind

    def test_a_failing_projection_rolls_back_its_event(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            record(s, facility_event())
        with pytest.raises(DatabaseError), unit_of_work(engine) as s:
            record(s, facility_event())  # same primary key: the projection fails
        with read_session(engine) as s:
            assert log_size(s) == 1
            assert len(s.scalars(select(Event)).all()) == 1


class TestAppendOnly:
    @pytest.mark.parametrize("statement", [
        "UPDATE event SET actor = 'someone else'",
        "DELETE FROM event",
    ])
    def test_the_database_refuses_to_rewrite_events(self, engine: Engine,
                                                    statement: str) -> None:
        with unit_of_work(engine) as s:
            record(s, facility_event())
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
        with read_session(engine) as s:
            assert s.scalars(select(Event)).one().actor == "test"
