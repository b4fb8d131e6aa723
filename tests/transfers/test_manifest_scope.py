"""A manifest is its agreement's two states' alone, checked once, in the service
(transfers.service.manifest_of): another agreement's officer reads every read and every
step of it exactly as of a manifest that does not exist (DESIGN.md §12.1), whichever face
they come through, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from habeas.db import read_session, unit_of_work
from habeas.errors import NotFound
from habeas.transfers import reads
from habeas.transfers import service as transfers
from tests.conftest import second_agreement
from tests.factories import refused
from tests.transfers.factories import (
    DEPARTS,
    LANDS,
    accepted_people,
    approved,
    departed,
    planned,
)

STRANGER = {"actor": "user:cr.officer", "party": "CRI"}
UNKNOWN = "T999999"
# Each step, the status its manifest must be at for the step to be the next one.
STEPS: dict[str, tuple[str, Callable[[Session, str], object]]] = {
    "approve": ("planned", lambda s, m: transfers.approve(s, m, **STRANGER)),
    "cancel": ("planned", lambda s, m: transfers.cancel(s, m, reason="not ours", **STRANGER)),
    "depart": ("approved", lambda s, m: transfers.depart(
        s, m, departed_at=datetime.fromisoformat(DEPARTS), **STRANGER)),
    "arrive": ("departed", lambda s, m: transfers.arrive(
        s, m, arrived_at=datetime.fromisoformat(LANDS), **STRANGER)),
}


def _manifest_at(engine: Engine, status: str) -> str:
    people = accepted_people(engine, "S-1")
    if status == "planned":
        return planned(engine, people)
    if status == "approved":
        return approved(engine, people)
    return departed(engine, people)[0]


@pytest.mark.parametrize("step", sorted(STEPS))
def test_another_agreements_officer_takes_no_step_of_a_manifest(
        demo_engine: Engine, step: str) -> None:
    status, act = STEPS[step]
    manifest_id = _manifest_at(demo_engine, status)
    with unit_of_work(demo_engine) as s:
        second_agreement(s)
    known = refused(demo_engine, lambda s: act(s, manifest_id), "not_found")
    unknown = refused(demo_engine, lambda s: act(s, UNKNOWN), "not_found")
    assert known.status == 404
    assert known.message == unknown.message.replace(UNKNOWN, manifest_id)
    with read_session(demo_engine) as s:
        assert transfers.get_manifest(s, manifest_id).status == status


def test_another_agreements_officer_reads_no_manifest(demo_engine: Engine) -> None:
    manifest_id = _manifest_at(demo_engine, "planned")
    with unit_of_work(demo_engine) as s:
        second_agreement(s)
    with read_session(demo_engine) as s:
        for read in (lambda m: transfers.get_manifest(s, m, "CRI"),
                     lambda m: reads.manifest_view(s, m, scope="CRI", party="CRI")):
            with pytest.raises(NotFound) as known:
                read(manifest_id)
            with pytest.raises(NotFound) as unknown:
                read(UNKNOWN)
            assert known.value.message == unknown.value.message.replace(UNKNOWN, manifest_id)
        # Its own states read it, each as its own side.
        sending = reads.manifest_view(s, manifest_id, scope="USA", party="USA")
        receiving = reads.manifest_view(s, manifest_id, scope=None, party="SLV")
        assert (sending.party_to, sending.side.value) == (True, "sending")
        assert (receiving.party_to, receiving.side.value) == (True, "receiving")
        assert transfers.list_manifests(s, "CRI") == []
