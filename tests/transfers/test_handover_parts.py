"""Handover and handback are two acts, one per state (DESIGN.md §12.1: "both: the handing
and the taking officer, each for its own side; never one side typing the other's name").

Reproductions of issue 17: the receiving state (and another agreement's officer) recorded
a handback — the sending state's receipt — with a made-up `sending_officer`, and people
became `released`. Each state now records only its own part, named from its own login;
custody passes once both parts are recorded, in either order.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, select

from habeas.custody.models import Prisoner
from habeas.db import read_session, unit_of_work
from habeas.ledger.models import Event
from habeas.transfers import service as transfers
from habeas.transfers.models import HandoverPart, ManifestPerson
from tests.conftest import second_agreement
from tests.factories import refused
from tests.transfers.factories import (
    RECEIVING_OFFICER,
    SENDING_OFFICER,
    accepted_people,
    arrived,
    hand_over_both,
    handover,
    manifest_body,
)

FINGERPRINT = "ab" * 32


def _entry(engine: Engine, manifest_id: str, public_id: str) -> ManifestPerson:
    with read_session(engine) as s:
        return s.get_one(ManifestPerson, (manifest_id, public_id))


def _prisoner(engine: Engine, public_id: str) -> Prisoner | None:
    with read_session(engine) as s:
        return s.get(Prisoner, public_id)


def _sending_part(s: object, manifest_id: str, public_id: str, **extra: object) -> None:
    transfers.hand_over(s, manifest_id, handover(public_id, **extra),  # type: ignore[arg-type]
                        officer=SENDING_OFFICER, actor="user:us.officer", party="USA")


class TestHandover:
    def test_one_states_part_alone_passes_no_custody(self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        manifest_id = arrived(demo_engine, [person])
        with unit_of_work(demo_engine) as s:
            _sending_part(s, manifest_id, person, biometric_reference_sha256=FINGERPRINT)
        assert _entry(demo_engine, manifest_id, person).status == "departed"
        assert _prisoner(demo_engine, person) is None  # nobody took them in yet
        with read_session(demo_engine) as s:
            assert s.scalar(select(Event.seq).where(Event.type == "custody.handed_over",
                                                    Event.subject == person)) is None
        with unit_of_work(demo_engine) as s:
            transfers.hand_over(s, manifest_id, handover(person), officer=RECEIVING_OFFICER,
                                actor="user:sv.warden", party="SLV")
        entry = _entry(demo_engine, manifest_id, person)
        prisoner = _prisoner(demo_engine, person)
        assert entry.status == "handed_over" and prisoner is not None
        # Each officer is named by their own state's act, never typed by the other.
        assert (entry.sending_officer, entry.receiving_officer) == (SENDING_OFFICER,
                                                                     RECEIVING_OFFICER)
        assert entry.biometric_reference_sha256 == FINGERPRINT
        assert (prisoner.legal_custodian, prisoner.physical_custodian) == ("USA", "CECOT")

    def test_either_state_may_go_first_and_custody_passes_at_the_later_moment(
            self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        manifest_id = arrived(demo_engine, [person])
        with unit_of_work(demo_engine) as s:
            transfers.hand_over(s, manifest_id, handover(
                person, handed_over_at="2025-04-10T18:30:00+00:00"), officer=RECEIVING_OFFICER,
                actor="user:sv.warden", party="SLV")
        assert _prisoner(demo_engine, person) is None
        with unit_of_work(demo_engine) as s:
            _sending_part(s, manifest_id, person)  # 18:00: handed before it was taken
        entry = _entry(demo_engine, manifest_id, person)
        assert entry.status == "handed_over"
        assert entry.handed_over_at == datetime.fromisoformat("2025-04-10T18:30:00+00:00")

    def test_a_state_records_its_part_once(self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        manifest_id = arrived(demo_engine, [person])
        with unit_of_work(demo_engine) as s:
            _sending_part(s, manifest_id, person)
        error = refused(demo_engine, lambda s: _sending_part(s, manifest_id, person),
                        "invalid_transition")
        assert "other state records its own" in error.message
        assert _prisoner(demo_engine, person) is None

    def test_the_receiving_state_cannot_record_the_sending_states_part(
            self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        manifest_id = arrived(demo_engine, [person])
        error = refused(demo_engine, lambda s: transfers.hand_over(
            s, manifest_id, handover(person, side="sending"), officer="Officer Castillo (ICE)",
            actor="user:sv.warden", party="SLV"), "wrong_party")
        assert error.details["owner"] == "USA"

    def test_the_biometric_reference_is_the_sending_states_to_give(
            self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        manifest_id = arrived(demo_engine, [person])
        error = refused(demo_engine, lambda s: transfers.hand_over(
            s, manifest_id, handover(person, biometric_reference_sha256=FINGERPRINT),
            officer=RECEIVING_OFFICER, actor="user:sv.warden", party="SLV"),
            "validation_failed")
        assert error.details["field"] == "biometric_reference_sha256"

    def test_another_agreements_officer_finds_no_manifest(self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        manifest_id = arrived(demo_engine, [person])
        with unit_of_work(demo_engine) as s:
            second_agreement(s)
        known = refused(demo_engine, lambda s: transfers.hand_over(
            s, manifest_id, handover(person), officer="Costa Rican officer",
            actor="user:cr.officer", party="CRI"), "not_found")
        unknown = refused(demo_engine, lambda s: transfers.hand_over(
            s, "T999999", handover(person), officer="Costa Rican officer",
            actor="user:cr.officer", party="CRI"), "not_found")
        assert known.message == unknown.message.replace("T999999", manifest_id)

    def test_no_state_at_all_records_no_part(self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        manifest_id = arrived(demo_engine, [person])
        refused(demo_engine, lambda s: transfers.hand_over(
            s, manifest_id, handover(person), officer="an operator", actor="system:x",
            party=None), "wrong_party")


@pytest.fixture
def going_home(demo_engine: Engine) -> tuple[str, str]:
    """going_home: a U.S. transferee held at CECOT, flown home and landed (a release)."""
    [person] = accepted_people(demo_engine, "T-1")
    outbound = arrived(demo_engine, [person])
    with unit_of_work(demo_engine) as s:
        hand_over_both(s, outbound, handover(person))
        manifest = transfers.plan_return(s, manifest_body(
            [person], departs="2025-06-01T13:00:00+00:00", lands="2025-06-01T17:00:00+00:00"),
            outcome="released", actor="user:sv.warden", party="SLV")
        transfers.approve(s, manifest.id, actor="user:us.officer", party="USA")
        transfers.depart(s, manifest.id,
                         departed_at=datetime.fromisoformat("2025-06-01T13:00:00+00:00"),
                         actor="user:us.officer", party="USA")
        transfers.arrive(s, manifest.id,
                         arrived_at=datetime.fromisoformat("2025-06-01T17:00:00+00:00"),
                         actor="user:sv.warden", party="SLV")
        return manifest.id, person


HOME = "2025-06-01T18:00:00+00:00"


class TestHandback:
    def test_the_receiving_state_cannot_record_the_sending_states_receipt(
            self, demo_engine: Engine, going_home: tuple[str, str]) -> None:
        manifest_id, person = going_home
        error = refused(demo_engine, lambda s: transfers.hand_back(
            s, manifest_id, handover(person, handed_over_at=HOME, side="sending"),
            officer="Officer Castillo (ICE)", actor="user:sv.warden", party="SLV"),
            "wrong_party")
        assert (error.status, error.details["owner"]) == (403, "USA")
        assert _prisoner(demo_engine, person).status == "returning"  # type: ignore[union-attr]

    def test_the_escorts_part_alone_releases_nobody(
            self, demo_engine: Engine, going_home: tuple[str, str]) -> None:
        manifest_id, person = going_home
        with unit_of_work(demo_engine) as s:
            transfers.hand_back(s, manifest_id, handover(person, handed_over_at=HOME),
                                officer=RECEIVING_OFFICER, actor="user:sv.warden",
                                party="SLV")
        prisoner = _prisoner(demo_engine, person)
        assert prisoner is not None and prisoner.status == "returning"
        assert _entry(demo_engine, manifest_id, person).status == "departed"
        refused(demo_engine, lambda s: transfers.hand_back(
            s, manifest_id, handover(person, handed_over_at=HOME), officer="someone else",
            actor="user:sv.warden", party="SLV"), "invalid_transition")
        with unit_of_work(demo_engine) as s:
            transfers.hand_back(s, manifest_id, handover(person, handed_over_at=HOME),
                                officer=SENDING_OFFICER, actor="user:us.officer", party="USA")
        prisoner = _prisoner(demo_engine, person)
        assert prisoner is not None
        assert (prisoner.status, prisoner.physical_custodian) == ("released", "USA")
        with read_session(demo_engine) as s:
            parts = {p.side: (p.role, p.officer, p.actor) for p in s.scalars(
                select(HandoverPart).where(HandoverPart.manifest_id == manifest_id))}
        assert parts == {"receiving": ("handing", RECEIVING_OFFICER, "user:sv.warden"),
                         "sending": ("taking", SENDING_OFFICER, "user:us.officer")}

    def test_another_agreements_officer_records_no_handback(
            self, demo_engine: Engine, going_home: tuple[str, str]) -> None:
        manifest_id, person = going_home
        with unit_of_work(demo_engine) as s:
            second_agreement(s)
        error = refused(demo_engine, lambda s: transfers.hand_back(
            s, manifest_id, handover(person, handed_over_at=HOME), officer="Costa Rican officer",
            actor="user:cr.officer", party="CRI"), "not_found")
        assert error.status == 404 and person not in error.message
        assert _prisoner(demo_engine, person).status == "returning"  # type: ignore[union-attr]

