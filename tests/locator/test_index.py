"""The locator's index is derived state: replay rebuilds it exactly, and a database that
held events before the index existed gets it filled when it is migrated (ADR 0015)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select

from habeas.db import read_session, unit_of_work
from habeas.locator import service
from habeas.locator.models import LocatorDocument, LocatorEntry
from habeas.migrate import current_revision, downgrade, head_revision, upgrade
from habeas.replay import check
from tests.locator.conftest import World

pytestmark = pytest.mark.both_engines  # a migration fills the locator's index (docs/testing.md)


def index(engine: Engine) -> dict[str, Any]:
    with read_session(engine) as s:
        entries = {e.public_id: {c.name: getattr(e, c.name) for c in LocatorEntry.__table__.c}
                   for e in s.scalars(select(LocatorEntry))}
        documents = sorted(tuple(row) for row in s.execute(
            select(LocatorDocument.public_id, LocatorDocument.number_key)))
    return {"entries": entries, "documents": documents}


def test_replay_rebuilds_the_index_exactly(engine: Engine, world: World) -> None:
    report = check(engine)
    assert report.clean, [d.describe() for d in report.differences]
    assert len(index(engine)["entries"]) == 9


def test_only_transferees_who_left_are_indexed(engine: Engine, world: World) -> None:
    entries = index(engine)["entries"]
    assert world.accepted not in entries
    assert {e["status"] for e in entries.values()} == {
        "in_custody", "in_transit", "released", "returned", "deceased", "escaped"}


def test_rebuild_index_gives_the_rows_the_reactions_wrote(engine: Engine,
                                                          world: World) -> None:
    live = index(engine)
    with unit_of_work(engine) as s:
        read = service.rebuild_index(s)
    assert read > 9
    assert index(engine) == live


def test_migrating_a_database_with_events_fills_the_index(engine: Engine,
                                                          world: World) -> None:
    live = index(engine)
    downgrade(engine, "0008")
    assert "locator_entry" not in inspect(engine).get_table_names()
    assert upgrade(engine) == ("0008", head_revision())
    assert current_revision(engine) == head_revision()
    assert index(engine) == live
