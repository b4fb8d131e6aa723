"""The manifest page's cancel form (issue 9: a planned or approved flight can be called off
from the browser): the receiving state says why, the manifest is cancelled once, a form
without a reason comes back with the error next to the field, and nobody else may post it.
Served by FastAPI's test client on the demo after its two flights, plus a planned manifest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from habeas.app import create_app
from habeas.db import read_session, unit_of_work
from habeas.ledger.models import Event
from habeas.transfers import service as transfers
from habeas.transfers.models import Manifest
from habeas.transfers.schemas import ManifestIn
from tests.conftest import log_in_as
from tests.web.conftest import after_the_flights
from tests.web.test_journeys import _nominate, person


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory, flights_template: Path
            ) -> Iterator[tuple[Engine, str]]:
    engine = after_the_flights(flights_template, tmp_path_factory.mktemp("cancel") / "c.db")
    with unit_of_work(engine) as db:
        pair = _nominate(db, [person("K-1", "Campos", "A7654301"),
                              person("K-2", "Rivas", "A7654302")], accept=True)
        manifest = transfers.plan(db, ManifestIn.model_validate({
            "people": pair, "legs": [{
                "mode": "flight", "carrier": "GlobalX Airlines", "number": "GXA 7101",
                "origin": "Harlingen, TX (HRL)", "destination": "San Salvador (SAL)",
                "departs_at": "2025-05-20T13:00:00+00:00",
                "arrives_at": "2025-05-20T17:30:00+00:00"}]}),
            actor="user:sv.warden", party="SLV")
        manifest_id = manifest.id
    yield engine, manifest_id
    engine.dispose()


def _cancellations(engine: Engine) -> int:
    with read_session(engine) as db:
        return db.scalar(select(func.count()).select_from(Event).where(
            Event.type == "transfer.cancelled")) or 0


def test_the_receiving_state_cancels_a_planned_manifest_once(planned: tuple[Engine, str]
                                                             ) -> None:
    engine, manifest_id = planned
    url = f"/transfers/{manifest_id}"
    with TestClient(create_app(engine)) as client:
        csrf = log_in_as(client, "sv.warden")
        assert 'action="/transfers/' + manifest_id + '/cancel"' in client.get(url).text
        before = _cancellations(engine)

        blank = client.post(url + "/cancel", data={"reason": "  ", "csrf": csrf})
        assert blank.status_code == 422
        assert 'id="cancel_reason" name="reason"' in blank.text
        assert 'aria-invalid="true"' in blank.text
        assert 'data-testid="cancelled-error"' in blank.text
        assert _cancellations(engine) == before

        done = client.post(url + "/cancel", data={"reason": "Flight withdrawn by the carrier",
                                                  "csrf": csrf}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].endswith("#cancelled")
        page = client.get(done.headers["location"])
        assert "Manifest cancelled" in page.text and "Flight withdrawn" in page.text
        assert 'action="/transfers/' + manifest_id + '/cancel"' not in page.text

        # The same form posted again changes nothing: the manifest is already cancelled.
        again = client.post(url + "/cancel", data={"reason": "Flight withdrawn by the carrier",
                                                   "csrf": csrf})
        assert again.status_code == 409
        assert _cancellations(engine) == before + 1
        with read_session(engine) as db:
            assert db.get_one(Manifest, manifest_id).status == "cancelled"


def test_only_the_receiving_state_may_cancel(planned: tuple[Engine, str]) -> None:
    engine, manifest_id = planned
    with TestClient(create_app(engine)) as client:
        csrf = log_in_as(client, "us.officer")
        refused = client.post(f"/transfers/{manifest_id}/cancel",
                              data={"reason": "not ours to cancel", "csrf": csrf})
        assert refused.status_code == 403
