"""Ledger benchmarks: our code against the limit it is compared with, in the same run.

    python bench/ledger.py            # full run (about 2 minutes on 2 cores)
    python bench/ledger.py --quick    # about 20 seconds
    python bench/ledger.py --json results.json

1. Durable appends through the one write path (habeas.events.record_many), one
   transaction per batch of 1,000 events, against a plain executemany INSERT of
   the same rows into the same SQLite table; then a cProfile of where the time goes.
2. Full verification of a tlog-tiles export (habeas.ledger.verify) against
   hashlib.sha256 over the same inputs in a tight loop.
3. Inclusion and consistency proofs from the database store (habeas.ledger.store)
   at 1M and 10M leaves: median latency and stored-hash reads per proof.

Every figure is measured, never asserted: the output states whether each goal is met.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import math
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import Key, Spec, cumtime, edge, finish, machine, say, yes
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

import habeas.projections  # noqa: F401 - installs every projector, as each entry point does
from habeas.agreements.schemas import FacilityInfo
from habeas.db import make_engine, read_session, unit_of_work
from habeas.events import NewEvent, event_row, record_many
from habeas.facilities.projections import FacilityRegistered
from habeas.ledger import merkle, store, tiles
from habeas.ledger.leaf import canonical_envelope, format_time
from habeas.ledger.models import Event
from habeas.ledger.note import CheckpointBody, generate_signer, sign_note
from habeas.ledger.verify import DirSource, verify
from habeas.migrate import upgrade

BATCH = 1_000
INSERT_CHUNK = 100_000
HASH = merkle.HASH_SIZE

GOAL_APPEND_RATE = 20_000.0
GOAL_APPEND_RATIO = 0.1
GOAL_VERIFY_RATIO = 0.5
GOAL_PROOF_MEDIAN_MS = 1.0

perf = time.perf_counter


def _timed(call: Callable[[], object]) -> float:
    t0 = perf()
    call()
    return perf() - t0


def fresh_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


# ---------------------------------------------------------------------------
# 1. Durable appends
# ---------------------------------------------------------------------------


def facility_batch(start: int) -> list[NewEvent]:
    """facility_batch is 1,000 real events, each registering a distinct facility."""
    return [
        NewEvent(
            type="facility.registered", actor="bench", party="SLV", facility=f"F{start + i}",
            payload=FacilityRegistered(facility=FacilityInfo(
                code=f"F{start + i}", name="Bench prison", country="SLV",
                timezone="America/El_Salvador", address="Somewhere", phone="+503 0",
                signed_capacity=100)),
        )
        for i in range(BATCH)
    ]


def append_batch(engine: Engine, events: Sequence[NewEvent]) -> None:
    """append_batch is one durable append: one unit of work (one commit) per batch."""
    with unit_of_work(engine) as session:
        record_many(session, events)


def plain_insert(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """plain_insert is the limit: executemany of the same rows into the same table."""
    with engine.begin() as conn:
        conn.execute(insert(Event.__table__), rows)



EV = "habeas/events.py"
ST = "habeas/ledger/store.py"
MK = "habeas/ledger/merkle.py"
SESSION = "sqlalchemy/orm/session.py"


def profile_breakdown(profiler: cProfile.Profile) -> tuple[float, list[tuple[str, float]]]:
    """profile_breakdown splits the profiled append time into non-overlapping parts."""
    stats: dict[Key, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = cumtime(stats, ("bench/ledger.py", "append_batch"))
    rm: Spec = (EV, "record_many")
    jcs = edge(stats, (EV, "payload_digest"), (EV, "canonical_json"))
    leaves = edge(stats, rm, (ST, "append_leaves"))
    hash_insert = edge(stats, (ST, "append_leaves"), (SESSION, "execute"))
    parts = [
        ("event-type lookup (_event_type)", edge(stats, rm, (EV, "_event_type"))),
        ("envelope checks (_check_envelope)", edge(stats, rm, (EV, "_check_envelope"))),
        ("payload validation (pydantic)", edge(stats, rm, (EV, "_validated_payload"))),
        ("payload model_dump (pydantic)", edge(stats, rm, ("pydantic/main.py", "model_dump"))),
        ("salt (secrets.token_bytes)", edge(stats, rm, ("secrets.py", "token_bytes"))),
        ("RFC 8785 canonical JSON of payload", jcs),
        ("salted SHA-256 digest (rest of payload_digest)",
         edge(stats, rm, (EV, "payload_digest")) - jcs),
        ("Event ORM objects", edge(stats, rm, ("", "__init__"))),
        ("envelope canonical JSON (leaf_bytes)", edge(stats, rm, (EV, "leaf_bytes"))),
        ("leaf hash (merkle.leaf_hash)", edge(stats, rm, (MK, "leaf_hash"))),
        ("log head lock (SELECT)", edge(stats, rm, (EV, "lock_log"))),
        ("event rows (event_row)", edge(stats, rm, (EV, "<listcomp>"))),
        ("INSERT event rows", edge(stats, rm, (SESSION, "execute"))),
        ("stored-hash computation (append_leaves)", leaves - hash_insert),
        ("INSERT ledger_hash rows", hash_insert),
        ("projection (apply: ORM adds)", edge(stats, rm, ("", "apply_facility_registered"))),
        ("projection flush (INSERT facility rows)", edge(stats, rm, (SESSION, "flush"))),
        ("commit", edge(stats, ("habeas/db.py", "unit_of_work"), (SESSION, "commit"))),
    ]
    parts.append(("other (session setup/close, loop)", total - sum(t for _, t in parts)))
    return total, parts


def bench_append(workdir: Path, batches: int, profile_batches: int) -> dict[str, Any]:
    say(f"== 1. Durable appends: {batches} batches of {BATCH:,} events"
        " (one transaction each), after 1 warm-up batch")
    engine = fresh_engine(workdir / "append.db")
    append_batch(engine, facility_batch(0))  # warm-up
    times = []
    for b in range(1, batches + 1):
        events = facility_batch(b * BATCH)  # building the commands is the caller's work
        times.append(_timed(lambda events=events: append_batch(engine, events)))
    elapsed = sum(times)
    ours = batches * BATCH / elapsed

    # The limit: the rows the write path produced, inserted with executemany into
    # the same table of a second fresh migrated database, same batches, same commits.
    with read_session(engine) as session:
        rows = [event_row(e) for e in session.scalars(
            select(Event).where(Event.seq < (batches + 1) * BATCH).order_by(Event.seq))]
    limit_engine = fresh_engine(workdir / "limit.db")
    plain_insert(limit_engine, rows[:BATCH])  # warm-up
    limit_times = []
    for b in range(1, batches + 1):
        chunk = rows[b * BATCH:(b + 1) * BATCH]
        limit_times.append(_timed(lambda chunk=chunk: plain_insert(limit_engine, chunk)))
    limit_elapsed = sum(limit_times)
    limit = batches * BATCH / limit_elapsed
    ratio = ours / limit
    median, limit_median = statistics.median(times), statistics.median(limit_times)
    say(f"   write path : {ours:12,.0f} events/s  ({elapsed:.2f} s for {batches * BATCH:,};"
        f" median batch {1000 * median:.1f} ms)")
    say(f"   executemany: {limit:12,.0f} events/s  ({limit_elapsed:.2f} s;"
        f" median batch {1000 * limit_median:.1f} ms)   ratio {ratio:.3f}"
        f" (by median batch {limit_median / median:.3f})")

    profiler = cProfile.Profile()
    first = (batches + 1) * BATCH
    for p in range(profile_batches):
        events = facility_batch(first + p * BATCH)
        profiler.runcall(append_batch, engine, events)
    total, parts = profile_breakdown(profiler)
    say(f"\n   cProfile of {profile_batches} more batches"
        f" ({profile_batches * BATCH:,} events, {total:.2f} s under the profiler):"
        " top 15 by cumulative time")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(15)
    lines = out.getvalue().strip().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    for line in lines[start:]:
        say("   " + line)
    say("\n   where the append time goes (share of profiled append_batch time):")
    for name, seconds in parts:
        say(f"   {100 * seconds / total:6.1f} %  {name}")
    say()
    engine.dispose()
    limit_engine.dispose()
    return {
        "events": batches * BATCH, "batch": BATCH,
        "events_per_s": ours, "limit_events_per_s": limit, "ratio": ratio,
        "seconds": elapsed, "limit_seconds": limit_elapsed,
        "median_batch_ms": 1000 * median, "limit_median_batch_ms": 1000 * limit_median,
        "goal_events_per_s": GOAL_APPEND_RATE, "goal_ratio": GOAL_APPEND_RATIO,
        "profile_events": profile_batches * BATCH,
        "profile_percent": {name: 100 * seconds / total for name, seconds in parts},
    }


# ---------------------------------------------------------------------------
# 2. Full verification of an export
# ---------------------------------------------------------------------------


def synthetic_entries(n: int) -> list[bytes]:
    """synthetic_entries are n well-formed envelope leaves, exactly as the log writes them."""
    base = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    sha = hashlib.sha256
    entries = []
    for i in range(n):
        moment = format_time(base + timedelta(milliseconds=i))
        env = {
            "v": 1, "seq": i, "type": "facility.registered",
            "occurred_at": moment, "recorded_at": moment,
            "actor": "bench", "party": "SLV", "subject": None, "facility": f"F{i}",
            "payload_sha256": sha(b"bench payload %d" % i).hexdigest(),
        }
        entries.append(canonical_envelope(env))
    return entries


def write_export(folder: Path, entries: list[bytes]) -> tuple[bytes, Any]:
    """write_export writes the C2SP tlog-tiles folder; returns (root, log verifier)."""
    n = len(entries)
    leaf_hashes = [merkle.leaf_hash(e) for e in entries]
    root, kept = tiles.levels_and_root(leaf_hashes)

    def write(rel: str, data: bytes) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    for index, width in tiles.bundles_for(n):
        first = index * tiles.TILE_WIDTH
        write(tiles.entries_path(index, width), tiles.encode_bundle(entries[first:first + width]))
    for tile in tiles.tiles_for(n):
        nodes = leaf_hashes if tile.level == 0 else kept[tile.level]
        write(tile.path, b"".join(nodes[tile.first_node:tile.first_node + tile.width]))
    signer = generate_signer("bench.invalid/log")
    write("checkpoint", sign_note(CheckpointBody(signer.name, n, root).text, signer).encode())
    return root, signer.verifier


def bench_verify(workdir: Path, n: int, repeat: int) -> dict[str, Any]:
    say(f"== 2. Full verification of a {n:,}-leaf tlog-tiles export")
    t0 = perf()
    entries = synthetic_entries(n)
    folder = workdir / "export"
    root, verifier = write_export(folder, entries)
    build = perf() - t0
    say(f"   export built in {build:.1f} s (not measured)")

    # The limit: hashlib.sha256 over the same inputs, prebuilt, in a tight loop:
    # every leaf input 0x00 || entry once, plus n-1 interior-node inputs of 65 bytes.
    leaf_inputs = [b"\x00" + e for e in entries]
    del entries
    leaf_hashes = [hashlib.sha256(x).digest() for x in leaf_inputs]
    node_inputs = [b"\x01" + leaf_hashes[i] + leaf_hashes[i + 1] for i in range(n - 1)]
    del leaf_hashes
    sha = hashlib.sha256

    def sha256_loop() -> None:
        for x in leaf_inputs:
            sha(x).digest()
        for x in node_inputs:
            sha(x).digest()

    # Alternate the two and keep the best of each: the machine may be shared.
    verify_times, limit_times = [], []
    for _ in range(repeat):
        gc.collect()
        t0 = perf()
        result = verify(DirSource(folder), verifier)
        verify_times.append(perf() - t0)
        if result.size != n or result.root != root:
            raise RuntimeError(f"verify returned size {result.size}, root {result.root.hex()}")
        gc.collect()
        limit_times.append(_timed(sha256_loop))
    verify_s, limit_s = min(verify_times), min(limit_times)
    ours = n / verify_s
    limit = n / limit_s
    ratio = ours / limit
    runs = ", ".join(f"{t:.2f}" for t in verify_times)
    limit_runs = ", ".join(f"{t:.2f}" for t in limit_times)
    say(f"   verify     : {ours:12,.0f} leaves/s  (best of {repeat}: {runs} s;"
        f" OK size={result.size})")
    say(f"   sha256 loop: {limit:12,.0f} leaves/s  (best of {repeat}: {limit_runs} s for"
        f" {2 * n - 1:,} hashes)   ratio {ratio:.3f}\n")
    return {
        "leaves": n, "leaves_per_s": ours, "limit_leaves_per_s": limit, "ratio": ratio,
        "seconds": verify_s, "limit_seconds": limit_s, "build_seconds": build,
        "verify_runs_seconds": verify_times, "limit_runs_seconds": limit_times,
        "goal_ratio": GOAL_VERIFY_RATIO,
    }


# ---------------------------------------------------------------------------
# 3. Proofs from the database store
# ---------------------------------------------------------------------------


class BufferReader:
    """BufferReader is a compact merkle.HashReader: 32 bytes per stored hash in one bytearray."""

    def __init__(self, count: int) -> None:
        self.buf = bytearray(HASH * count)

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        buf = self.buf
        return [bytes(buf[HASH * i:HASH * i + HASH]) for i in indexes]


class CountingReader(store.DbHashReader):
    """CountingReader is the store's reader, counting the stored hashes a proof reads."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.reads = 0

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        self.reads += len(indexes)
        return super().read_hashes(indexes)


