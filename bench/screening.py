"""Nomination import benchmark: `habeas nominations import` end to end against its limit.

    python bench/screening.py             # full run (about 5 minutes on 2 cores)
    python bench/screening.py --quick     # about 1 minute
    python bench/screening.py --json results.json
    python bench/screening.py --only postgres --pg-nominations 100000   # ~5 minutes
    python bench/screening.py --no-postgres

1. SQLite: 100,000 distinct valid nominations (seeded; a minority screens
   ineligible or review) are written as a .jsonl file (not timed), then imported
   exactly as the CLI does it (habeas.cli.nominations_import): the whole file is
   read and JSON-parsed, then imported in chunks of Settings.import_chunk rows (500 by default), one
   unit of work (one commit) per chunk, through nominations.import_rows —
   Pydantic validation, screening, events.record_many (event rows, Merkle stored
   hashes, projections). The limit, in the same run: the rows that import wrote
   to the `event`, `ledger_hash` and `nomination` tables, inserted with plain
   executemany into the same tables of a second fresh migrated database, one
   transaction per chunk of 500 nominations.
2. A cProfile of one more 500-row chunk: where the time goes.
3. PostgreSQL (figure only; plus its own limit): the same import into a scratch
   database, dropped at the end. Skipped, with the reason, when unreachable.
   20,000 nominations by default, to keep the full run near 5 minutes; the
   issue's 100,000 with --pg-nominations 100000 (the figure is per nomination).

Every figure is measured, never asserted: the output states whether each goal is met.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import Key, Spec, cumtime, edge, finish, machine, say, yes
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

import habeas.projections  # noqa: F401 - installs every projector, as each entry point does
from habeas.agreements import service as agreements
from habeas.agreements.models import Agreement
from habeas.config import get_settings
from habeas.db import make_engine, read_session, unit_of_work
from habeas.events import log_size
from habeas.ledger import merkle
from habeas.migrate import upgrade
from habeas.models import metadata
from habeas.nominations import files
from habeas.nominations import service as nominations

PROFILE = "bilateral-fee-2025"
AGREEMENT = "USA-SLV-2025"
AS_OF = date(2025, 3, 1)
ACTOR = "bench"
CHUNK = get_settings().import_chunk
EVENTS_PER_NOMINATION = 2  # nomination.received + nomination.screened
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

GOAL_RATE = 5_000.0
GOAL_RATIO = 0.25

perf = time.perf_counter


# ---------------------------------------------------------------------------
# Data: distinct valid nominations, written as .jsonl (not timed)
# ---------------------------------------------------------------------------

NATIONALITIES = ["SLV", "VEN", "HND", "GTM", "MEX"]
GIVEN = ["José", "Juan", "Carlos", "Luis", "Jorge", "Miguel", "Pedro", "Francisco", "Antonio",
         "Manuel", "Mario", "Óscar", "Raúl", "Andrés", "Fernando", "Ricardo", "Héctor", "Javier",
         "Alejandro", "Ernesto", "Wilfredo", "Nelson", "Edwin", "Kevin", "Brayan", "Ana",
         "María", "Rosa", "Carmen", "Gabriela"]
FAMILY = ["Rivera", "López", "Hernández", "García", "Martínez", "Rodríguez", "Pérez", "Sánchez",
          "Ramírez", "Flores", "Gómez", "Díaz", "Cruz", "Morales", "Reyes", "Gutiérrez", "Ortiz",
          "Chávez", "Ramos", "Mejía", "Castillo", "Vásquez", "Romero", "Aguilar", "Molina",
          "Argueta", "Portillo", "Alvarado", "Menjívar", "Orellana"]
COURTS = [("U.S. District Court, S.D. Tex.", "4"), ("U.S. District Court, E.D.N.Y.", "1"),
          ("U.S. District Court, C.D. Cal.", "2"), ("U.S. District Court, D. Md.", "8"),
          ("U.S. District Court, E.D. Va.", "1"), ("U.S. District Court, S.D. Fla.", "0")]
OFFENSES = [("18USC1951", "Hobbs Act robbery"), ("21USC841", "Possession with intent to"
             " distribute a controlled substance"), ("18USC1962", "Racketeering (RICO)"),
            ("18USC924c", "Use of a firearm in a crime of violence"),
            ("8USC1326", "Illegal reentry after removal"), ("18USC1959", "Violent crime in aid"
             " of racketeering"), ("18USC2113", "Bank robbery"), ("18USC1201", "Kidnapping")]
GROUPS = [("MS-13", "conviction"), ("MS-13", "intelligence"), ("Barrio 18", "self_declared"),
          ("Tren de Aragua", "intelligence"), ("Barrio 18", "tattoo"), (None, "none")]
RELATIONS = ["mother", "father", "sister", "brother", "spouse", "daughter", "son"]


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def make_nomination(i: int, rng: random.Random) -> tuple[dict[str, Any], str]:
    """make_nomination is nomination I (valid, distinct by external_ref) and its expected decision.

    Built on the DESIGN.md §4 example (tests/screening/factories.py). About 4 % have an
    appeal pending and 3 % charges pending (ineligible); about 3 % an appeal of unknown
    status (review); everyone else is eligible under the bilateral-fee-2025 profile.
    """
    nationalities = [rng.choice(NATIONALITIES)]
    if rng.random() < 0.08:
        nationalities.append(rng.choice([c for c in NATIONALITIES if c != nationalities[0]]))
    born = _day(rng, date(1960, 1, 1), date(2000, 12, 31))
    family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
    given = rng.choice(GIVEN) + (f" {rng.choice(GIVEN)}" if rng.random() < 0.6 else "")
    roll = rng.random()
    appeal_pending, appeal_unknown = roll < 0.04, 0.04 <= roll < 0.07
    charges = rng.random() < 0.03
    convictions = []
    for k in range(1 if rng.random() < 0.7 else 2):
        court, division = rng.choice(COURTS)
        code, offense = rng.choice(OFFENSES)
        judged = _day(rng, max(date(born.year + 19, born.month, 1), date(2005, 1, 1)),
                      date(2024, 12, 31))
        life = rng.random() < 0.03
        status = "none" if rng.random() < 0.8 else "exhausted"
        if k == 0 and appeal_pending:
            status = "pending"
        elif k == 0 and appeal_unknown:
            status = "unknown"
        convictions.append({
            "court": court,
            "case_number": f"{division}:{judged.year % 100:02d}-cr-{i % 100000:05d}",
            "offense_code": code, "offense": offense, "judgment_date": judged.isoformat(),
            "appeal_status": status,
            "sentence": ({"kind": "life", "years": 0, "months": 0, "days": 0} if life else
                         {"kind": "determinate", "years": rng.randint(1, 30),
                          "months": rng.choice([0, 0, 0, 6]), "days": 0}),
            "sentence_start": (judged - timedelta(days=rng.randrange(0, 400))).isoformat(),
            "credited_days": rng.randrange(0, 400),
        })
    group, basis = rng.choice(GROUPS)
    data: dict[str, Any] = {
        "external_ref": f"US-BENCH-{i:07d}",
        "person": {
            "family_name": family, "given_names": given,
            "aliases": [f"El {rng.choice(GIVEN)}"] if rng.random() < 0.2 else [],
            "date_of_birth": born.isoformat(), "sex": "M" if rng.random() < 0.93 else "F",
            "country_of_birth": nationalities[0], "nationalities": nationalities,
            "status_in_sending_state": "foreign_national", "language": "es",
            "documents": [{"type": "passport", "number": f"A{rng.randrange(10**7):07d}",
                           "country": nationalities[0], "mrz": None}],
        },
        "convictions": convictions,
        "pending_charges": ([{"court": "Harris County District Court",
                              "case_number": f"{2024}-{i:07d}", "offense": "Aggravated assault"}]
                            if charges else []),
        "affiliation": {"group": group, "basis": basis},
        "consent": {"given": False, "date": None},
        "next_of_kin": [{"name": f"{rng.choice(GIVEN)} {family.split()[0]}",
                         "relationship": rng.choice(RELATIONS),
                         "phone": f"+503{rng.randrange(10**8):08d}", "email": None}
                        for _ in range(rng.randint(0, 2))],
        "counsel": ({"name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}, Esq.",
                     "bar_number": f"TX{rng.randrange(10**8):08d}", "phone": None, "email": None}
                    if rng.random() < 0.3 else None),
        "requested_transfer_date": _day(rng, date(2025, 3, 15), date(2025, 6, 30)).isoformat(),
    }
    expected = ("ineligible" if appeal_pending or charges else
                "review" if appeal_unknown else "eligible")
    return data, expected


def write_jsonl(path: Path, first: int, count: int, seed: int) -> list[str]:
    """write_jsonl writes nominations FIRST..FIRST+COUNT-1; returns each one's expected decision.

    The data depend only on SEED and FIRST: the first k lines are the same whatever COUNT is.
    """
    rng = random.Random(f"{seed}:{first}")
    decisions = []
    with path.open("w", encoding="utf-8") as out:
        for i in range(first, first + count):
            data, decision = make_nomination(i, rng)
            decisions.append(decision)
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
    return decisions


def expected(decisions: list[str], k: int) -> dict[str, int]:
    """expected is the count of each decision among the first K nominations."""
    counts = dict.fromkeys(("eligible", "ineligible", "review"), 0)
    for decision in decisions[:k]:
        counts[decision] += 1
    return counts


def head(src: Path, dst: Path, k: int) -> Path:
    """head is SRC if it has K lines, else DST holding its first K lines."""
    with src.open(encoding="utf-8") as inp:
        lines = [line for _, line in zip(range(k + 1), inp, strict=False)]
    if len(lines) == k:
        return src
    dst.write_text("".join(lines[:k]), encoding="utf-8")
    return dst


# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------


def prepared_engine(url: str) -> Engine:
    """prepared_engine: a fresh migrated database with the agreement (and facility) registered."""
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        agreements.register(session, agreements.load_profile(PROFILE), actor=ACTOR)
    return engine


@contextmanager
def pg_scratch(admin_url: str, names: list[str]) -> Iterator[list[str]]:
    """pg_scratch creates scratch databases NAMES on the server and always drops them."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    base = make_url(admin_url)
    created: list[str] = []
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                created.append(name)
        yield [base.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if created:
            say(f"   dropped scratch database(s) {', '.join(created)}")


def pg_reachable(url: str) -> str | None:
    """pg_reachable is None when URL answers, else the reason in one line."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any failure to connect means: skip, saying why
        return str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------
# 1. The import, exactly as the CLI runs it
# ---------------------------------------------------------------------------


def import_chunk(engine: Engine, ref: str, chunk: list[nominations.Row]
                 ) -> list[nominations.LineResult]:
    """import_chunk is one iteration of the CLI's loop: one unit of work, one commit."""
    with unit_of_work(engine) as session:
        return nominations.import_rows(session, session.get_one(Agreement, ref), chunk,
                                       as_of=AS_OF, actor=ACTOR)


def run_import(engine: Engine, path: Path) -> dict[str, Any]:
    """run_import times cli.nominations_import's work: read the file, then the chunks."""
    gc.collect()
    t0 = perf()
    rows = files.read_path(path)  # the CLI's own reader: the whole file, parsed per line
    read_s = perf() - t0
    with read_session(engine) as session:
        ref = session.get_one(Agreement, AGREEMENT).ref
    report = nominations.ImportReport()
    chunk_times = []
    for start in range(0, len(rows), CHUNK):
        c0 = perf()
        report.results += import_chunk(engine, ref, rows[start:start + CHUNK])
        chunk_times.append(perf() - c0)
    total = perf() - t0
    return {"rows": len(rows), "seconds": total, "read_seconds": read_s,
            "chunk_times": chunk_times, "summary": report.summary}


# ---------------------------------------------------------------------------
# The limit: the same rows, plain executemany into the same tables
# ---------------------------------------------------------------------------

TABLES = ("event", "ledger_hash", "nomination")


def chunk_rows(source: Engine, first_seq: int, k: int, count: int) -> dict[str, list[dict]]:
    """chunk_rows are the rows import chunk K wrote: its events, stored hashes, nominations."""
    event, ledger_hash, nomination = (metadata.tables[name] for name in TABLES)
    lo = first_seq + k * CHUNK * EVENTS_PER_NOMINATION
    hi = lo + count * EVENTS_PER_NOMINATION
    with source.connect() as conn:
        def rows(query: Any) -> list[dict]:
            return [dict(r) for r in conn.execute(query).mappings()]

        return {
            "event": rows(select(event).where(event.c.seq >= lo, event.c.seq < hi)
                          .order_by(event.c.seq)),
            "ledger_hash": rows(select(ledger_hash).where(
                ledger_hash.c.idx >= merkle.stored_hash_count(lo),
                ledger_hash.c.idx < merkle.stored_hash_count(hi)).order_by(ledger_hash.c.idx)),
            "nomination": rows(select(nomination).where(
                nomination.c.received_seq >= lo, nomination.c.received_seq < hi)
                .order_by(nomination.c.received_seq)),
        }


def run_limit(source: Engine, target: Engine, first_seq: int, total: int) -> dict[str, Any]:
    """run_limit inserts each import chunk's rows into TARGET, one transaction per chunk."""
    counts = dict.fromkeys(TABLES, 0)
    times = []
    for k, start in enumerate(range(0, total, CHUNK)):
        rows = chunk_rows(source, first_seq, k, min(CHUNK, total - start))  # not timed
        gc.collect()
        t0 = perf()
        with target.begin() as conn:
            for name in TABLES:
                conn.execute(metadata.tables[name].insert(), rows[name])
        times.append(perf() - t0)
        for name in TABLES:
            counts[name] += len(rows[name])
    return {"seconds": sum(times), "chunk_times": times, "rows": counts}


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(metadata.tables[name]))
                .scalar_one() for name in TABLES}


