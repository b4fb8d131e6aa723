"""Mandatory notifications (Mandela Rules 68-69, VCCR arts. 36-37, counsel of record): who is
owed a message for which event, written in the event's own transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from habeas.custody import records
from habeas.db import read_session, unit_of_work
from habeas.ledger.models import Event
from habeas.notify.models import Notification
from habeas.transfers import service as transfers
from tests.custody.test_intake import AT, intake
from tests.notify.conftest import CONSULATES, COUNSEL, MOTHER, admitted, rows, with_consulates
from tests.transfers.factories import accepted_people, departed, handed_over

DIED = datetime(2025, 5, 2, 3, 40, tzinfo=UTC)


def recipients(engine: Engine, reason: str) -> dict[str, str]:
    return {n.recipient: n.audience for n in rows(engine, reason=reason)}


class TestAdmission:
    def test_owes_family_counsel_and_each_foreign_consulate(self, demo_engine: Engine) -> None:
        with_consulates(demo_engine)
        person = admitted(demo_engine, nationalities=("HND", "GTM"))
        owed = rows(demo_engine, reason="admission")
        assert {n.recipient: n.audience for n in owed} == {
            MOTHER: "family", COUNSEL: "counsel", CONSULATES["HND"]: "consulate",
            CONSULATES["GTM"]: "consulate"}
        with read_session(demo_engine) as s:
            intake_event = s.scalars(select(Event).where(Event.type == "intake.recorded")).one()
        assert {(n.seq, n.subject, n.kind, n.status, n.created_at) for n in owed} == {
            (intake_event.seq, person, "mandatory", "pending", intake_event.recorded_at)}
        by_audience = {n.audience: n for n in owed}
        assert (by_audience["family"].locale, by_audience["counsel"].locale) == ("es", "en")
        assert by_audience["counsel"].params["reference"] == "T-1"
        assert len({n.idempotency_key for n in owed}) == 4
        assert all(n.idempotency_key.startswith(f"{intake_event.seq}:") for n in owed)

    def test_nothing_is_owed_when_the_event_is_not_recorded(self, demo_engine: Engine
                                                            ) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        handed_over(demo_engine, [person])
        from habeas.custody import service as custody

        with pytest.raises(RuntimeError), unit_of_work(demo_engine) as s:
            custody.record_intake(s, person, intake(contacts=[{
                "name": "Ana López", "relationship": "mother", "email": MOTHER}]),
                officer="Portillo", actor="x", party="SLV", at=AT)
            assert s.scalar(select(func.count()).select_from(Notification)) == 1
            raise RuntimeError("the unit of work fails after the event")
        assert rows(demo_engine) == []

    def test_a_national_of_the_host_country_has_no_consulate_to_notify(
            self, demo_engine: Engine) -> None:
        with_consulates(demo_engine)
        admitted(demo_engine, nationalities=("SLV",))
        assert set(recipients(demo_engine, "admission").values()) == {"family", "counsel"}


class TestRequestNotToNotify:
    def test_is_respected_for_admission_and_illness_but_not_for_death(
            self, demo_engine: Engine) -> None:
        with_consulates(demo_engine)
        person = admitted(demo_engine, do_not_notify=True)
        assert MOTHER not in recipients(demo_engine, "admission")
        with unit_of_work(demo_engine) as s:
            records.record_medical_emergency(s, person, at=DIED, nature="injury",
                                             details="fractured skull", actor="x", party="SLV",
                                             treated_at="Hospital Rosales")
            records.record_death(s, person, died_at=DIED, place="Hospital Rosales",
                                 circumstances="head injury", actor="x", party="SLV")
        assert MOTHER not in recipients(demo_engine, "illness")
        # Mandela Rule 69: "shall at once inform the prisoner's next of kin".
        assert recipients(demo_engine, "death")[MOTHER] == "family"

    def test_declined_consular_notification_is_respected_but_not_for_death(
            self, demo_engine: Engine) -> None:
        with_consulates(demo_engine)
        person = admitted(demo_engine, do_not_notify_consulate=True)
        assert "consulate" not in recipients(demo_engine, "admission").values()
        with unit_of_work(demo_engine) as s:
            records.record_death(s, person, died_at=DIED, place="M8", circumstances="x",
                                 actor="x", party="SLV")
        # VCCR art. 37(a): a national's death is notified without delay, whatever was asked.
        assert recipients(demo_engine, "death")[CONSULATES["HND"]] == "consulate"


class TestIllness:
    def test_tells_where_but_never_the_clinical_details(self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        with unit_of_work(demo_engine) as s:
            records.record_medical_emergency(s, person, at=DIED, nature="illness",
                                             details="tuberculosis, confidential",
                                             actor="x", party="SLV", treated_at="Hospital Rosales")
        owed = rows(demo_engine, reason="illness")
        assert {n.audience for n in owed} == {"family", "counsel"}
        assert all("tuberculosis" not in str(n.params) for n in owed)
        assert owed[0].params["treated_at"] == "Hospital Rosales"

    def test_refuses_an_unknown_nature(self, demo_engine: Engine) -> None:
        from tests.factories import refused

        person = admitted(demo_engine)
        refused(demo_engine, lambda s: records.record_medical_emergency(
            s, person, at=DIED, nature="bad luck", details="x", actor="x", party="SLV"),
            "validation_failed")


class TestTransfer:
    def test_a_departure_tells_the_next_of_kin_the_sending_state_gave(
            self, demo_engine: Engine) -> None:
        [a, b] = accepted_people(demo_engine, "T-1", "T-2", **{
            "next_of_kin": [{"name": "Ana López", "relationship": "mother",
                             "email": MOTHER}]})
        departed(demo_engine, [a, b])
        owed = rows(demo_engine, reason="transfer")
        # One mother of two brothers on one flight hears about each.
        assert sorted(n.subject for n in owed) == sorted([a, b])
        assert {n.recipient for n in owed} == {MOTHER}
        assert {n.params["direction"] for n in owed} == {"outbound"}

    def test_a_return_ordered_in_flight_tells_those_told_of_the_departure(
            self, demo_engine: Engine) -> None:
        from habeas.holds import service as holds

        [person] = accepted_people(demo_engine, "T-1", **{"next_of_kin": [{
            "name": "Ana López", "relationship": "mother", "email": MOTHER}]})
        manifest_id, _, _ = departed(demo_engine, [person])
        with unit_of_work(demo_engine) as s:
            holds.register(s, holds.parse_hold({
                "hold_ref": "1:25-cv-STOP", "court": "D.D.C.", "kind": "tro",
                "issued": "2025-04-10", "expires": None, "scope": {"external_ref": "T-1"},
                "bars_removal_to": "any"}), actor="x", party=None,
                as_of=datetime(2025, 4, 10, tzinfo=UTC).date())
            transfers.arrive(s, manifest_id, arrived_at=datetime(2025, 4, 10, 19, tzinfo=UTC),
                             actor="x", party="SLV")
            transfers.return_from_transit(s, manifest_id, person,
                                          returned_at=datetime(2025, 4, 11, 9, tzinfo=UTC),
                                          officer="Officer Castillo", actor="x", party="USA")
        told = [(n.recipient, n.params["direction"], n.params["date"])
                for n in rows(demo_engine, reason="transfer")]
        assert told == [(MOTHER, "outbound", "2025-04-10"), (MOTHER, "stopped", "2025-04-11")]

    def test_a_flight_home_tells_the_contacts_recorded_at_intake(
            self, demo_engine: Engine) -> None:
        from tests.locator.conftest import release

        person = admitted(demo_engine, counsel=False)
        release(demo_engine, person, datetime(2025, 8, 1, tzinfo=UTC).date())
        [owed] = [n for n in rows(demo_engine, reason="transfer") if n.subject == person]
        assert (owed.recipient, owed.params["direction"]) == (MOTHER, "released")
        with read_session(demo_engine) as s:
            assert transfers.list_manifests(s)


class TestExistingDatabase:
    def test_an_upgrade_owes_what_earlier_events_owed_and_replay_agrees(
            self, demo_engine: Engine) -> None:

        from habeas.migrate import downgrade, upgrade
        from habeas.replay import check

        admitted(demo_engine, nationalities=("SLV",))
        before = [(n.id, n.recipient, n.reason) for n in rows(demo_engine)]
        assert len(before) == 3  # counsel of the flight; mother and counsel of the admission
        downgrade(demo_engine, "0009")
        upgrade(demo_engine)  # 0010 again, on a database full of events
        assert [(n.id, n.recipient, n.reason) for n in rows(demo_engine)] == before
        report = check(demo_engine)
        assert report.clean, [d.describe() for d in report.differences]