def synthetic_leaf(i: int) -> bytes:
    return merkle.leaf_hash(b"bench leaf %d" % i)


def build_stored_hashes(n: int) -> bytearray:
    """build_stored_hashes lays out the stored hashes of n leaves, as the write path would."""
    reader = BufferReader(merkle.stored_hash_count(n))
    buf = reader.buf
    stored_hashes = merkle.stored_hashes
    pos = 0
    for i in range(n):
        for h in stored_hashes(i, synthetic_leaf(i), reader):
            buf[pos:pos + HASH] = h
            pos += HASH
    if pos != len(buf):
        raise RuntimeError("stored-hash layout does not match stored_hash_count")
    return buf


def populate(path: Path, buf: bytearray, count: int) -> Engine:
    """populate bulk-inserts the first COUNT stored hashes into ledger_hash of a fresh DB."""
    engine = fresh_engine(path)
    raw = engine.raw_connection()
    view = memoryview(buf)
    try:
        cursor = raw.cursor()
        for start in range(0, count, INSERT_CHUNK):
            end = min(count, start + INSERT_CHUNK)
            cursor.execute("BEGIN")
            cursor.executemany(
                "INSERT INTO ledger_hash (idx, hash) VALUES (?, ?)",
                ((i, view[HASH * i:HASH * i + HASH]) for i in range(start, end)))
            cursor.execute("COMMIT")
        cursor.close()
    finally:
        view.release()
        raw.close()
    return engine


