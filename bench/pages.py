"""Page benchmark: the server time of every page on the full demo, as each role that may see it.

    python bench/pages.py                        # builds the demo (~1 min), 1 warm-up + 7 runs
    python bench/pages.py --runs 3               # a quicker look
    python bench/pages.py --database sqlite:////tmp/d/demo.db --data-dir /tmp/d/data
                                                 # reuse a demo built before (it is not changed
                                                 # beyond the reads and sessions pages record)
    python bench/pages.py --json results.json

1. Data (not timed): a fresh SQLite database in a temporary folder, set up with the real
   commands `habeas init --profile bilateral-fee-2025` and `habeas demo` (CECOT and its 14,532
   domestic prisoners, 400 nominations, two flights, a year of custody and billing, the demo
   users, a cosigned checkpoint), with the log key in a temporary HABEAS_DATA_DIR.
2. The application (habeas.app.create_app) runs in this process behind Starlette's
   TestClient: no network, no server process. Each demo user logs in through the real /login
   form (its CSRF cookie, the demo password). Real ids are read from the database: a
   transferred person in custody, their cell, the largest manifest, the largest invoice, an
   inspection, a grievance, an accepted nomination, an event.
3. Every GET page of habeas.web.common.PAGE_ACTIONS is requested as every demo user whose role
   may open it, and the public pages anonymously (/login, /locate empty and with a name
   search, /ledger/verify-instructions, /ledger/checkpoint, a tile and an entry bundle): one
   warm-up, then --runs timed requests. The time is SERVER time: taken by an ASGI wrapper
   around the application, from the request entering the app to its last body byte leaving
   it (routing, middleware, session check, queries, template, read audit writes).

Reported per page and role: the status, the median and the max in ms, the median ÷ the 300 ms
budget (issue 9: every page renders in ≤ 300 ms server time on the demo data). The exit
status is 1 if any median is over the budget or any page answered 5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from _serve import habeas_command
from common import machine
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

BUDGET_MS = 300.0
PROFILE = "bilateral-fee-2025"
console = Console(highlight=False)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Timed:
    """Timed wraps an ASGI app and keeps how long its last HTTP request took, from entering
    the app to sending the last body chunk."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_s = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last_s = time.perf_counter() - started

        await self.app(scope, receive, timed_send)


@dataclass
class Row:
    page: str
    user: str
    url: str
    status: int
    median_ms: float
    max_ms: float
    size_kb: float

    @property
    def ratio(self) -> float:
        return self.median_ms / BUDGET_MS


