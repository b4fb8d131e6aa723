"""The story's clock: every act of the demo is recorded at its moment in 2025 (DESIGN.md §12.2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas import projections
from habeas.clock import SimulatedClock, active, simulated
from habeas.ledger.models import Event

ACTOR = "system:demo"


def _wall() -> datetime:
    return datetime.now(UTC)


@contextmanager
def story(session: Session, at: datetime) -> Iterator[SimulatedClock]:
    """story: the story's clock, from AT — or from the last recorded event, if later, so
    that recording times follow the log's order across steps — never past the wall clock
    (nothing is recorded before it happens). Inside another step's story, that clock."""
    projections.install()  # every chapter of the story starts here
    clock = active()
    if clock is not None:
        clock.set(min(at, _wall()))
        yield clock
        return
    last = session.scalar(select(func.max(Event.recorded_at)))
    start = at if last is None else max(at, last)
    with simulated(min(start, _wall())) as clock:
        yield clock


def tick(moment: datetime) -> None:
    """tick moves the story's clock to MOMENT (never back, never past the wall clock)."""
    clock = active()
    assert clock is not None, "a demo step runs on its story clock"
    clock.set(min(moment, _wall()))


@dataclass
class Agenda:
    """Agenda: the story's acts, each at its moment, run in time order on its clock (acts
    at the same moment in the order they were put on the agenda)."""

    acts: list[tuple[datetime, int, Callable[[], object]]] = field(default_factory=list)

    def at(self, moment: datetime, act: Callable[[], object]) -> None:
        self.acts.append((moment, len(self.acts), act))

    def run(self) -> None:
        for moment, _, act in sorted(self.acts, key=lambda a: (a[0], a[1])):
            tick(moment)
            act()
        self.acts.clear()


def on_day(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """on_day is the moment HOUR:MINUTE (UTC) of DAY."""
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour,
                                                                      minutes=minute)
