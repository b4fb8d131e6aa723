"""habeas replay --check: the events alone rebuild the state, and anything else is caught."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from habeas import replay
from tests.factories import DEMO_EVENTS, with_demo

# replay: rebuilding projections from the log (docs/testing.md)
pytestmark = pytest.mark.both_engines


class TestReplayCheck:
    def test_demo_state_is_rebuilt_exactly_from_its_events(self, engine: Engine) -> None:
        with_demo(engine)
        report = replay.check(engine)
        assert report.clean, [d.describe() for d in report.differences]
        assert report.events == DEMO_EVENTS
        assert report.rows > 256  # every cell, building, user, agreement...

    def test_a_change_made_outside_the_write_path_is_reported_by_table_and_column(
            self, engine: Engine) -> None:
        with_demo(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE facility SET signed_capacity = 80000"))
        report = replay.check(engine)
        assert not report.clean
        [difference] = report.differences
        assert difference.table == "facility"
        assert "signed_capacity live=80000 replayed=40000" in difference.describe()

    def test_a_row_deleted_behind_the_log_s_back_is_reported(self, engine: Engine) -> None:
        with_demo(engine)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM user_account WHERE username = 'monitor'"))
        report = replay.check(engine)
        assert [d.table for d in report.differences] == ["user_account"]
        assert "replay has a row the live database lacks" in report.differences[0].describe()

    def test_a_row_inserted_behind_the_log_s_back_is_reported(self, engine: Engine) -> None:
        with_demo(engine)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO party (code, name) VALUES ('VEN', 'Venezuela')"))
        report = replay.check(engine)
        assert [d.describe() for d in report.differences] == [
            "party ('VEN',): live row was not produced by any event"]

    def test_an_empty_database_replays_cleanly(self, engine: Engine) -> None:
        report = replay.check(engine)
        assert report.clean and report.events == 0
