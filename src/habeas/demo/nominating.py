"""Chapter 2 (March 2025): 400 people nominated and screened, the court orders that protect
some of them registered, and the receiving state's acceptance up to the quota."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .story import on_day, story, tick

DEMO_AS_OF = date(2025, 3, 1)
DEMO_ACCEPTED_ON = date(2025, 3, 5)
DEMO_NOMINATIONS = 400

# J.G.G. v. Trump: a class-wide order for Venezuelans; and the 2019 order that
# protected Kilmar Abrego García from removal to El Salvador.
DEMO_HOLDS = (
    {"hold_ref": "1:25-cv-00766-TRO", "court": "U.S. District Court for D.C.", "kind": "tro",
     "issued": "2025-02-28", "expires": None, "scope": {"nationality": "VEN"},
     "bars_removal_to": "any"},
    {"hold_ref": "PX-2019-WOR-0001", "court": "U.S. Immigration Court, Baltimore",
     "kind": "withholding_of_removal", "issued": "2019-10-10", "expires": None,
     "scope": {"external_ref": "US-2025-PROTECTED"}, "bars_removal_to": ["SLV"]},
)


def nominate(session: Session, *, seed: int = 2025) -> list[str]:
    """nominate has the sending state nominate 400 people, then registers the court orders."""
    with story(session, on_day(DEMO_AS_OF, 9)):
        from habeas.agreements.models import Agreement

        agreement = session.get_one(Agreement, "USA-SLV-2025")
        done = [_nominate_people(session, agreement, seed)]
        tick(on_day(DEMO_AS_OF, 11))
        done += _register_court_orders(session)
        done.append(accept_up_to_quota(session, agreement))
        return done


def _nominate_people(session: Session, agreement: Any, seed: int) -> str:
    """The sending state's list: synthetic people, and the man a 2019 order protects."""
    from habeas.nominations import service as nominations
    from habeas.nominations.synthetic import nominations as synthetic
    from habeas.nominations.synthetic import protected_man

    rng = random.Random(seed + 1)  # noqa: S311 - reproducible demo ids, not secrets
    ids = "".join
    people = [*synthetic(DEMO_NOMINATIONS - 1, seed=seed, as_of=DEMO_AS_OF),
              protected_man(DEMO_AS_OF)]
    rows = [nominations.Row(i + 1, p) for i, p in enumerate(people)]
    results = nominations.import_rows(
        session, agreement, rows, as_of=DEMO_AS_OF, actor="user:us.officer",
        id_source=lambda n: ids(rng.choice(nominations.PUBLIC_ID_ALPHABET) for _ in range(n)))
    counts: dict[str, int] = {}
    for result in results:
        counts[result.decision] = counts.get(result.decision, 0) + 1
    return f"nominations: {len(results)} read: " + ", ".join(
        f"{k} {v}" for k, v in sorted(counts.items()))


def _register_court_orders(session: Session) -> list[str]:
    """Counsel registers the orders, which re-screen the people they cover."""
    from habeas.holds import service as holds

    done = []
    for order in DEMO_HOLDS:
        outcome, changed = holds.register(session, holds.parse_hold(order),
                                          actor="user:counsel", party=None, as_of=DEMO_AS_OF)
        done.append(f"court order {order['hold_ref']}: {outcome}, {changed} decision(s) changed")
    return done


def accept_up_to_quota(session: Session, agreement: Any) -> str:
    """accept_up_to_quota: the receiving state accepts eligible people until the quota is met,
    and the sending state serves each of them written notice the same day."""
    with story(session, on_day(DEMO_ACCEPTED_ON, 9)):
        return _accept_up_to_quota(session, agreement)


def _accept_up_to_quota(session: Session, agreement: Any) -> str:
    from habeas.nominations import decisions
    from habeas.nominations.models import NominationRecord

    waiting = list(session.scalars(
        select(NominationRecord).where(NominationRecord.decision == "eligible",
                                       NominationRecord.status == "nominated")
        .order_by(NominationRecord.received_seq)))
    already = session.scalar(select(func.count()).select_from(NominationRecord).where(
        NominationRecord.status == "accepted")) or 0
    room = max(0, (agreement.quota or len(waiting)) - already)
    for i, record in enumerate(waiting[:room]):
        tick(on_day(DEMO_ACCEPTED_ON, 9, i))
        decisions.accept(session, record, on=DEMO_ACCEPTED_ON, actor="user:sv.warden",
                         party=agreement.receiving_party)
        decisions.serve_notice(session, record, served_on=DEMO_ACCEPTED_ON,
                               language=record.data["person"]["language"], method="in_person",
                               acknowledged=True, actor="user:us.officer",
                               party=agreement.sending_party)
    taken = min(room, len(waiting))
    left = len(waiting) - taken
    return (f"acceptance: {taken} accepted and served notice"
            + (f"; {left} eligible left waiting: quota of {agreement.quota} reached" if left
               else ""))
