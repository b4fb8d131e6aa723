"""Public locator benchmark: name searches against the server's own /healthz, in one run.

    python bench/locator.py              # 40,000 in custody + 200,000 released; 24 s of load
    python bench/locator.py --quick      # 4,000 + 20,000; 9 s of load
    python bench/locator.py --json results.json

1. Data (not timed): a fresh SQLite database is migrated and given the demo facility
   and agreement through the events (habeas.demo.load). The locator's index is then
   BULK-INSERTED DIRECTLY into its tables (locator_entry, locator_document) with
   executemany — not through the events, which would take an hour for 240,000 people
   and measure the write path, not the locator: 40,000 people in custody and 200,000
   released over the last three years (about 1 in 18 of them within the 60 days the
   locator still shows), with seeded Salvadoran-style names (two surnames, one or two
   given names, so namesakes exist), dates of birth, countries of birth and passports.
2. `habeas serve` is started as its own process on a free loopback port, on that
   database, with HABEAS_LOCATOR_RATE_LIMIT=0 — the explicit setting that switches the
   rate limit off, for this benchmark only (every search is still written to the log).
3. This process loads it: a bounded closed-loop client (CONCURRENCY threads, one
   keep-alive HTTP/1.1 connection each, raw sockets) for three phases of equal length
   after a short warm-up — /healthz (the framework's own limit: routing, middleware,
   one `SELECT 1`), name searches (family name + given names + country of birth, typed
   in capitals without accents), and name searches with the date of birth and a
   one-letter misspelling (the close-spelling path). Requests/s, p50 and p99 for each;
   the ratio is name searches ÷ /healthz. Goal: ratio ≥ 0.5 and p99 ≤ 50 ms.
4. A profile (cProfile, in this process, on the same database) of the route's handler
   for 2,000 name searches: where a search's time goes inside habeas.

Every figure is measured, never asserted: the output says whether each goal is met.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from _serve import Connection, Phase, free_port, serve
from common import cumtime, finish, machine, say, yes
from sqlalchemy import Engine, insert

import habeas.projections  # noqa: F401 - installs every projector, as each entry point does
from habeas import demo
from habeas.config import get_settings
from habeas.db import make_engine, unit_of_work, utcnow
from habeas.locator.models import LocatorDocument, LocatorEntry
from habeas.locator.normalise import identifier_key, name_key
from habeas.migrate import upgrade

CONCURRENCY = 4
SURNAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Rodríguez", "Pérez", "Ramírez",
    "Flores", "Rivera", "Cruz", "Sánchez", "Romero", "Mejía", "Ayala", "Portillo", "Castro",
    "Reyes", "Guevara", "Alvarado", "Menjívar", "Chávez", "Díaz", "Morales", "Ortiz", "Vásquez",
    "Aguilar", "Argueta", "Bonilla", "Campos", "Escobar", "Fuentes", "Gómez", "Henríquez",
    "Jiménez", "Lara", "Marroquín", "Orellana", "Quintanilla", "Rivas", "Salazar", "Serrano",
    "Torres", "Umaña", "Valle", "Zelaya", "Amaya", "Barrera", "Cornejo", "Deras", "Erazo",
    "Funes", "Galdámez", "Hércules", "Iraheta", "Juárez", "Lemus", "Molina", "Navarrete",
    "Osorio", "Pineda", "Quijada", "Rosales", "Sorto", "Tobar", "Urquilla", "Villalta")
GIVEN = (
    "José", "Juan", "Carlos", "Luis", "Jorge", "Miguel", "Óscar", "Kevin", "Wilber", "Edwin",
    "Jonathan", "Mario", "Francisco", "Antonio", "David", "Ángel", "Jesús", "Manuel", "Rafael",
    "Nelson", "Douglas", "Walter", "René", "Rigoberto", "Santos", "Elmer", "Marvin", "Wilfredo",
    "Héctor", "Roberto", "Fredy", "Érick", "Alexander", "Josué", "Bryan", "Cristian", "Daniel",
    "Ernesto", "Fernando", "Gerardo", "Israel", "Julio", "Leonel", "Moisés", "Noé", "Pablo")
COUNTRIES = ("SLV",) * 14 + ("GTM", "HND", "VEN", "MEX", "NIC", "COL")


@dataclass(frozen=True)
class Person:
    family: str
    given: str
    born: date
    country: str


def people(count: int, rng: random.Random) -> list[Person]:
    found = []
    for _ in range(count):
        family = f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        given = rng.choice(GIVEN) if rng.random() < 0.4 else \
            f"{rng.choice(GIVEN)} {rng.choice(GIVEN)}"
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 45 * 365))
        found.append(Person(family, given, born, rng.choice(COUNTRIES)))
    return found


def build(path: Path, in_custody: int, released: int, seed: int = 2025
          ) -> tuple[Engine, list[Person]]:
    """build: the migrated database with the demo facility, and the index bulk-inserted."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with unit_of_work(engine) as session:
        demo.load(session)
    rng = random.Random(seed)
    everyone = people(in_custody + released, rng)
    today = utcnow().date()
    entries, documents = [], []
    for n, p in enumerate(everyone):
        public_id = f"B{n:011d}"
        held = n < in_custody
        changed = today - timedelta(days=rng.randrange(1, 700) if held else
                                    rng.randrange(1, 3 * 365))
        entries.append({
            "public_id": public_id, "family_name": p.family, "given_names": p.given,
            "family_key": name_key(p.family), "given_key": name_key(p.given),
            "birth_country": p.country, "date_of_birth": p.born,
            "external_ref_key": identifier_key(f"US-2025-{n:07d}"),
            "status": "in_custody" if held else "released", "facility_code": "CECOT",
            "legal_custodian": "USA", "status_changed_on": changed})
        documents.append({"public_id": public_id, "number_key": f"A{n:08d}"})
    with unit_of_work(engine) as session:
        for start in range(0, len(entries), 20_000):
            session.execute(insert(LocatorEntry), entries[start:start + 20_000])
            session.execute(insert(LocatorDocument), documents[start:start + 20_000])
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # as an operator would after a bulk load
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return engine, everyone


