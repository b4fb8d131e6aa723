"""Load benchmark: `habeas serve` under a mixed workload from a second process, on SQLite and
PostgreSQL, and the ledger verified afterwards.

    python bench/load.py                                  # both engines, 30 s of mixed load each
    python bench/load.py --engine sqlite --seconds 10     # a quick look
    python bench/load.py --engine postgresql --population 2000 --json results.json

For each engine:
1. Data (not timed): a fresh database — a SQLite file in a temporary folder, or a scratch
   PostgreSQL database created on the server at HABEAS_TEST_PG_URL (default
   postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped at the end — set up
   with the real commands: `habeas init --profile bilateral-fee-2025` and `habeas demo`
   (the demo scenario through the one event path: CECOT and its 14,532 domestic
   prisoners, 400 nominations, two flights, a year of custody, the demo users, a
   checkpoint cosigned by two witnesses; ~21,000 events), with the log key in a
   temporary HABEAS_DATA_DIR. An API token is issued (through habeas.auth, an event like
   any other) to `admin`, `sv.warden`, `monitor` and `us.officer`.
2. `habeas serve` runs as its own process on a free loopback port, with
   HABEAS_LOCATOR_RATE_LIMIT=0 (the explicit setting that switches the locator's rate
   limit off, for benchmarks only) and HABEAS_NOTIFY_WORKER=false (the demo's 470
   notifications waiting in the outbox are not delivered to an SMTP server that is not
   there during the measurement). A checkpoint is signed through the API
   (POST /api/v1/ledger/checkpoints as `admin`) and the live log is verified with
   `habeas ledger verify http://…/ledger --state FILE`, which keeps it as trusted.
3. A second process (multiprocessing, spawned) loads the server: CONCURRENCY closed-loop
   client threads, one keep-alive HTTP/1.1 connection each over raw sockets (bench/_serve.py,
   as bench/locator.py). 1 s of warm-up, HEALTH_S of /healthz (the framework's own limit:
   routing, middleware, one `SELECT 1`), then --seconds (≤ 60) of the mixed workload, in
   these proportions:
      30 %  locator search by name + country of birth (GET /api/v1/locate, public; names
            as written or in capitals without accents)
      10 %  locator search by the sending state's reference + country of birth
      30 %  a person's custody file (GET /api/v1/people/{id}, Bearer token of sv.warden,
            monitor, or us.officer for people in US legal custody; each read is logged)
      15 %  a family contact recorded for a person in custody
            (POST /api/v1/people/{id}/contacts as sv.warden, with an Idempotency-Key:
            one `contact.recorded` event through habeas.events.record)
      15 %  an RFC 9162 inclusion proof of a random event of the signed checkpoint
            (GET /api/v1/ledger/proof/inclusion?seq=N, public)
   Every non-2xx answer and every connection error counts as an error.
4. A checkpoint is signed through the API again; the server is stopped; then
   `habeas ledger export` + `habeas ledger verify` (checking the new log against the
   checkpoint trusted before the load: consistency) and `habeas replay --check`. The log
   must have grown by exactly the contact writes answered 201.

Reported per kind and overall: requests, requests/s, p50, p99, errors; the mixed rate ÷
the /healthz rate. The exit status is 1 if any request failed or a check did not pass.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from _serve import Connection, free_port, habeas_command, serve, stop
from common import machine
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import create_engine, make_url, select, text

import habeas.projections
from habeas.auth.models import User
from habeas.auth.tokens import issue_token
from habeas.db import make_engine, unit_of_work, utcnow
from habeas.locator.normalise import name_key

CONCURRENCY = 4
WARM_S = 1.0
HEALTH_S = 5.0
MAX_SECONDS = 60.0
PROFILE = "bilateral-fee-2025"
PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MIX = (("locate by name", 30), ("locate by id", 10), ("person read", 30),
       ("contact write", 15), ("inclusion proof", 15))
KINDS = tuple(kind for kind, _ in MIX)
TOKEN_USERS = ("admin", "sv.warden", "monitor", "us.officer")
PLAN_SIZE = 4_000  # requests prepared per kind (taken in turn, with repeats)

# Piped into a file or a log, lines are not wrapped at 80 columns.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)


# ---------------------------------------------------------------------------
# The workload: prepared in the bench process, sent from the load process
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str | None = None
    body: bytes | None = None  # a POST; it gets a fresh Idempotency-Key each time


@dataclass
class Plan:
    requests: dict[str, list[Request]]
    schedule: list[str]  # the kinds, shuffled in their proportions


def make_plan(url: str, tokens: dict[str, str], rng: random.Random) -> tuple[Plan, int]:
    """make_plan reads who is findable, who is held and the checkpoint, and prepares
    PLAN_SIZE requests of each kind; it returns the plan and the checkpoint's size."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            entries = conn.execute(text(
                "SELECT family_name, given_names, birth_country, external_ref_key"
                " FROM locator_entry ORDER BY public_id")).all()
            held = conn.execute(text(
                "SELECT public_id, legal_custodian FROM prisoner"
                " WHERE status = 'in_custody' ORDER BY public_id")).all()
            size = conn.execute(text("SELECT max(size) FROM checkpoint")).scalar_one()
    finally:
        engine.dispose()
    if not entries or not held or not size:
        raise RuntimeError("the demo left nobody to find, nobody held, or no checkpoint")

    def by_name(family: str, given: str, country: str) -> Request:
        if rng.random() < 0.5:  # typed as a relative might: capitals, no accents
            family, given = name_key(family).upper(), name_key(given).upper()
        return Request("GET", "/api/v1/locate?" + urlencode(
            {"family_name": family, "given_names": given, "country_of_birth": country}))

    def read(public_id: str, custodian: str) -> Request:
        reader = rng.choice(("sv.warden", "sv.warden", "monitor", "us.officer"))
        if reader == "us.officer" and custodian != "USA":
            reader = "sv.warden"  # a sending user sees only its own party's people
        return Request("GET", f"/api/v1/people/{public_id}", tokens[reader])

    today = utcnow().date().isoformat()

    def contact(public_id: str) -> Request:
        body = {"kind": "family", "mode": rng.choice(("visit", "call", "video", "letter")),
                "on": today, "with_whom": rng.choice(
                    ("mother", "father", "sister", "brother", "wife", "daughter", "son"))}
        return Request("POST", f"/api/v1/people/{public_id}/contacts", tokens["sv.warden"],
                       json.dumps(body).encode())

    named = [rng.choice(entries) for _ in range(PLAN_SIZE)]
    requests = {
        "locate by name": [by_name(e.family_name, e.given_names, e.birth_country)
                           for e in named],
        "locate by id": [Request("GET", "/api/v1/locate?" + urlencode(
            {"identifier": e.external_ref_key, "country_of_birth": e.birth_country}))
            for e in (rng.choice(entries) for _ in range(PLAN_SIZE))],
        "person read": [read(*rng.choice(held)) for _ in range(PLAN_SIZE)],
        "contact write": [contact(rng.choice(held).public_id) for _ in range(PLAN_SIZE)],
        "inclusion proof": [Request("GET", f"/api/v1/ledger/proof/inclusion?seq="
                                    f"{rng.randrange(size)}") for _ in range(PLAN_SIZE)],
    }
    schedule = [kind for kind, weight in MIX for _ in range(weight)]
    rng.shuffle(schedule)
    return Plan(requests, schedule), int(size)