def measure(label: str, engine: Engine, limit_engine: Engine | None, path: Path, n: int,
            decisions: dict[str, int]) -> dict[str, Any]:
    """measure runs the import on ENGINE and, if LIMIT_ENGINE is given, the limit."""
    with read_session(engine) as session:
        first_seq = log_size(session)
    before = table_counts(engine)
    result = run_import(engine, path)
    rate = n / result["seconds"]
    chunks = result["chunk_times"]
    say(f"   import     : {rate:12,.0f} nominations/s  ({result['seconds']:.1f} s for {n:,}:"
        f" read + parse {result['read_seconds']:.1f} s, {len(chunks)} chunks of {CHUNK},"
        f" median chunk {1000 * statistics.median(chunks):.0f} ms, first"
        f" {1000 * chunks[0]:.0f} ms, last {1000 * chunks[-1]:.0f} ms)")
    summary = result["summary"]
    say("   decisions  : " + ", ".join(f"{k} {v:,}" for k, v in summary.items()))
    want = {**dict.fromkeys(summary, 0), **decisions, "rows": n}
    if summary != want:
        raise RuntimeError(f"{label}: import decided {summary}, the generator expected {want}")
    after = table_counts(engine)
    written = {name: after[name] - before[name] for name in TABLES}
    out: dict[str, Any] = {
        "nominations": n, "nominations_per_s": rate, "seconds": result["seconds"],
        "read_seconds": result["read_seconds"],
        "median_chunk_ms": 1000 * statistics.median(chunks),
        "first_chunk_ms": 1000 * chunks[0], "last_chunk_ms": 1000 * chunks[-1],
        "summary": summary,
        "rows_written": written,
    }
    if limit_engine is None:
        return out
    limit = run_limit(engine, limit_engine, first_seq, n)
    if limit["rows"] != written:
        raise RuntimeError(f"{label}: the limit read {limit['rows']}, import wrote {written}")
    limit_rate = n / limit["seconds"]
    rows_per_s = sum(written.values()) / limit["seconds"]
    say(f"   executemany: {limit_rate:12,.0f} nominations/s  ({limit['seconds']:.1f} s;"
        f" {sum(written.values()):,} rows = " + " + ".join(f"{v:,} {k}" for k, v in
                                                          written.items())
        + f"; {rows_per_s:,.0f} rows/s; median chunk"
        f" {1000 * statistics.median(limit['chunk_times']):.0f} ms)")
    ratio = rate / limit_rate
    say(f"   ratio      : {ratio:.3f}")
    out.update({"limit_nominations_per_s": limit_rate, "limit_seconds": limit["seconds"],
                "limit_rows_per_s": rows_per_s, "ratio": ratio,
                "limit_median_chunk_ms": 1000 * statistics.median(limit["chunk_times"])})
    return out


