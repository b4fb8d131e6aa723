"""A batch of events applied at once leaves the same tables as the same events applied one
by one: the write path applies and flushes event by event, live and in replay alike, so a
projector never sees rows that depend on how the events were batched (ADR 0024)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from habeas import replay
from habeas.db import make_engine, read_session
from habeas.events import log_size
from habeas.migrate import upgrade


@pytest.mark.heavy
def test_the_lived_demo_applied_at_once_equals_it_applied_one_event_at_a_time(
        lived_template: Engine, engine: Engine, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with read_session(lived_template) as s:
        size = log_size(s)
    # The demo lived to July: nominations, transfers, handovers, releases, returns, invoices.
    # One unit of work per event, on the engine under test (SQLite and PostgreSQL) …
    monkeypatch.setattr(replay, "BATCH", 1)
    assert replay.rebuild(lived_template, engine) == size
    # … and every event in one unit of work.
    at_once = make_engine(f"sqlite:///{tmp_path / 'at_once.db'}")
    try:
        upgrade(at_once)
        monkeypatch.setattr(replay, "BATCH", size)
        assert replay.rebuild(lived_template, at_once) == size
        rows, differences = replay.compare(engine, at_once)
    finally:
        at_once.dispose()
    assert [d.describe() for d in differences] == []
    assert rows > size  # the comparison saw the tables, not an empty database
    # Both equal what the services recorded live, in batches of their own choosing.
    _, differences = replay.compare(lived_template, engine)
    assert [d.describe() for d in differences] == []
