"""The demo scenario: a CECOT-like facility, the 2025 USA–SLV agreement, a user per role.

Deterministic for a given seed: the same seed gives the same ids and the same
scenario (only event salts, which must stay secret and random, differ).
Running it again on a loaded database changes nothing.

The story lives in time (DESIGN.md §12.2): every step runs on the injected clock
(habeas.clock.simulated), set to the moment each act happens, so an event's
`recorded_at` is the story's day, not the day the demo was loaded, and its
`occurred_at` is never later. Steps whose acts interleave over months (`simulate`)
put them on an agenda and run it in time order, so the clock only moves forward.

One module per chapter, told in this order by `tell`: agreement (the agreement, CECOT and
the users), nominating (nominations, court orders, acceptance), population, consulates,
flights, then the custody year (year: custody, oversight, billing on one agenda), and
witnesses (the log cosigned). story holds the clock they share.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from habeas.ledger.note import Signer

from .agreement import DEMO_PASSWORD, DEMO_USERS, DemoUser, cecot_layout, load
from .consulates import consulates
from .flights import LEFT_AWAITING_INTAKE, OFFICERS, transfer
from .nominating import DEMO_AS_OF, accept_up_to_quota, nominate
from .population import populate
from .witnesses import witness
from .year import simulate

__all__ = [
    "DEMO_AS_OF", "DEMO_PASSWORD", "DEMO_USERS", "LEFT_AWAITING_INTAKE", "OFFICERS", "DemoUser",
    "accept_up_to_quota", "cecot_layout", "consulates", "load", "nominate", "populate",
    "simulate", "tell", "transfer", "witness",
]


def tell(session: Session, log: Signer, *, seed: int, population: int | None,
         until: date) -> list[str]:
    """tell loads the whole story in its order, up to UNTIL, and says what each step did."""
    steps = load(session, seed=seed)
    steps += nominate(session, seed=seed)
    steps += populate(session, seed=seed, count=population)
    steps += consulates(session)  # before admissions (VCCR art. 36)
    steps += transfer(session)
    steps += simulate(session, until=until)
    steps += witness(session, log, seed=seed)
    return steps
