"""Custody integrity report benchmark: 10,000 and 40,000 people with 25 events each.

    python bench/integrity.py            # both sizes (about 4 minutes: building the data)
    python bench/integrity.py --quick    # 2,000 and 8,000 people
    python bench/integrity.py --json results.json

For each size a fresh SQLite database gets the demo facility (CECOT, 256 cells, here
with room for 200 a cell) and agreement, then N domestic prisoners admitted through the
population import
(one `population.admitted` event each, placed by the assignment engine), then 24
more events per person through the one write path (events.record_many): a release
date, a solitary episode (start and end; one in fifty longer than 15 days), and 21
family, legal and consular contacts spread over the year, the last of them older than
30 days for one person in ten — so every per-person check has real work and real
hits. Building the data is not timed. Then habeas.custody.integrity.report runs on
the database three times (the best is reported) and the two sizes are compared: a
ratio near 4 (40,000 ÷ 10,000) means the report is linear in the population.
Goal: ≤ 5 s at 40,000 on SQLite, and linear.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import machine, say, yes

import habeas.projections  # noqa: F401 - installs every projector, as each entry point does
from habeas import demo
from habeas.custody import integrity, service
from habeas.custody.projections import (
    ContactRecorded,
    ReleaseDateSet,
    SolitaryEnded,
    SolitaryStarted,
)
from habeas.custody.synthetic import population
from habeas.db import make_engine, read_session, unit_of_work
from habeas.events import NewEvent, log_size, record_many
from habeas.facilities import service as facilities
from habeas.migrate import upgrade
from habeas.nominations.service import Row

AS_OF = date(2025, 3, 1)
REPORT_ON = date(2026, 3, 1)
EVENTS_PER_PERSON = 25
BATCH = 5_000


def admit(engine: Any, count: int) -> list[str]:
    """admit: COUNT domestic prisoners through the population import (chunks of 5,000),
    every one placed by the engine anywhere in the facility."""
    rows = [Row(i + 1, {k: v for k, v in p.items() if k != "building"})
            for i, p in enumerate(population(count, seed=count))]
    ids: list[str] = []
    for start in range(0, len(rows), BATCH):
        with unit_of_work(engine) as session:
            results = service.import_population(session, "CECOT", rows[start:start + BATCH],
                                                actor="bench", on=AS_OF)
        ids += [r.public_id for r in results if r.public_id]
    return ids


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def person_events(rng: random.Random, public_id: str, index: int, next_seq: int
                  ) -> list[NewEvent]:
    """person_events: the 24 events after admission (release date, solitary, 21 contacts);
    NEXT_SEQ is the sequence number the first of them will get."""
    release = REPORT_ON + timedelta(days=rng.randrange(-3, 2_000))
    events = [NewEvent(type="custody.release_date_set", actor="bench", subject=public_id,
                       payload=ReleaseDateSet(public_id=public_id, sentence_expiry=release,
                                              release_date=release, working=["bench"]))]
    start = AS_OF + timedelta(days=rng.randrange(0, 300))
    length = 20 if index % 50 == 0 else rng.randrange(1, 10)
    events.append(NewEvent(type="solitary.started", actor="bench", subject=public_id,
                           payload=SolitaryStarted(public_id=public_id, at=at(start),
                                                   authorised_by="director", reason="bench")))
    events.append(NewEvent(type="solitary.ended", actor="bench", subject=public_id,
                           payload=SolitaryEnded(solitary=next_seq + 1, public_id=public_id,
                                                 at=at(start + timedelta(days=length)))))
    last = REPORT_ON - timedelta(days=45 if index % 10 == 0 else rng.randrange(1, 25))
    for k in range(21):
        day = last - timedelta(days=17 * k)
        kind = ("family", "legal", "consular")[k % 3] if k else "family"
        events.append(NewEvent(type="contact.recorded", actor="bench", subject=public_id,
                               payload=ContactRecorded(public_id=public_id, kind=kind,
                                                       mode="visit", on=day,
                                                       with_whom="bench")))
    return events


def record_histories(engine: Any, ids: list[str]) -> int:
    """record_histories appends every person's 24 events, 400 people per unit of work."""
    rng = random.Random(len(ids))
    written = 0
    for start in range(0, len(ids), 400):
        with unit_of_work(engine) as session:
            first = log_size(session)
            batch: list[NewEvent] = []
            for offset, public_id in enumerate(ids[start:start + 400]):
                batch += person_events(rng, public_id, start + offset, first + len(batch))
            record_many(session, batch)
        written += len(batch)
    return written


def build(folder: Path, count: int) -> Any:
    engine = make_engine(f"sqlite:///{folder / f'integrity-{count}.db'}")
    upgrade(engine)
    with unit_of_work(engine) as session:
        demo.load(session)
        # Room for 51,200 (200 a cell), so all 40,000 fit whatever their groups.
        layout = demo.cecot_layout().model_dump(mode="json")
        for building in layout["buildings"]:
            for cell in building["cells"]:
                cell["max_capacity"] = 200
        facilities.load_facility(session, facilities.parse_facility(layout), actor="bench")
    started = time.perf_counter()
    ids = admit(engine, count)
    events = len(ids) + record_histories(engine, ids)
    say(f"   built {count:,} people, {events:,} events ({events / count:.0f} each) in "
        f"{time.perf_counter() - started:.0f} s (not timed)")
    return engine


def time_report(engine: Any) -> tuple[float, list[float], integrity.Report]:
    runs = []
    result = None
    for _ in range(3):
        with read_session(engine) as session:
            started = time.perf_counter()
            result = integrity.report(session, REPORT_ON)
            runs.append(time.perf_counter() - started)
    assert result is not None
    return min(runs), runs, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 and 8,000 people")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    small, large = (2_000, 8_000) if args.quick else (10_000, 40_000)
    info = machine()
    say(f"bench/integrity.py on {info['cpus']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"SQLite {info['sqlite']}, {date.today()}")
    figures: dict[str, Any] = {"machine": info}
    with tempfile.TemporaryDirectory(prefix="habeas-bench-") as folder:
        for count in (small, large):
            say(f"\n== {count:,} people")
            engine = build(Path(folder), count)
            best, runs, result = time_report(engine)
            hits = {line.check: line.count for line in result.lines if line.count}
            say(f"   report      : {best:.2f} s (best of 3: "
                + ", ".join(f"{r:.2f}" for r in runs) + ")")
            say(f"   population  : {result.population:,}; lines with breaches: {hits}")
            figures[str(count)] = {"seconds": best, "runs": runs, "hits": hits}
            engine.dispose()
    ratio = figures[str(large)]["seconds"] / figures[str(small)]["seconds"]
    people_ratio = large / small
    say("\n== Summary")
    say(f"   {small:,} people: {figures[str(small)]['seconds']:.2f} s; {large:,} people: "
        f"{figures[str(large)]['seconds']:.2f} s; ratio {ratio:.2f} (people ×{people_ratio:.0f};"
        f" ≈{people_ratio:.0f} is linear)")
    if not args.quick:
        say(f"   goal ≤ 5 s at 40,000: {yes(figures[str(large)]['seconds'] <= 5)}; "
            f"linear (ratio ≤ {people_ratio * 1.25:.0f}): {yes(ratio <= people_ratio * 1.25)}")
    figures["ratio"] = ratio
    figures["loadavg_1m_at_end"] = os.getloadavg()[0]
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
