"""The custody year: every chapter from the flights until a given day, lived on one agenda
in time order, then the monitor's integrity report."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements import service as agreements

from .billing import billing
from .custody import DEMO_DIED, a_death, a_subscription, contacts, releases, solitary_episodes
from .flights import DEMO_RETURNED, home_on
from .oversight import oversight
from .story import Agenda, on_day, story, tick

DEMO_RENEWAL = "Exchange of notes between the United States and El Salvador, 1 March 2026"


def simulate(session: Session, *, until: date, seed: int = 2025) -> list[str]:
    """simulate lives custody from the flights until UNTIL: family and legal contacts, moves,
    solitary (one episode prolonged without review), releases and returns at the end of the
    sentence, one death and its independent investigation, the term renewed, inspections.

    Every act goes on an agenda at its moment; the agenda runs in time order on the story
    clock, so each is recorded when it happens (DESIGN.md §12.2)."""
    from habeas.custody.models import Death
    from habeas.custody.models import Solitary as SolitaryRow

    if session.scalar(select(func.count()).select_from(Death)) or \
            session.scalar(select(func.count()).select_from(SolitaryRow)):
        return ["custody year: unchanged"]
    with story(session, on_day(date(2025, 4, 13), 8)):
        return _simulate(session, until, seed)


def _simulate(session: Session, until: date, seed: int) -> list[str]:
    from habeas.custody.models import Prisoner

    rng = random.Random(seed + 3)  # noqa: S311 - a reproducible scenario, not secrets
    agenda = Agenda()
    done = _a_renewal(session, agenda, until)
    people = list(session.scalars(select(Prisoner).where(
        Prisoner.kind == "transferee", Prisoner.status == "in_custody")
        .order_by(Prisoner.public_id)))
    # The episodes below happen to people held throughout (not released before UNTIL).
    stayers = [p for p in people if p.release_date is None or p.release_date > until]
    # Contacts stop early for every sixth person: one of them was sent in error.
    erroneous = next(p for i, p in enumerate(people) if i % 6 == 0 and p in stayers[10:])
    gone = _gone(people, until, erroneous=erroneous, dies=stayers[4])
    done += contacts(session, agenda, people, gone, until, rng)
    done += solitary_episodes(session, agenda, stayers[:4], until)
    done += a_subscription(session, agenda, stayers[4], until)
    done += a_death(session, agenda, stayers[4], until)
    done += releases(session, agenda, until)
    done += oversight(session, agenda, stayers[5:7], until)
    billed = billing(session, agenda, erroneous, stayers[8:10], until)
    agenda.run()
    done += billed()
    done.append(_integrity_report(session, until))
    return done


def _a_renewal(session: Session, agenda: Agenda, until: date) -> list[str]:
    """The term renewed for a year in March 2026, if the story reaches it."""
    from habeas.agreements.models import Agreement

    if until <= date(2026, 3, 1):
        return []
    agreement = session.get_one(Agreement, "USA-SLV-2025")

    def renew() -> None:
        # A renewal is in force only once the other state accepts it (DESIGN.md §12.1).
        proposal = agreements.propose_renewal(
            session, agreement.ref, months=12, basis=DEMO_RENEWAL,
            actor="user:us.officer", party="USA")
        agreements.accept_change(session, agreement.ref, proposal.seq,
                                 actor="user:sv.warden", party="SLV")

    agenda.at(on_day(date(2026, 3, 1)), renew)
    return ["agreement renewed for 12 months (exchange of notes, March 2026)"]


def _gone(people: list[Any], until: date, *, erroneous: Any, dies: Any) -> dict[str, date]:
    """_gone: the day each person leaves custody before UNTIL — released, returned, or
    dead (DEMO_DIED) — after which nobody has contacts."""
    gone = {p.public_id: home_on(p) for p in people
            if p.release_date is not None and p.release_date <= until}
    gone[erroneous.public_id] = DEMO_RETURNED.date()
    gone[dies.public_id] = DEMO_DIED.date()
    return gone


def _integrity_report(session: Session, until: date) -> str:
    """The monitor's integrity report for UNTIL, recorded on the ledger that evening."""
    from habeas.custody import integrity

    tick(on_day(until, 23))
    today = integrity.report(session, until)
    seq = integrity.record_run(session, today, actor="user:monitor")
    return (f"integrity report for {until} recorded on the ledger (event {seq}): "
            f"{today.breaches} of {len(today.lines)} checks found a breach")