def build(folder: Path) -> tuple[str, Path]:
    """build: `habeas init --profile` and `habeas demo` on a fresh SQLite file in FOLDER."""
    url = f"sqlite:///{folder / 'pages.db'}"
    env = {**os.environ, "HABEAS_DATABASE_URL": url, "HABEAS_DATA_DIR": str(folder / "data")}
    for args in (("init", "--profile", PROFILE), ("demo",)):
        started = time.perf_counter()
        with console.status(f"habeas {' '.join(args)}"):
            done = subprocess.run([habeas_command(), *args], env=env, capture_output=True,
                                  text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"habeas {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        console.print(f"   habeas {' '.join(args)}: {time.perf_counter() - started:.1f} s")
    return url, folder / "data"


def one(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    if value is None:
        raise RuntimeError(f"the demo has nothing for: {sql}")
    return value


def ids(engine: Engine) -> dict[str, str]:
    """ids: real values for every path parameter, chosen to be the heaviest of their kind."""
    person = one(engine, "SELECT p.public_id FROM prisoner p WHERE p.kind = 'transferee' AND "
                         "p.status = 'in_custody' AND p.legal_custodian = 'USA' "
                         "ORDER BY (SELECT count(*) FROM event e WHERE e.subject = p.public_id)"
                         " DESC, p.public_id LIMIT 1")
    with engine.connect() as conn:
        facility, building, cell, family = conn.execute(text(
            "SELECT facility_code, building_code, cell_code, family_name FROM prisoner "
            "WHERE public_id = :p"), {"p": person}).one()
        seqs = conn.execute(text("SELECT max(seq) FROM event")).scalar_one()
    return {
        "public_id": person, "code": facility, "building": building, "cell": cell,
        "family": family,
        "nomination": one(engine, "SELECT public_id FROM nomination WHERE status = 'accepted' "
                                  "ORDER BY public_id LIMIT 1"),
        "waiting": str(one(engine, "SELECT coalesce((SELECT public_id FROM prisoner WHERE "
                                   "status = 'handed_over' LIMIT 1), :p)".replace(":p",
                                                                                  f"'{person}'"))),
        "manifest_id": one(engine, "SELECT manifest_id FROM manifest_person GROUP BY "
                                   "manifest_id ORDER BY count(*) DESC LIMIT 1"),
        "invoice": str(one(engine, "SELECT seq FROM invoice ORDER BY length(lines) DESC, seq "
                                   "LIMIT 1")),
        "inspection": str(one(engine, "SELECT min(seq) FROM inspection")),
        "grievance": str(one(engine, "SELECT min(seq) FROM grievance")),
        "event": str(seqs // 2),
        "last_event": str(seqs),
    }


def pages(v: dict[str, str]) -> list[tuple[str, str]]:
    """pages: (the page's pattern in PAGE_ACTIONS, or a public page; the URL to request)."""
    q = quote
    return [
        ("/", "/"), ("/log", "/log"), ("/events", f"/events?seq={v['event']}"),
        ("/events/{seq}", f"/events/{v['event']}"),
        ("/nominations", "/nominations"), ("/nominations/import", "/nominations/import"),
        ("/nominations/{public_id}", f"/nominations/{q(v['nomination'])}"),
        ("/holds", "/holds"), ("/facilities", "/facilities"),
        ("/facilities/{code}", f"/facilities/{q(v['code'])}"),
        ("/facilities/{code}/cells/{building}/{cell}",
         f"/facilities/{q(v['code'])}/cells/{q(v['building'])}/{q(v['cell'])}"),
        ("/transfers", "/transfers"),
        ("/transfers/{manifest_id}", f"/transfers/{q(v['manifest_id'])}"),
        ("/people/{public_id}/intake", f"/people/{q(v['waiting'])}/intake"),
        ("/people/{public_id}", f"/people/{q(v['public_id'])}"),
        ("/integrity", "/integrity"),
        ("/inspections", "/inspections"), ("/inspections/{seq}", f"/inspections/{v['inspection']}"),
        ("/grievances", "/grievances"), ("/grievances/{seq}", f"/grievances/{v['grievance']}"),
        ("/billing/invoices", "/billing/invoices"),
        ("/billing/invoices/{seq}", f"/billing/invoices/{v['invoice']}"),
        ("/billing/invoices/{seq}.pdf", f"/billing/invoices/{v['invoice']}.pdf"),
        ("/billing/sustainability", "/billing/sustainability"),
        ("/notifications", "/notifications"), ("/notifications/mail", "/notifications/mail"),
        ("/search", "/search?" + urlencode({"q": v["family"]})),
    ]


PUBLIC = [
    ("/login", "/login"),
    ("/locate", "/locate"),
    ("/locate (name search)", "/locate?" + urlencode({
        "by": "name", "family_name": "HERNANDEZ", "given_names": "JOSE",
        "country_of_birth": "SLV", "date_of_birth": ""})),
    ("/ledger/verify-instructions", "/ledger/verify-instructions"),
    ("/ledger/checkpoint", "/ledger/checkpoint"),
    ("/ledger/tile/0/000", "/ledger/tile/0/000"),
    ("/ledger/tile/entries/000", "/ledger/tile/entries/000"),
]


def log_in(client: Any, username: str, password: str) -> None:
    """log_in goes through the real login form: its page sets the CSRF cookie."""
    client.cookies.clear()
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf": csrf, "next": ""}, follow_redirects=False)
    if answer.status_code != 303:
        raise RuntimeError(f"logging in as {username}: {answer.status_code}")


def measure(client: Any, timed: Timed, url: str, runs: int) -> tuple[int, list[float], int]:
    client.get(url, follow_redirects=False)  # warm-up
    times, status, size = [], 0, 0
    for _ in range(runs):
        answer = client.get(url, follow_redirects=False)
        status, size = answer.status_code, len(answer.content)
        times.append(timed.last_s * 1000)
    return status, times, size


def run(url: str, data_dir: Path, runs: int) -> list[Row]:
    os.environ.update({"HABEAS_DATABASE_URL": url, "HABEAS_DATA_DIR": str(data_dir),
                       "HABEAS_LOCATOR_RATE_LIMIT": "0", "HABEAS_NOTIFY_WORKER": "false"})
    from fastapi.testclient import TestClient

    from habeas.app import create_app
    from habeas.auth.permissions import allowed
    from habeas.config import get_settings
    from habeas.db import make_engine
    from habeas.demo import DEMO_PASSWORD, DEMO_USERS
    from habeas.web.common import PAGE_ACTIONS

    get_settings.cache_clear()
    engine = make_engine(url)
    values = ids(engine)
    console.print(f"   ids: {values}")
    timed = Timed(create_app(engine))
    client = TestClient(timed, base_url="http://127.0.0.1")
    missing = set(PAGE_ACTIONS) - {pattern for pattern, _ in pages(values)}
    if missing:
        raise RuntimeError(f"bench/pages.py does not know these pages yet: {sorted(missing)}")
    rows: list[Row] = []
    client.cookies.clear()
    for label, path in PUBLIC:
        status, times, size = measure(client, timed, path, runs)
        rows.append(Row(label, "anonymous", path, status, statistics.median(times),
                        max(times), size / 1024))
    for user in DEMO_USERS:
        log_in(client, user.username, DEMO_PASSWORD)
        for pattern, path in pages(values):
            if not allowed(user.role, PAGE_ACTIONS[pattern]):
                continue
            status, times, size = measure(client, timed, path, runs)
            rows.append(Row(pattern, user.username, path, status, statistics.median(times),
                            max(times), size / 1024))
            console.print(f"   {user.username:<10} {path:<60} {status} "
                          f"{rows[-1].median_ms:8.1f} ms", highlight=False)
    engine.dispose()
    return rows


def table(rows: list[Row], runs: int) -> Table:
    out = Table(title=f"Server time per page on the demo (median and max of {runs} runs, "
                      f"after 1 warm-up; budget {BUDGET_MS:.0f} ms)")
    for column, justify in (("page", "left"), ("as", "left"), ("status", "right"),
                            ("median ms", "right"), ("max ms", "right"), ("÷ budget", "right"),
                            ("KiB", "right")):
        out.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        over = r.median_ms > BUDGET_MS or r.status >= 500
        out.add_row(r.page, r.user, str(r.status), f"{r.median_ms:.1f}", f"{r.max_ms:.1f}",
                    f"{r.ratio:.2f}", f"{r.size_kb:.0f}", style="bold red" if over else None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per page (default 7)")
    parser.add_argument("--database", help="a database already holding the demo (not built)")
    parser.add_argument("--data-dir", type=Path, help="its HABEAS_DATA_DIR (with --database)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    if (args.database is None) != (args.data_dir is None):
        parser.error("--database and --data-dir go together")
    info = machine()
    loadavg_start = Path("/proc/loadavg").read_text().strip()
    console.print(f"[bold]bench/pages.py[/] on {info['cpus']} CPUs ({info['cpu']}), Python "
                  f"{info['python']}, SQLite {info['sqlite']}, {date.today()}; "
                  f"/proc/loadavg: {loadavg_start}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="habeas-pages-") as tmp:
        if args.database is None:
            console.print("[bold]1. data[/] (not timed)")
            url, data_dir = build(Path(tmp))
        else:
            url, data_dir = args.database, args.data_dir
        console.print(f"[bold]2. pages[/] ({args.runs} runs each after 1 warm-up)")
        rows = run(url, data_dir, args.runs)
    loadavg_end = Path("/proc/loadavg").read_text().strip()
    console.print(table(rows, args.runs))
    over = [r for r in rows if r.median_ms > BUDGET_MS]
    failed = [r for r in rows if r.status >= 500]
    console.print(f"total {time.perf_counter() - started:.0f} s; /proc/loadavg at start "
                  f"{loadavg_start}, at end {loadavg_end}")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": info, "runs": args.runs, "budget_ms": BUDGET_MS,
            "loadavg": {"start": loadavg_start, "end": loadavg_end},
            "rows": [asdict(r) | {"ratio": r.ratio} for r in rows]}, indent=2) + "\n")
        console.print(f"results written to {args.json}")
    for r in failed:
        console.print(f"[bold red]{r.page} as {r.user}: {r.status}[/]")
    if over or failed:
        console.print(f"[bold red]{len(over)} page(s) over the {BUDGET_MS:.0f} ms budget, "
                      f"{len(failed)} failed[/]")
        sys.exit(1)
    console.print(f"[bold green]every page's median is within {BUDGET_MS:.0f} ms[/]")


if __name__ == "__main__":
    main()