def send(conn: Connection, req: Request) -> tuple[int, bytes]:
    headers = {"Accept": "application/json"}
    if req.token:
        headers["Authorization"] = f"Bearer {req.token}"
    if req.body is not None:
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = f"bench-load-{uuid.uuid4().hex}"
    return conn.request(req.method, req.path, headers, req.body)


# ---------------------------------------------------------------------------
# The load process
# ---------------------------------------------------------------------------

@dataclass
class Tally:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)


def run_phase(port: int, plan: Plan, kinds: list[str], seconds: float, name: str,
              report: Any) -> dict[str, Any]:
    """run_phase: CONCURRENCY closed-loop clients send the plan's requests for SECONDS."""
    started = time.perf_counter()
    deadline = started + seconds
    tallies = [Tally() for _ in range(CONCURRENCY)]
    done = threading.Event()

    def client(k: int) -> None:
        tally = tallies[k]
        counters = dict.fromkeys(plan.requests, k)
        conn = Connection(port)
        conn.sock.settimeout(30)
        i = k
        try:
            while True:
                begun = time.perf_counter()
                if begun >= deadline:
                    return
                kind = kinds[i % len(kinds)]
                i += CONCURRENCY
                items = plan.requests.get(kind)
                req = items[counters[kind] % len(items)] if items else \
                    Request("GET", "/healthz")
                if items:
                    counters[kind] += CONCURRENCY
                try:
                    status, body = send(conn, req)
                    problem = None if 200 <= status < 300 else \
                        f"{status} {req.method} {req.path}: {body[:300]!r}"
                except (OSError, ValueError) as exc:
                    problem = f"{type(exc).__name__} {req.method} {req.path}: {exc}"
                    conn.close()
                    conn = Connection(port)
                    conn.sock.settimeout(30)
                tally.latencies_ms.setdefault(kind, []).append(
                    (time.perf_counter() - begun) * 1000)
                if problem is not None:
                    tally.errors[kind] = tally.errors.get(kind, 0) + 1
                    if len(tally.first_errors) < 5:
                        tally.first_errors.append(problem)
        finally:
            conn.close()

    def progress() -> None:
        while not done.wait(0.25):
            count = sum(len(v) for t in tallies for v in t.latencies_ms.values())
            errors = sum(n for t in tallies for n in t.errors.values())
            report(("progress", name, time.perf_counter() - started, count, errors))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CONCURRENCY)]
    ticker = threading.Thread(target=progress, daemon=True)
    ticker.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    done.set()
    merged: dict[str, Any] = {"name": name, "seconds": elapsed, "kinds": {}}
    for kind in dict.fromkeys(kinds):
        merged["kinds"][kind] = {
            "latencies_ms": [x for t in tallies for x in t.latencies_ms.get(kind, [])],
            "errors": sum(t.errors.get(kind, 0) for t in tallies)}
    merged["first_errors"] = [e for t in tallies for e in t.first_errors][:10]
    return merged