def measure_proofs(engine: Engine, n: int, queries: int, rng: random.Random) -> dict[str, Any]:
    indexes = [rng.randrange(n) for _ in range(queries)]
    sizes = [rng.randrange(1, n) for _ in range(queries)]
    with Session(engine) as s:
        for w in range(5):  # warm-up: connection, statement cache
            store.inclusion(s, w, n)
            store.consistency(s, w + 1, n)
        inc = [_timed(lambda i=i: store.inclusion(s, i, n)) for i in indexes]
        con = [_timed(lambda m=m: store.consistency(s, m, n)) for m in sizes]
    with Session(engine) as s:  # untimed: reads per proof and correctness
        inc_reads, con_reads = [], []
        for i in indexes:
            reader = CountingReader(s)
            merkle.inclusion_proof(i, n, reader)
            inc_reads.append(reader.reads)
        for m in sizes:
            reader = CountingReader(s)
            merkle.consistency_proof(m, n, reader)
            con_reads.append(reader.reads)
        root = store.root_at(s, n)
        checked = 0
        for i, m in zip(indexes[:5], sizes[:5], strict=True):
            ok_inc = merkle.verify_inclusion(i, n, synthetic_leaf(i), store.inclusion(s, i, n),
                                             root)
            ok_con = merkle.verify_consistency(m, n, store.root_at(s, m), root,
                                               store.consistency(s, m, n))
            if not (ok_inc and ok_con):
                raise RuntimeError(f"proof at n={n} (index {i}, size1 {m}) does not verify")
            checked += 2

    def summary(times: list[float], reads: list[int]) -> dict[str, Any]:
        ms = sorted(t * 1000 for t in times)
        return {"median_ms": statistics.median(ms), "p90_ms": ms[int(0.9 * (len(ms) - 1))],
                "max_ms": ms[-1], "reads_median": statistics.median(reads),
                "reads_max": max(reads)}

    return {"leaves": n, "queries": queries, "verified_proofs": checked,
            "inclusion": summary(inc, inc_reads), "consistency": summary(con, con_reads)}