def misspell(text: str, rng: random.Random) -> str:
    """misspell changes one letter of TEXT (a typist's slip)."""
    positions = [i for i, c in enumerate(text) if c.isalpha()]
    i = rng.choice(positions)
    return text[:i] + ("x" if text[i].lower() != "x" else "y") + text[i + 1:]


def typed(p: Person) -> str:
    """typed: how a relative might type a name — capitals, no accents."""
    return name_key(p.family).upper(), name_key(p.given).upper()  # type: ignore[return-value]


def name_paths(sample: list[Person]) -> list[str]:
    paths = []
    for p in sample:
        family, given = typed(p)
        paths.append("/api/v1/locate?" + urlencode({
            "family_name": family, "given_names": given, "country_of_birth": p.country}))
    return paths


def fuzzy_paths(sample: list[Person], rng: random.Random) -> list[str]:
    paths = []
    for p in sample:
        family, given = typed(p)
        paths.append("/api/v1/locate?" + urlencode({
            "family_name": misspell(family, rng), "given_names": given,
            "country_of_birth": p.country, "date_of_birth": p.born.isoformat()}))
    return paths


def load(port: int, paths: list[str], seconds: float, name: str) -> Phase:
    """load: CONCURRENCY closed-loop clients GET PATHS in turn for SECONDS."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(CONCURRENCY)]
    errors = [0] * CONCURRENCY

    def client(k: int) -> None:
        conn = Connection(port)
        i = k
        try:
            while True:
                started = time.perf_counter()
                if started >= deadline:
                    return
                status = conn.get(paths[i % len(paths)])
                latencies[k].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    errors[k] += 1
                i += CONCURRENCY
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = [x for chunk in latencies for x in chunk]
    return Phase(name, len(flat), elapsed, flat, sum(errors))


def profile(engine: Engine, sample: list[Person]) -> tuple[float, list[tuple[str, float]]]:
    """profile: the locate handler's own work for each sampled search, under cProfile."""
    from habeas.locator import api, service
    from habeas.locator.schemas import LocateOut

    def one(p: Person) -> None:
        family, given = typed(p)
        query = service.parse_query(family_name=family, given_names=given,
                                    country_of_birth=p.country, today=utcnow().date())
        LocateOut(results=api.run_search(engine, query, "bench")).model_dump_json()

    os.environ["HABEAS_LOCATOR_RATE_LIMIT"] = "0"  # as the server ran
    get_settings.cache_clear()
    for p in sample[:200]:
        one(p)  # warm caches, as the server's are
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for p in sample:
        one(p)
    profiler.disable()
    per_search_ms = (time.perf_counter() - started) / len(sample) * 1000
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats  # type: ignore[attr-defined]
    total = per_search_ms * len(sample) / 1000

    def share(*specs: tuple[str, str]) -> float:
        return sum(cumtime(stats, spec) for spec in specs) / total

    parts = [
        ("parse_query: validation and name keys", share(("locator/service.py", "parse_query"))),
        ("search: the SELECT, its rows, the answer's models",
         share(("locator/service.py", "search"))),
        ("record_search: the log row's INSERT", share(("locator/service.py", "record_search"))),
        ("COMMIT of the log row", share(("engine/base.py", "_commit_impl"))),
        ("BEGIN of the two transactions (read; write, IMMEDIATE)",
         share(("engine/base.py", "_begin_impl"))),
        ("end of the read transaction (ROLLBACK)", share(("engine/base.py", "_rollback_impl"))),
        ("connections from the pool (checkout and return)",
         share(("pool/base.py", "_checkout"), ("pool/base.py", "_close_connection"),
               ("pool/base.py", "_finalize_fairy"))),
        ("response JSON (Pydantic)", share(("pydantic/main.py", "model_dump_json"))),
    ]
    return per_search_ms, parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4,000 + 20,000; 9 s of load")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    in_custody, released = (4_000, 20_000) if args.quick else (40_000, 200_000)
    phase_s, warm_s = (3.0, 1.0) if args.quick else (7.0, 1.0)
    info = machine()
    say(f"bench/locator.py on {info['cpus']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"SQLite {info['sqlite']}, {date.today()}")
    results: dict[str, Any] = {"machine": info, "concurrency": CONCURRENCY}
    run_started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="habeas-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        engine, everyone = build(folder / "locator.db", in_custody, released)
        say(f"\n== data: {in_custody:,} in custody + {released:,} released, bulk-inserted "
            f"into the index in {time.perf_counter() - started:.0f} s (not timed)")
        rng = random.Random(7)
        sample = rng.sample(everyone, 4_000)
        names, fuzzy = name_paths(sample), fuzzy_paths(sample, rng)
        port = free_port()
        server = serve(f"sqlite:///{folder / 'locator.db'}", port, folder)
        try:
            load(port, ["/healthz", *names[:50]], warm_s, "warm-up")
            phases = [load(port, ["/healthz"], phase_s, "/healthz"),
                      load(port, names, phase_s, "name search"),
                      load(port, fuzzy, phase_s, "name + date of birth (close spelling)")]
        finally:
            server.terminate()
            server.wait(timeout=10)
        say(f"\n== load: {CONCURRENCY} keep-alive connections from this process to "
            f"`habeas serve` (its own process), {phase_s:.0f} s a phase")
        say(f"   {'phase':<40} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for phase in phases:
            say(f"   {phase.name:<40} {phase.rate:>10,.0f} {phase.percentile(0.5):>8.1f} "
                f"{phase.percentile(0.99):>8.1f} {phase.errors:>7}")
            results[phase.name] = {
                "requests": phase.requests, "seconds": phase.seconds, "rate": phase.rate,
                "p50_ms": phase.percentile(0.5), "p99_ms": phase.percentile(0.99),
                "mean_ms": statistics.fmean(phase.latencies_ms), "errors": phase.errors}
        health, by_name, close = phases
        ratio = by_name.rate / health.rate
        results["ratio"] = ratio
        results["ratio_close_spelling"] = close.rate / health.rate
        say("\n== Summary")
        say(f"   name searches ÷ /healthz: {ratio:.2f} (goal ≥ 0.5: {yes(ratio >= 0.5)}); "
            f"p99 {by_name.percentile(0.99):.1f} ms (goal ≤ 50 ms: "
            f"{yes(by_name.percentile(0.99) <= 50)})")
        say(f"   with the date of birth (close spelling): {close.rate / health.rate:.2f}; "
            f"p99 {close.percentile(0.99):.1f} ms")

        per_search, parts = profile(engine, sample[:2000])
        say(f"\n== where a name search's time goes inside habeas (cProfile, 2,000 searches,"
            f" this process): {per_search:.2f} ms each under the profiler")
        for label, fraction in parts:
            say(f"   {fraction:6.1%}  {label}")
        say(f"   the server spends {1000 / by_name.rate:.2f} ms a search in all (one "
            f"process: 1 ÷ requests/s) and {1000 / health.rate:.2f} ms on /healthz")
        results["profile"] = {"per_search_ms": per_search, "shares": dict(parts)}
        engine.dispose()
    results["total_seconds"] = time.perf_counter() - run_started
    finish(results, info, args.json)


if __name__ == "__main__":
    main()
