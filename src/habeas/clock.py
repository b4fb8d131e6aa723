"""The one wall clock, and the injected clock simulations run on (DESIGN.md §12.2).

`recorded_at` is the server's clock at append: a fact, never a claim. A simulation
(the demo) lives a story that happened in the past, so it runs inside `simulated`,
which makes `utcnow` answer the story's time for the current context only. The
server never enters it, so no request can move the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass
class SimulatedClock:
    """SimulatedClock is a clock a simulation moves forward by hand; it never goes back."""

    now: datetime

    def set(self, moment: datetime) -> None:
        """set moves the clock to MOMENT, or leaves it where it is if MOMENT is earlier."""
        if moment.tzinfo is None:
            raise ValueError("a simulated moment must carry a time zone")
        self.now = max(self.now, moment.astimezone(UTC))

    def advance(self, delta: timedelta) -> None:
        self.set(self.now + delta)


_simulated: ContextVar[SimulatedClock | None] = ContextVar("habeas_simulated_clock",
                                                            default=None)


def active() -> SimulatedClock | None:
    """active: the simulated clock this context runs on, or None on the wall clock."""
    return _simulated.get()


def utcnow() -> datetime:
    """utcnow is the server's clock, or the simulation's inside `simulated`."""
    clock = _simulated.get()
    return clock.now if clock is not None else datetime.now(UTC)


def today() -> date:
    """today is the UTC day of `utcnow`."""
    return utcnow().date()


@contextmanager
def simulated(start: datetime) -> Iterator[SimulatedClock]:
    """simulated runs the block on a clock that starts at START and moves only when told."""
    clock = SimulatedClock(start.astimezone(UTC))
    token = _simulated.set(clock)
    try:
        yield clock
    finally:
        _simulated.reset(token)