def load_process(port: int, plan: Plan, seconds: float, out: Any) -> None:
    """load_process is the second process: warm-up, /healthz, then the mixed workload."""
    try:
        phases = [run_phase(port, plan, plan.schedule, WARM_S, "warm-up", out.put),
                  run_phase(port, plan, ["/healthz"], HEALTH_S, "/healthz", out.put),
                  run_phase(port, plan, plan.schedule, seconds, "mixed", out.put)]
        out.put(("done", phases))
    except BaseException as exc:
        out.put(("failed", f"{type(exc).__name__}: {exc}"))
        raise


# ---------------------------------------------------------------------------
# Databases, the server, the checks
# ---------------------------------------------------------------------------

def pg_admin_url() -> str:
    return os.environ.get("HABEAS_TEST_PG_URL") or PG_ADMIN_DEFAULT


def pg_reachable(admin_url: str) -> str | None:
    """pg_reachable: None if PostgreSQL answers at ADMIN_URL, else why not."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()


@contextmanager
def database(engine_name: str, folder: Path) -> Iterator[str]:
    """database yields the URL of a fresh, empty database, dropped (PostgreSQL) at the end."""
    if engine_name == "sqlite":
        yield f"sqlite:///{folder / 'load.db'}"
        return
    admin_url = pg_admin_url()
    name = f"habeas_load_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        console.print(f"   dropped the scratch database {name}")


def habeas(env: dict[str, str], *args: str, timeout: float = 1800) -> tuple[int, str]:
    """habeas runs one `habeas` command and returns its exit status and output."""
    done = subprocess.run([habeas_command(), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return done.returncode, (done.stdout + done.stderr).strip()


def spin(label: str) -> Progress:
    return Progress(SpinnerColumn(), TextColumn(label), TimeElapsedColumn(), console=console,
                    transient=True, disable=not console.is_terminal)


def build(env: dict[str, str], population: int | None) -> list[str]:
    """build: `habeas init --profile` and `habeas demo` on the fresh database."""
    said = []
    for args in (("init", "--profile", PROFILE),
                 ("demo", *(("--population", str(population)) if population is not None
                            else ()))):
        with spin(f"habeas {' '.join(args)}") as bar:
            bar.add_task("", total=None)
            started = time.perf_counter()
            rc, output = habeas(env, *args)
        if rc != 0:
            raise RuntimeError(f"habeas {' '.join(args)} failed:\n{output}")
        said.append(f"habeas {' '.join(args)}: {time.perf_counter() - started:.1f} s")
        console.print(f"   {said[-1]}")
    return said


def issue_tokens(url: str) -> dict[str, str]:
    engine = make_engine(url)
    tokens = {}
    try:
        with unit_of_work(engine) as session:
            for username in TOKEN_USERS:
                user = session.scalar(select(User).where(User.username == username))
                if user is None:
                    raise RuntimeError(f"the demo has no user {username}")
                _, tokens[username] = issue_token(session, user, name="bench/load.py",
                                                       actor="user:admin")
    finally:
        engine.dispose()
    return tokens


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                    for table in ("event", "contact", "read_audit", "locator_search")}
    finally:
        engine.dispose()


def sign_checkpoint(port: int, admin_token: str) -> int:
    conn = Connection(port)
    try:
        status, body = send(conn, Request("POST", "/api/v1/ledger/checkpoints", admin_token,
                                          b""))
    finally:
        conn.close()
    if status != 201:
        raise RuntimeError(f"signing a checkpoint: {status} {body[:300]!r}")
    return int(json.loads(body)["size"])


# ---------------------------------------------------------------------------
# One engine
# ---------------------------------------------------------------------------

def run_engine(engine_name: str, seconds: float, population: int | None,
               seed: int) -> dict[str, Any]:
    console.rule(f"[bold]{engine_name}")
    result: dict[str, Any] = {"engine": engine_name, "checks": {}}
    with tempfile.TemporaryDirectory(prefix="habeas-load-") as tmp:
        folder = Path(tmp)
        (folder / "data").mkdir()
        with database(engine_name, folder) as url:
            env = {**os.environ, "HABEAS_DATABASE_URL": url,
                   "HABEAS_DATA_DIR": str(folder / "data")}
            console.print(f"[bold]1. data[/] (not timed) on "
                          f"{make_url(url).render_as_string(hide_password=True)}")
            result["build"] = build(env, population)
            tokens = issue_tokens(url)
            plan, size = make_plan(url, tokens, random.Random(seed))
            before = counts(url)
            result["before"] = before
            console.print(f"   {before['event']:,} events; checkpoint at {size:,}; "
                          f"tokens issued to {', '.join(TOKEN_USERS)}")
            vkey = (folder / "data" / "log.vkey").read_text().strip()
            port = free_port()
            console.print(f"[bold]2. habeas serve[/] on 127.0.0.1:{port} "
                          "(HABEAS_LOCATOR_RATE_LIMIT=0, HABEAS_NOTIFY_WORKER=false)")
            server = serve(url, port, folder, {"HABEAS_NOTIFY_WORKER": "false"})
            try:
                first = sign_checkpoint(port, tokens["admin"])
                rc, said = habeas(env, "ledger", "verify", f"http://127.0.0.1:{port}/ledger",
                                  "--key", vkey, "--state", str(folder / "trusted"),
                                  timeout=300)
                result["checks"]["live log verified before the load"] = (rc == 0, said)
                console.print(f"   checkpoint {first:,} signed through the API; "
                              f"`habeas ledger verify` of the live log: {said}")
                console.print(f"[bold]3. load[/] from a second process: {CONCURRENCY} "
                              f"keep-alive connections; {WARM_S:.0f} s warm-up, "
                              f"{HEALTH_S:.0f} s /healthz, {seconds:.0f} s mixed")
                loadavg_before = Path("/proc/loadavg").read_text().strip()
                phases = drive(port, plan, seconds)
                loadavg_after = Path("/proc/loadavg").read_text().strip()
                last = sign_checkpoint(port, tokens["admin"])
                console.print(f"   checkpoint {last:,} signed through the API")
            finally:
                stop(server)
            result["loadavg"] = {"before": loadavg_before, "after": loadavg_after}
            result["checkpoints"] = [first, last]
            result.update(summarise(phases))
            console.print("[bold]4. checks[/] after the server stopped")
            after = counts(url)
            result["after"] = after
            written = result["contact writes answered 201 (warm-up included)"]
            grown = after["event"] - before["event"]
            result["checks"]["the log grew by exactly the writes answered 201"] = (
                grown == written and after["contact"] - before["contact"] == written,
                f"{grown:,} events, {after['contact'] - before['contact']:,} contacts, "
                f"{written:,} writes answered 201")
            rc, said = habeas(env, "ledger", "export", str(folder / "export"), timeout=600)
            if rc == 0:
                rc, said = habeas(env, "ledger", "verify", str(folder / "export"), "--key",
                                  vkey, "--state", str(folder / "trusted"), timeout=600)
            result["checks"]["habeas ledger verify (consistent with the checkpoint "
                             "trusted before)"] = (rc == 0, said)
            with spin("habeas replay --check") as bar:
                bar.add_task("", total=None)
                rc, said = habeas(env, "replay", "--check", timeout=1800)
            result["checks"]["habeas replay --check"] = (rc == 0, said)
            for check, (ok, said) in result["checks"].items():
                mark = "[green]OK[/]" if ok else "[bold red]FAILED[/]"
                console.print(f"   {mark} {check}: {said.splitlines()[-1] if said else ''}")
                if not ok:
                    console.print(said)
    return result


def drive(port: int, plan: Plan, seconds: float) -> list[dict[str, Any]]:
    """drive runs load_process in a spawned process and shows its progress."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=load_process, args=(port, plan, seconds, out), daemon=True)
    child.start()
    lengths = {"warm-up": WARM_S, "/healthz": HEALTH_S, "mixed": seconds}
    tasks: dict[str, Any] = {}
    with Progress(TextColumn("   {task.description:<10}"), BarColumn(),
                  TextColumn("{task.fields[status]}"), console=console) as bar:
        while True:
            try:
                message = out.get(timeout=5)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the load process died (exit {child.exitcode})"
                                       ) from None
                continue
            if message[0] == "progress":
                _, name, elapsed, count, errors = message
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=lengths[name], status="")
                rate = count / elapsed if elapsed else 0.0
                bar.update(tasks[name], completed=min(elapsed, lengths[name]),
                           status=f"{count:,} requests, {rate:,.0f}/s, {errors} errors")
            elif message[0] == "done":
                phases: list[dict[str, Any]] = message[1]
                for name, task in tasks.items():
                    bar.update(task, completed=lengths[name])
                break
            else:
                raise RuntimeError(f"the load process failed: {message[1]}")
    child.join(timeout=30)
    return phases