def bench_proofs(workdir: Path, sizes: list[int], queries: int, seed: int) -> dict[str, Any]:
    biggest = max(sizes)
    say(f"== 3. Proofs from the DB store at {', '.join(f'{s:,}' for s in sizes)} leaves,"
        f" {queries} random queries each")
    say("   (bench shortcut: ledger_hash is bulk-loaded with the stored hashes that\n"
        "    merkle.stored_hashes computes for synthetic leaves: the same hashes the write path\n"
        "    would store for those leaves, without building millions of events)")
    t0 = perf()
    buf = build_stored_hashes(biggest)
    compute_s = perf() - t0
    say(f"   stored hashes for {biggest:,} leaves computed in {compute_s:.1f} s")
    rng = random.Random(seed)
    results = []
    for n in sorted(sizes):
        count = merkle.stored_hash_count(n)
        t0 = perf()
        engine = populate(workdir / f"proofs-{n}.db", buf, count)
        load_s = perf() - t0
        result = measure_proofs(engine, n, queries, rng)
        engine.dispose()
        (workdir / f"proofs-{n}.db").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            (workdir / f"proofs-{n}.db{suffix}").unlink(missing_ok=True)
        result.update({"stored_hashes": count, "load_seconds": load_s})
        results.append(result)
        say(f"   n={n:>12,}  ({count:,} rows loaded in {load_s:.1f} s; log2 n = {math.log2(n):.1f};"
            f" {result['verified_proofs']} proofs verified)")
        for kind in ("inclusion", "consistency"):
            r = result[kind]
            say(f"      {kind:<11}: median {r['median_ms']:.3f} ms, p90 {r['p90_ms']:.3f} ms,"
                f" max {r['max_ms']:.3f} ms; hash reads median {r['reads_median']:g},"
                f" max {r['reads_max']}")
    if len(results) > 1:
        small, large = results[0], results[-1]
        for kind in ("inclusion", "consistency"):
            growth = large[kind]["median_ms"] / small[kind]["median_ms"]
            say(f"   {kind} median grows x{growth:.2f} from {small['leaves']:,} to"
                f" {large['leaves']:,} leaves (log2 ratio"
                f" {math.log2(large['leaves']) / math.log2(small['leaves']):.2f},"
                f" linear ratio {large['leaves'] / small['leaves']:.0f})")
    say()
    return {"compute_seconds": compute_s, "sizes": results, "goal_median_ms": GOAL_PROOF_MEDIAN_MS}


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def report(results: dict[str, Any]) -> None:
    rows = [("measurement", "ours", "limit", "ratio", "goal", "met")]
    a = results.get("append")
    if a:
        rows.append((
            f"append, batches of {a['batch']:,}", f"{a['events_per_s']:,.0f} ev/s",
            f"{a['limit_events_per_s']:,.0f} ev/s", f"{a['ratio']:.3f}",
            f">= {a['goal_events_per_s']:,.0f} ev/s, ratio >= {a['goal_ratio']}",
            f"rate {yes(a['events_per_s'] >= a['goal_events_per_s'])},"
            f" ratio {yes(a['ratio'] >= a['goal_ratio'])}"))
    v = results.get("verify")
    if v:
        rows.append((
            f"verify {v['leaves']:,} leaves", f"{v['leaves_per_s']:,.0f} leaves/s",
            f"{v['limit_leaves_per_s']:,.0f} leaves/s", f"{v['ratio']:.3f}",
            f"ratio >= {v['goal_ratio']}", yes(v["ratio"] >= v["goal_ratio"])))
    p = results.get("proofs")
    if p:
        for r in p["sizes"]:
            for kind in ("inclusion", "consistency"):
                k = r[kind]
                rows.append((
                    f"{kind} proof @ {r['leaves']:,}",
                    f"{k['median_ms']:.3f} ms, {k['reads_median']:g} reads", "-", "-",
                    f"median <= {p['goal_median_ms']:g} ms",
                    yes(k["median_ms"] <= p["goal_median_ms"])))
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    say("== Summary")
    for n, row in enumerate(rows):
        say(("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip())
        if n == 0:
            say("  " + "  ".join("-" * w for w in widths))


def parse_sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="about 20 s: 10 append batches, 200k-leaf export, 1M proofs")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write results as JSON")
    parser.add_argument("--batches", type=int, help="append batches of 1,000 (default 50; 10)")
    parser.add_argument("--leaves", type=int, help="export size to verify (default 1M; 200k)")
    parser.add_argument("--proof-sizes", type=parse_sizes,
                        help="comma-separated tree sizes for proofs (default 1M,10M; 1M)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="verification runs (alternating with the limit); best is kept")
    parser.add_argument("--queries", type=int, default=200, help="proof queries per size")
    parser.add_argument("--only", choices=["append", "verify", "proofs"], action="append",
                        help="run only this part (repeatable)")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the random queries")
    parser.add_argument("--workdir", type=Path, help="where to build data (default: a temp dir)")
    args = parser.parse_args(argv)

    batches = args.batches or (10 if args.quick else 50)
    leaves = args.leaves or (200_000 if args.quick else 1_000_000)
    proof_sizes = args.proof_sizes or ([1_000_000] if args.quick else [1_000_000, 10_000_000])
    parts = set(args.only or ["append", "verify", "proofs"])

    info = machine()
    say(f"bench/ledger.py {'--quick ' if args.quick else ''}on {info['cpus']} CPUs ({info['cpu']}),"
        f" Python {info['python']}, SQLite {info['sqlite']}\n")
    results: dict[str, Any] = {"machine": info, "quick": args.quick,
                               "started": datetime.now(UTC).isoformat(timespec="seconds")}
    started = perf()
    with tempfile.TemporaryDirectory(prefix="habeas-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        if "append" in parts:
            results["append"] = bench_append(workdir, batches, 2 if args.quick else 5)
        if "verify" in parts:
            results["verify"] = bench_verify(workdir, leaves, args.repeat)
            gc.collect()
        if "proofs" in parts:
            results["proofs"] = bench_proofs(workdir, proof_sizes, args.queries, args.seed)
    results["total_seconds"] = perf() - started
    results["machine"]["loadavg_1m_at_end"] = os.getloadavg()[0]
    report(results)
    finish(results, info, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