# ---------------------------------------------------------------------------
# 2. Where the time goes
# ---------------------------------------------------------------------------


SV = "habeas/nominations/service.py"
EV = "habeas/events.py"
ST = "habeas/ledger/store.py"
PJ = "habeas/nominations/projections.py"
SESSION = "sqlalchemy/orm/session.py"
PYD = "pydantic/main.py"


def profile_breakdown(profiler: cProfile.Profile) -> tuple[float, list[tuple[str, float]]]:
    """profile_breakdown splits the profiled chunk into non-overlapping parts."""
    stats: dict[Key, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = cumtime(stats, ("bench/screening.py", "profiled_chunk"))
    ir: Spec = (SV, "import_rows")
    rm: Spec = (EV, "record_many")
    digest = edge(stats, ir, (SV, "data_digest"))
    digest_jcs = edge(stats, (SV, "data_digest"), (EV, "canonical_json"))
    payload_digest = edge(stats, rm, (EV, "payload_digest"))
    payload_jcs = edge(stats, (EV, "payload_digest"), (EV, "canonical_json"))
    leaves = edge(stats, rm, (ST, "append_leaves"))
    hash_insert = edge(stats, (ST, "append_leaves"), (SESSION, "execute"))
    screened = edge(stats, rm, (PJ, "apply_screened"))
    screened_get = edge(stats, (PJ, "apply_screened"), (SESSION, "get"))
    parts = [
        ("read file + parse (nominations.files.read_path)",
         cumtime(stats, ("habeas/nominations/files.py", "read_path"))),
        ("agreement lookup (get_one)", edge(stats, ("bench/screening.py", "import_chunk"),
                                             (SESSION, "get_one"))),
        ("screening context + court orders (SELECT)",
         edge(stats, ir, (SV, "context_for")) + edge(stats, ir, ("habeas/holds/service.py",
                                                                   "all_holds"))),
        ("nomination validation (Pydantic model_validate)", edge(stats, ir, (PYD,
                                                                             "model_validate"))),
        ("data_digest: model_dump + sha256", digest - digest_jcs),
        ("data_digest: canonical JSON", digest_jcs),
        ("duplicate-ref lookup (one SELECT per row)", edge(stats, ir, (SESSION, "scalar"))),
        ("public id (secrets.choice)", edge(stats, ir, (SV, "new_public_id"))),
        ("screening (screen: the rules)", edge(stats, ir, ("habeas/screening/engine.py",
                                                            "screen"))),
        ("event payload models (received + screened)",
         edge(stats, ir, (PYD, "__init__")) + edge(stats, ir, (SV, "_screened_event"))),
        ("record_many: payload re-validation (dump + validate)",
         edge(stats, rm, (EV, "_validated_payload"))),
        ("record_many: envelope checks + type lookup",
         edge(stats, rm, (EV, "_check_envelope")) + edge(stats, rm, (EV, "_event_type"))),
        ("record_many: payload model_dump", edge(stats, rm, (PYD, "model_dump"))),
        ("record_many: salt", edge(stats, rm, ("secrets.py", "token_bytes"))),
        ("record_many: payload canonical JSON", payload_jcs),
        ("record_many: payload salted sha256", payload_digest - payload_jcs),
        ("record_many: envelope canonical JSON (leaf_bytes)", edge(stats, rm,
                                                                    (EV, "leaf_bytes"))),
        ("record_many: leaf hash", edge(stats, rm, ("habeas/ledger/merkle.py", "leaf_hash"))),
        ("record_many: log head lock", edge(stats, rm, (EV, "lock_log"))),
        ("record_many: event rows + INSERT event",
         edge(stats, rm, (EV, "<listcomp>")) + edge(stats, rm, (SESSION, "execute"))),
        ("record_many: stored-hash computation", leaves - hash_insert),
        ("record_many: INSERT ledger_hash", hash_insert),
        ("projection received (NominationRecord + model_dump)",
         edge(stats, rm, (PJ, "apply_received"))),
        ("projection screened: session.get (autoflush INSERT + SELECT per row)", screened_get),
        ("projection screened: attribute sets", screened - screened_get),
        ("projection final flush (UPDATE nomination)", edge(stats, rm, (SESSION, "flush"))),
        ("commit", edge(stats, ("habeas/db.py", "unit_of_work"), (SESSION, "commit"))),
    ]
    parts.append(("other (LineResults, loop, session setup/close)",
                  total - sum(t for _, t in parts)))
    return total, parts


def profiled_chunk(engine: Engine, path: Path) -> None:
    """profiled_chunk is what run_import does for a file of one chunk."""
    rows = files.read_path(path)
    import_chunk(engine, AGREEMENT, rows)


def bench_profile(engine: Engine, path: Path) -> dict[str, Any]:
    profiler = cProfile.Profile()
    profiler.runcall(profiled_chunk, engine, path)
    total, parts = profile_breakdown(profiler)
    say(f"== 2. cProfile of one more {CHUNK}-row chunk on the imported SQLite database"
        f" ({total:.2f} s under the profiler): top 20 by cumulative time")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(20)
    lines = out.getvalue().strip().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    for line in lines[start:]:
        say("   " + line)
    say("\n   where the chunk's time goes (share of profiled time):")
    for name, seconds in sorted(parts, key=lambda p: -p[1]):
        say(f"   {100 * seconds / total:6.1f} %  {name}")
    say()
    return {"rows": CHUNK, "seconds": total,
            "percent": {name: 100 * seconds / total for name, seconds in parts}}


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def report(results: dict[str, Any]) -> None:
    rows = [("measurement", "ours", "limit", "ratio", "goal", "met")]
    s = results.get("sqlite")
    if s:
        rows.append((
            f"import {s['nominations']:,} into SQLite", f"{s['nominations_per_s']:,.0f} nom/s",
            f"{s['limit_nominations_per_s']:,.0f} nom/s", f"{s['ratio']:.3f}",
            f">= {GOAL_RATE:,.0f} nom/s, ratio >= {GOAL_RATIO}",
            f"rate {yes(s['nominations_per_s'] >= GOAL_RATE)},"
            f" ratio {yes(s['ratio'] >= GOAL_RATIO)}"))
    p = results.get("postgres")
    if p and "nominations_per_s" in p:
        rows.append((
            f"import {p['nominations']:,} into PostgreSQL", f"{p['nominations_per_s']:,.0f} nom/s",
            f"{p['limit_nominations_per_s']:,.0f} nom/s" if "ratio" in p else "-",
            f"{p['ratio']:.3f}" if "ratio" in p else "-", "figure only", "-"))
    elif p:
        rows.append(("import into PostgreSQL", f"skipped: {p['skipped']}", "-", "-", "-", "-"))
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    say("== Summary")
    for n, row in enumerate(rows):
        say(("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip())
        if n == 0:
            say("  " + "  ".join("-" * w for w in widths))


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    t0 = perf()
    value = call()
    return value, perf() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="about 1 minute: 20,000 nominations on SQLite, 5,000 on PostgreSQL")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write results as JSON")
    parser.add_argument("--nominations", type=int,
                        help="nominations to import into SQLite (default 100,000; quick 20,000)")
    parser.add_argument("--pg-nominations", type=int,
                        help="nominations to import into PostgreSQL (default 20,000;"
                             " quick 5,000)")
    parser.add_argument("--pg-url", default=PG_URL,
                        help="PostgreSQL server (scratch databases are created and dropped)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-pg-limit", action="store_true",
                        help="PostgreSQL: the import figure only, without its limit")
    parser.add_argument("--only", choices=["sqlite", "postgres"], action="append",
                        help="run only this part (repeatable); the profile is part of sqlite")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the generated data")
    parser.add_argument("--workdir", type=Path, help="where to build data (default: a temp dir)")
    args = parser.parse_args(argv)

    n = args.nominations or (20_000 if args.quick else 100_000)
    pg_n = args.pg_nominations or (5_000 if args.quick else 20_000)
    parts = set(args.only or ["sqlite", "postgres"])
    if args.no_postgres:
        parts.discard("postgres")
    n = n if "sqlite" in parts else 0
    pg_n = pg_n if "postgres" in parts else 0

    info = machine()
    say(f"bench/screening.py {'--quick ' if args.quick else ''}on {info['cpus']} CPUs"
        f" ({info['cpu']}), Python {info['python']}, SQLite {info['sqlite']}\n")
    results: dict[str, Any] = {"machine": info, "quick": args.quick, "as_of": AS_OF.isoformat(),
                               "chunk": CHUNK, "goal_nominations_per_s": GOAL_RATE,
                               "goal_ratio": GOAL_RATIO,
                               "started": datetime.now(UTC).isoformat(timespec="seconds")}
    started = perf()
    with tempfile.TemporaryDirectory(prefix="habeas-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        data = workdir / "nominations.jsonl"
        decisions, gen_s = _timed(lambda: write_jsonl(data, 0, max(n, pg_n), args.seed))
        size_mb = data.stat().st_size / 1e6
        say(f"generated {max(n, pg_n):,} nominations ({size_mb:.0f} MB of .jsonl) in {gen_s:.1f} s"
            " (not measured)\n")

        if "sqlite" in parts:
            extra = workdir / "profile.jsonl"
            write_jsonl(extra, 10_000_000, CHUNK, args.seed)
            say(f"== 1. Import {n:,} nominations into SQLite (WAL, synchronous=NORMAL), as of"
                f" {AS_OF}, chunks of {CHUNK} (one commit each)")
            engine = prepared_engine(f"sqlite:///{workdir / 'import.db'}")
            limit_engine = prepared_engine(f"sqlite:///{workdir / 'limit.db'}")
            results["sqlite"] = measure("sqlite", engine, limit_engine,
                                        head(data, workdir / "sqlite.jsonl", n), n,
                                        expected(decisions, n))
            limit_engine.dispose()
            say()
            results["profile"] = bench_profile(engine, extra)
            engine.dispose()

        if "postgres" not in parts:
            results["postgres"] = {"skipped": "not asked for"}
        elif (reason := pg_reachable(args.pg_url)) is not None:
            say(f"== 3. PostgreSQL at {args.pg_url}: unreachable ({reason}); skipped\n")
            results["postgres"] = {"skipped": f"unreachable: {reason}"}
        else:
            names = [f"habeas_bench_{os.getpid()}"]
            if not args.no_pg_limit:
                names.append(f"habeas_bench_{os.getpid()}_limit")
            with pg_scratch(args.pg_url, names) as urls:
                pg = prepared_engine(urls[0])
                with pg.connect() as conn:
                    version = conn.execute(text("SHOW server_version")).scalar_one()
                say(f"== 3. Import {pg_n:,} nominations into PostgreSQL {version}"
                    f" (scratch database {names[0]}; figure only)")
                pg_limit = prepared_engine(urls[1]) if len(urls) > 1 else None
                results["postgres"] = measure("postgres", pg, pg_limit,
                                              head(data, workdir / "pg.jsonl", pg_n), pg_n,
                                              expected(decisions, pg_n))
                results["postgres"]["server_version"] = version
                pg.dispose()
                if pg_limit is not None:
                    pg_limit.dispose()
            say()
    results["total_seconds"] = perf() - started
    results["machine"]["loadavg_1m_at_end"] = os.getloadavg()[0]
    report(results)
    finish(results, info, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
