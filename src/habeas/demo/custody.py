"""Chapter 6 (April 2025 on): custody lived — family and legal contacts, solitary (one episode
prolonged without review), a family's subscription, a death and its investigation, and
releases at the end of the sentence."""

from __future__ import annotations

import functools
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.clock import utcnow

from .flights import fly_home, home_on
from .story import Agenda, on_day

FAMILY_GAP_DAYS = (18, 40)  # days between family calls for those who get them
DEMO_SUBSCRIBER = "alertas@derechos-humanos.example"  # fictitious, like every demo address
DEMO_SUBSCRIBED = datetime(2025, 5, 2, 16, tzinfo=UTC)
DEMO_DIED = datetime(2025, 9, 14, 3, 40, tzinfo=UTC)


def contacts(session: Session, agenda: Agenda, people: list[Any], gone: dict[str, date],
             until: date, rng: random.Random) -> list[str]:
    """contacts: family calls, visits and letters every few weeks until UNTIL, or until a
    person is GONE — but one in six is cut off after the first weeks; and a legal video
    call for one in ten, a month after admission."""
    from habeas.custody import records

    count = 0
    for i, person in enumerate(people):
        day = person.admitted_on + timedelta(days=rng.randrange(5, 20))
        # One in six is cut off from family after the first weeks (Rule 58 is then visible).
        stop = until if i % 6 else person.admitted_on + timedelta(days=60)
        if person.public_id in gone:
            stop = min(stop, gone[person.public_id] - timedelta(days=1))
        while day <= stop:
            agenda.at(on_day(day, 10, i % 60), functools.partial(
                records.record_contact, session, person.public_id, kind="family",
                mode=rng.choice(("call", "call", "visit", "letter")), on=day,
                with_whom="family (next of kin on file)", actor="user:sv.warden",
                party="SLV"))
            count += 1
            day += timedelta(days=rng.randrange(*FAMILY_GAP_DAYS))
        on = person.admitted_on + timedelta(days=30)
        if i % 10 == 0 and on <= min(until, gone.get(person.public_id, until)):
            agenda.at(on_day(on, 15, i % 60), functools.partial(
                records.record_contact, session, person.public_id, kind="legal",
                mode="video", on=on, with_whom="counsel of record", actor="user:sv.warden",
                party="SLV"))
            count += 1
    return [f"contacts: {count:,} family, legal and consular contacts recorded"]


def solitary_episodes(session: Session, agenda: Agenda, people: list[Any], until: date
                      ) -> list[str]:
    """Four episodes a month apart; the two longest are prolonged (> 15 days, Mandela
    Rule 44), and only one of those is independently reviewed."""
    from habeas.custody import records

    lengths = (6, 11, 22, 19)  # the last two are prolonged (> 15 days, Mandela Rule 44)
    start = datetime(2025, 7, 1, 9, tzinfo=UTC)
    if (start + timedelta(days=30 * 3 + 19)).date() > until:
        return []
    for i, (person, days) in enumerate(zip(people, lengths, strict=True)):
        begins = start + timedelta(days=30 * i)
        ends = begins + timedelta(days=days)
        episode: dict[str, int] = {}

        def put(public_id: str = person.public_id, begins: datetime = begins,
                episode: dict[str, int] = episode) -> None:
            episode["seq"] = records.start_solitary(
                session, public_id, at=begins, authorised_by="Director, CECOT",
                reason="disciplinary: fight in the cell", actor="user:sv.warden",
                party="SLV")

        agenda.at(begins, put)
        agenda.at(ends, functools.partial(records.end_solitary, session, person.public_id,
                                          at=ends, actor="user:sv.warden",
                                          party="SLV"))
        if days == 22:
            def review(episode: dict[str, int] = episode) -> None:
                records.review_solitary(
                    session, episode["seq"], reviewer="Inés Duarte (independent monitor)",
                    outcome="prolonged beyond Rule 44; ended on review", actor="user:monitor")

            agenda.at(ends + timedelta(hours=2), review)
    return ["solitary: 4 episodes, 2 prolonged (one independently reviewed, one not)"]


def a_subscription(session: Session, agenda: Agenda, person: Any, until: date) -> list[str]:
    """A human-rights group finds a man in the locator and subscribes to his status changes
    (VINE-style): asked, confirmed with the code sent to its address."""
    from habeas.notify import service as notify

    def subscribe() -> None:
        # As the public API does it (notify.subscribe, notify.confirm), less the token and
        # the code, which need the server's key: the demo loads without one.
        now = utcnow()
        found = notify.request(session, public_id=person.public_id, channel="email",
                               address=DEMO_SUBSCRIBER, locale="es", client_key="demo",
                               now=now)
        notify.activate(session, found, now=now)

    agenda.at(min(DEMO_SUBSCRIBED, on_day(until, 9)), subscribe)
    return [f"a subscription to {person.public_id}'s status changes, confirmed"]


def a_death(session: Session, agenda: Agenda, person: Any, until: date) -> list[str]:
    """A death in custody, and the investigation the Fiscalía opens two days later."""
    from habeas.custody import records

    died = DEMO_DIED
    if date(2025, 9, 16) > until:  # the death and its investigation, two days later
        return []
    agenda.at(died + timedelta(hours=2), functools.partial(
        records.record_death, session, person.public_id, died_at=died,
        place=f"CECOT {person.building_code}/{person.cell_code}",
        circumstances="found unresponsive at the morning count", actor="user:sv.warden",
        party="SLV"))
    agenda.at(on_day(date(2025, 9, 16)), functools.partial(
        records.record_death_investigation, session, person.public_id,
        body="Fiscalía General de la República", reference="FGR-UDV-2025-0914",
        opened_on=date(2025, 9, 16), actor="user:sv.warden", party="SLV"))
    return ["one death in custody (14 September 2025), investigated by the Fiscalía General"]


def releases(session: Session, agenda: Agenda, until: date) -> list[str]:
    """Everyone whose release date has come is flown home and receipted — but the latest,
    whose date fell in the last days, is still waiting (the report shows it)."""
    from habeas.custody.models import Prisoner

    due = list(session.scalars(select(Prisoner).where(
        Prisoner.kind == "transferee", Prisoner.status == "in_custody",
        Prisoner.release_date.is_not(None), Prisoner.release_date <= until)
        .order_by(Prisoner.release_date, Prisoner.public_id)))
    # Those whose flight home would leave after UNTIL are still held on UNTIL: the story
    # does not record what has not happened yet.
    waiting = [p for p in due if p.release_date and ((until - p.release_date).days < 4
                                                     or home_on(p) > until)]
    going = [p for p in due if p not in waiting]
    for person in going:
        fly_home(session, agenda, person.public_id, on_day(home_on(person), 14), "released")
    return [f"releases: {len(going)} released at the end of their sentence and handed back; "
            f"{len(waiting)} due in the last days still held"]
