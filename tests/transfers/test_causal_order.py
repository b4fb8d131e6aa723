"""A custody story in order (DESIGN.md §12.2): nomination ≤ acceptance ≤ planned ≤ departed.

The person here is nominated on 5 March 2025 and accepted only on 10 March at noon; the
receiving state, which accepted them, cannot plan a leg before that, nor can the sending
state record a departure before it — not even on the planned day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.agreements.models import Agreement
from habeas.clock import simulated
from habeas.db import unit_of_work
from habeas.nominations import decisions
from habeas.nominations import service as nominations
from habeas.nominations.models import NominationRecord
from habeas.transfers import service as transfers
from tests.api.conftest import bearer
from tests.factories import refused
from tests.screening.factories import nomination
from tests.transfers.factories import manifest_body
from tests.transfers.test_api import plan_body

# Issue 17's reproductions, on both engines: the causal order gates the write path.
pytestmark = pytest.mark.both_engines

NOMINATED = datetime(2025, 3, 5, 12, tzinfo=UTC)
ACCEPTED = datetime(2025, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def accepted_late(demo_engine: Engine) -> str:
    """accepted_late: a man nominated (and served notice) on 5 March, accepted on 10 March."""
    with simulated(NOMINATED), unit_of_work(demo_engine) as s:
        [row] = nominations.import_rows(s, s.get_one(Agreement, "USA-SLV-2025"), [
            nominations.Row(1, nomination(external_ref="A-1").model_dump(mode="json"))],
            as_of=NOMINATED.date(), actor="test")
        assert row.public_id is not None and row.decision == "eligible", row
        decisions.serve_notice(s, s.get_one(NominationRecord, row.public_id),
                               served_on=NOMINATED.date(), language="es", method="in_person",
                               acknowledged=True, actor="user:us.officer", party="USA")
    with simulated(ACCEPTED), unit_of_work(demo_engine) as s:
        decisions.accept(s, s.get_one(NominationRecord, row.public_id), on=ACCEPTED.date(),
                         actor="user:sv.warden", party="SLV")
    return row.public_id


def _plan(engine: Engine, person: str, departs: str, lands: str) -> str:
    with unit_of_work(engine) as s:
        return transfers.plan(s, manifest_body([person], departs=departs, lands=lands),
                              actor="user:sv.warden", party="SLV").id


class TestPlannedAfterAcceptance:
    def test_a_leg_dated_before_the_acceptance_is_refused(self, demo_engine: Engine,
                                                          accepted_late: str) -> None:
        # After the nomination (so that anchor alone let it through), before the acceptance.
        body = manifest_body([accepted_late], departs="2025-03-08T13:00:00+00:00",
                             lands="2025-03-08T17:00:00+00:00")
        error = refused(demo_engine, lambda s: transfers.plan(
            s, body, actor="user:sv.warden", party="SLV"), "out_of_order")
        assert error.details["field"] == "legs.0.departs_at"
        assert error.details["accepted_at"] == ACCEPTED.isoformat()
        assert f"people.0 ({accepted_late}) was accepted" in error.message

    def test_on_the_day_of_the_acceptance_the_hour_counts(self, demo_engine: Engine,
                                                          accepted_late: str) -> None:
        body = manifest_body([accepted_late], departs="2025-03-10T11:00:00+00:00",
                             lands="2025-03-10T15:00:00+00:00")
        refused(demo_engine, lambda s: transfers.plan(
            s, body, actor="user:sv.warden", party="SLV"), "out_of_order")
        assert _plan(demo_engine, accepted_late, "2025-03-10T13:00:00+00:00",
                     "2025-03-10T17:00:00+00:00")

    def test_over_the_api_it_is_a_422_naming_the_leg(
            self, client: TestClient, tokens: dict[str, str], accepted_late: str) -> None:
        response = client.post("/api/v1/transfers", headers=bearer(tokens["sv.warden"]),
                               json=plan_body([accepted_late],
                                              departs_at="2025-03-09T13:00:00+00:00",
                                              arrives_at="2025-03-09T17:00:00+00:00"))
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["code"], error["details"]["field"]) == ("out_of_order",
                                                              "legs.0.departs_at")


class TestDepartedAfterPlanAndAcceptance:
    def _approved(self, engine: Engine, person: str) -> str:
        manifest_id = _plan(engine, person, "2025-03-10T13:00:00+00:00",
                            "2025-03-10T17:00:00+00:00")
        with unit_of_work(engine) as s:
            transfers.approve(s, manifest_id, actor="user:us.officer", party="USA")
        return manifest_id

    def test_a_departure_on_the_planned_day_before_the_acceptance_is_refused(
            self, demo_engine: Engine, accepted_late: str) -> None:
        manifest_id = self._approved(demo_engine, accepted_late)
        error = refused(demo_engine, lambda s: transfers.depart(
            s, manifest_id, departed_at=datetime(2025, 3, 10, 9, tzinfo=UTC),
            actor="user:us.officer", party="USA"), "out_of_order")
        assert error.details["field"] == "departed_at"
        assert error.details["accepted_at"] == ACCEPTED.isoformat()

    def test_a_departure_before_the_planned_day_is_out_of_order(
            self, demo_engine: Engine, accepted_late: str) -> None:
        manifest_id = self._approved(demo_engine, accepted_late)
        error = refused(demo_engine, lambda s: transfers.depart(
            s, manifest_id, departed_at=datetime(2025, 3, 9, 23, tzinfo=UTC),
            actor="user:us.officer", party="USA"), "out_of_order")
        assert error.details["field"] == "departed_at"
        assert str(date(2025, 3, 10)) in error.message