def stats(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    return {"requests": len(ordered), "rate": len(ordered) / seconds, "p50_ms": pct(0.5),
            "p99_ms": pct(0.99), "errors": errors}


def summarise(phases: list[dict[str, Any]]) -> dict[str, Any]:
    warm, health, mixed = phases
    rows: dict[str, Any] = {}
    for kind in KINDS:
        k = mixed["kinds"].get(kind, {"latencies_ms": [], "errors": 0})
        rows[kind] = stats(k["latencies_ms"], k["errors"], mixed["seconds"])
    rows["all (mixed)"] = stats(
        [x for k in mixed["kinds"].values() for x in k["latencies_ms"]],
        sum(k["errors"] for k in mixed["kinds"].values()), mixed["seconds"])
    h = health["kinds"]["/healthz"]
    rows["/healthz"] = stats(h["latencies_ms"], h["errors"], health["seconds"])
    errors = sum(k["errors"] for p in phases for k in p["kinds"].values())
    written = sum(len(p["kinds"].get("contact write", {"latencies_ms": []})["latencies_ms"])
                  - p["kinds"].get("contact write", {"errors": 0})["errors"]
                  for p in (warm, mixed))
    return {"rows": rows, "seconds": {"health": health["seconds"], "mixed": mixed["seconds"]},
            "ratio": rows["all (mixed)"]["rate"] / rows["/healthz"]["rate"],
            "errors": errors, "contact writes answered 201 (warm-up included)": written,
            "first_errors": [e for p in phases for e in p["first_errors"]][:10]}


def table(results: list[dict[str, Any]]) -> Table:
    out = Table(title=f"habeas serve under mixed load ({CONCURRENCY} connections, loopback)")
    for column, justify in (("engine", "left"), ("requests", "left"), ("count", "right"),
                            ("requests/s", "right"), ("p50 ms", "right"),
                            ("p99 ms", "right"), ("errors", "right")):
        out.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in results:
        for n, (kind, row) in enumerate(r["rows"].items()):
            style = "bold" if kind == "all (mixed)" else None
            out.add_row(r["engine"] if n == 0 else "", kind, f"{row['requests']:,}",
                        f"{row['rate']:,.1f}", f"{row['p50_ms']:.1f}", f"{row['p99_ms']:.1f}",
                        f"[red]{row['errors']}[/]" if row["errors"] else "0", style=style)
        out.add_row("", "mixed ÷ /healthz", "", f"{r['ratio']:.2f}", "", "", "",
                    end_section=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help=f"mixed load per engine (default 30, at most {MAX_SECONDS:.0f})")
    parser.add_argument("--population", type=int, default=None,
                        help="`habeas demo --population` (default: the demo's 14,532)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds: between 0 and {MAX_SECONDS:.0f}")
    info = machine()
    loadavg_start = Path("/proc/loadavg").read_text().strip()
    console.print(f"[bold]bench/load.py[/] on {info['cpus']} CPUs ({info['cpu']}), Python "
                  f"{info['python']}, SQLite {info['sqlite']}, {date.today()}; "
                  f"/proc/loadavg: {loadavg_start}")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    failed = False
    if "postgresql" in engines:
        why = pg_reachable(pg_admin_url())
        if why is not None:
            bang = "!" * 78
            console.print(f"[bold red]{bang}\nNO POSTGRESQL REACHABLE at "
                          f"{make_url(pg_admin_url()).render_as_string(hide_password=True)}"
                          f" ({why}): the PostgreSQL run is SKIPPED\n{bang}")
            engines.remove("postgresql")
            failed = args.engine == "postgresql"
        else:
            with create_engine(pg_admin_url()).connect() as conn:
                info["postgresql"] = conn.execute(text("SHOW server_version")).scalar_one()
    results = []
    started = time.perf_counter()
    for engine_name in engines:
        results.append(run_engine(engine_name, args.seconds, args.population, args.seed))
    console.print()
    if results:
        console.print(table(results))
    for r in results:
        console.print(f"{r['engine']}: load average before the load {r['loadavg']['before']},"
                      f" after {r['loadavg']['after']}")
        if r["errors"]:
            failed = True
            console.print(f"[bold red]{r['engine']}: {r['errors']} request(s) failed[/]; "
                          "the first:")
            for e in r["first_errors"]:
                console.print(f"   {e}")
        for check, (ok, _) in r["checks"].items():
            if not ok:
                failed = True
                console.print(f"[bold red]{r['engine']}: FAILED: {check}[/]")
    loadavg_end = Path("/proc/loadavg").read_text().strip()
    console.print(f"total {time.perf_counter() - started:.0f} s; /proc/loadavg at start "
                  f"{loadavg_start}, at end {loadavg_end}")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": info, "concurrency": CONCURRENCY, "seconds": args.seconds,
            "mix": dict(MIX), "loadavg": {"start": loadavg_start, "end": loadavg_end},
            "results": results}, indent=2, default=str) + "\n")
        console.print(f"results written to {args.json}")
    if failed:
        console.print("[bold red]FAILED[/]")
        sys.exit(1)
    console.print("[bold green]every request answered 2xx; the ledger verifies; "
                  "replay matches[/]")


if __name__ == "__main__":
    main()
