"""Crash safety (issue 10): SIGKILL in the middle of the long writes, restart, finish.

Each scenario runs a real `habeas` process that kills itself with SIGKILL at a
deterministic point (HABEAS_CRASH_AFTER, habeas.faults) — after some batches
committed and with the next one written but not committed — then shows: nothing
half-written (whole batches only, events and ledger hashes matching the rows),
`habeas replay --check` clean, `habeas ledger verify` OK and consistent with the
checkpoint signed before the crash, and the same command run again completes
the job with the state an uninterrupted run gives. The killed runs (and the server) are
real processes; the checks and the reruns run the same commands in the test's process.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from habeas.billing.models import Invoice
from habeas.db import make_engine, read_session
from habeas.holds.models import HoldRecord
from habeas.ledger import merkle
from habeas.ledger.models import Event, LedgerHash, LogHead
from habeas.nominations.models import NominationRecord
from habeas.nominations.synthetic import nominations
from habeas.transfers.models import Manifest
from tests.factories import a_token
from tests.in_process import run_cli
from tests.transfers.factories import DEPARTS, accepted_people, approved, handed_over

# crash safety: durability of a killed process's commits (docs/testing.md)
pytestmark = [pytest.mark.both_engines, pytest.mark.heavy]

AS_OF = "2025-03-01"
CHUNK = 100  # rows per transaction here (Settings.import_chunk; 500 by default)
ROWS = 400  # four chunks: the kill lands in the third
KILLED = -signal.SIGKILL


class Habeas:
    """Habeas runs the CLI on one database and data directory, as an operator would."""

    def __init__(self, url: str, data: Path) -> None:
        self.url, self.data = url, data
        self.checks = 0

    def env(self, crash: str | None = None) -> dict[str, str]:
        env = {**os.environ, "HABEAS_DATABASE_URL": self.url, "HABEAS_DATA_DIR": str(self.data),
               "HABEAS_IMPORT_CHUNK": str(CHUNK), "COLUMNS": "200"}
        env.pop("HABEAS_CRASH_AFTER", None)
        if crash is not None:
            env["HABEAS_CRASH_AFTER"] = crash
        return env

    def __call__(self, *args: str, crash: str | None = None
                 ) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "habeas", *args], capture_output=True,
                              text=True, env=self.env(crash), timeout=600, check=False)

    def ok(self, *args: str) -> str:
        """ok runs a command that must succeed in this process (tests/in_process.py): the
        setting up, the checks and the reruns; only the killed runs, the refused rerun and
        the server are real processes."""
        env = self.env()
        result = run_cli(*args, env={k: env[k] for k in (
            "HABEAS_DATABASE_URL", "HABEAS_DATA_DIR", "HABEAS_IMPORT_CHUNK")})
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def killed(self, *args: str, crash: str) -> None:
        result = self(*args, crash=crash)
        assert result.returncode == KILLED, (args, result.returncode, result.stderr)

    def ledger_verifies(self) -> None:
        """ledger_verifies exports the log and checks it from scratch, and against the
        checkpoint trusted at the last check (so history was not rewritten)."""
        self.checks += 1
        folder = self.data.parent / f"export-{self.checks}"
        self.ok("ledger", "export", str(folder))
        vkey = (self.data / "log.vkey").read_text().strip()
        self.ok("ledger", "verify", str(folder), "--key", vkey,
                "--state", str(self.data.parent / "trusted"))

    def clean(self) -> None:
        self.ok("replay", "--check")
        self.ledger_verifies()


def whole(engine: Engine) -> dict[str, Any]:
    """whole is the state that must match an uninterrupted run, after checking that the
    log, its stored hashes and its head agree (nothing half-appended)."""
    with read_session(engine) as s:
        size = s.scalar(select(LogHead.size))
        events = s.scalar(select(func.count()).select_from(Event))
        assert size == events
        assert s.scalar(select(func.max(Event.seq))) == (size - 1 if size else None)
        assert s.scalar(select(func.count()).select_from(LedgerHash)) == (
            merkle.stored_hash_count(size) if size else 0)
        by_type = dict(s.execute(select(Event.type, func.count()).group_by(Event.type)).all())
        noms = sorted(s.execute(select(NominationRecord.external_ref, NominationRecord.decision,
                                       NominationRecord.status)).all())
        holds = sorted(s.scalars(select(HoldRecord.hold_ref)).all())
        invoices = sorted(s.execute(select(Invoice.number, Invoice.total_minor)).all())
    state = {"events": by_type, "nominations": [list(n) for n in noms], "holds": holds,
             "invoices": [list(i) for i in invoices]}
    return {**state, "digest": hashlib.sha256(json.dumps(state, sort_keys=True).encode())
            .hexdigest()}


def counts(engine: Engine) -> tuple[int, int, int]:
    with read_session(engine) as s:
        return (s.scalar(select(func.count()).select_from(NominationRecord)) or 0,
                s.scalar(select(func.count()).select_from(Event).where(
                    Event.type == "nomination.received")) or 0,
                s.scalar(select(func.count()).select_from(Event).where(
                    Event.type == "nomination.screened")) or 0)


def import_file(tmp: Path) -> Path:
    path = tmp / "nominations.jsonl"
    if not path.exists():
        people = nominations(ROWS, seed=10, as_of=date(2025, 3, 1))
        path.write_text("".join(json.dumps(p) + "\n" for p in people))
    return path


ORDERS = 20


def orders_file(tmp: Path) -> Path:
    """orders_file: ORDERS court orders, each barring one nominated person's removal; each
    appends its own event and the person's re-screening, in its own transaction."""
    people = [json.loads(line) for line in import_file(tmp).read_text().splitlines()]
    path = tmp / "orders.jsonl"
    path.write_text("".join(json.dumps({
        "hold_ref": f"1:25-cv-{i:05d}", "court": "D.D.C.", "kind": "withholding_of_removal",
        "issued": "2019-10-10", "expires": None, "scope": {"external_ref": p["external_ref"]},
        "bars_removal_to": ["SLV"]}) + "\n" for i, p in enumerate(people[:ORDERS])))
    return path


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """uninterrupted is the state after each job ran without a crash (SQLite)."""
    tmp = tmp_path_factory.mktemp("reference")
    run = Habeas(f"sqlite:///{tmp / 'reference.db'}", tmp / "data")
    run.ok("init", "--profile", "bilateral-fee-2025")
    engine = make_engine(run.url)
    try:
        run.ok("nominations", "import", str(import_file(tmp)), "--as-of", AS_OF, "--json")
        imported = whole(engine)
        run.ok("holds", "import", str(orders_file(tmp)), "--as-of", AS_OF, "--json")
        return {"import": imported, "holds": whole(engine)}
    finally:
        engine.dispose()


@pytest.fixture
def habeas(database_url: str, tmp_path: Path) -> Habeas:
    return Habeas(database_url, tmp_path / "data")


class TestBulkImport:
    def test_a_kill_mid_import_keeps_whole_chunks_and_a_rerun_finishes(
            self, habeas: Habeas, engine: Engine, tmp_path: Path,
            uninterrupted: dict[str, dict[str, Any]]) -> None:
        habeas.ok("init", "--profile", "bilateral-fee-2025")
        habeas.ledger_verifies()
        path = import_file(tmp_path)
        args = ("nominations", "import", str(path), "--as-of", AS_OF, "--json")
        # Killed with chunk 3 recorded but not committed: chunks 1 and 2 stay, whole.
        habeas.killed(*args, crash="nominations.import:3")
        assert counts(engine) == (2 * CHUNK, 2 * CHUNK, 2 * CHUNK)
        habeas.clean()

        report = json.loads(habeas.ok(*args))
        assert report["summary"]["unchanged"] == 2 * CHUNK
        assert counts(engine) == (ROWS, ROWS, ROWS)
        habeas.clean()
        assert whole(engine)["digest"] == uninterrupted["import"]["digest"]
        # Running it once more changes nothing.
        again = json.loads(habeas.ok(*args))
        assert again["summary"]["unchanged"] == ROWS
        assert whole(engine)["digest"] == uninterrupted["import"]["digest"]


class TestLedgerAppend:
    def test_a_kill_mid_append_leaves_the_log_whole_and_a_rerun_finishes(
            self, habeas: Habeas, engine: Engine, tmp_path: Path,
            uninterrupted: dict[str, dict[str, Any]]) -> None:
        habeas.ok("init", "--profile", "bilateral-fee-2025")
        habeas.ok("nominations", "import", str(import_file(tmp_path)), "--as-of", AS_OF)
        habeas.ledger_verifies()  # the checkpoint every later check must be consistent with
        with read_session(engine) as s:
            start = s.scalar(select(LogHead.size)) or 0
        args = ("holds", "import", str(orders_file(tmp_path)), "--as-of", AS_OF, "--json")
        # Each order appends its event and the re-screening of its person; the kill
        # lands once ORDERS + 1 events were appended: some orders in, one in flight.
        habeas.killed(*args, crash=f"events:{ORDERS + 1}")
        with read_session(engine) as s:
            size = s.scalar(select(LogHead.size)) or 0
            registered = s.scalar(select(func.count()).select_from(HoldRecord))
        assert start < size and 0 < (registered or 0) < ORDERS
        whole(engine)
        habeas.clean()

        outcomes = json.loads(habeas.ok(*args))["results"]
        assert [r["outcome"] for r in outcomes].count("unchanged") == registered
        assert [r["outcome"] for r in outcomes].count("registered") == ORDERS - registered
        habeas.clean()
        assert whole(engine)["digest"] == uninterrupted["holds"]["digest"]


class TestInvoiceRun:
    def test_a_kill_mid_issue_records_nothing_and_a_rerun_issues_it_once(
            self, habeas: Habeas, demo_engine: Engine) -> None:
        habeas.ok("init", "--profile", "bilateral-fee-2025")  # the log key; demo unchanged
        people = accepted_people(demo_engine, "C-1", "C-2")
        handed_over(demo_engine, people)
        habeas.ledger_verifies()
        before = whole(demo_engine)
        preview = json.loads(habeas.ok("billing", "invoice", "--period", "2025-04", "--json"))
        args = ("billing", "invoice", "--period", "2025-04", "--issue", "--today",
                "2025-05-02", "--json")
        habeas.killed(*args, crash="billing.invoice:1")
        assert whole(demo_engine) == before  # no invoice, no event, no number used
        habeas.clean()

        issued = json.loads(habeas.ok(*args))
        assert issued["number"] == "USA-SLV-2025/0001"  # gapless: the lost one used none
        assert issued["lines"] == preview["lines"] and issued["total_minor"] > 0
        assert issued["total_minor"] == preview["total_minor"]
        # Run again (an operator unsure whether it went through): refused, nothing doubled.
        again = habeas(*args)
        assert again.returncode != 0 and "already invoiced" in again.stderr
        after = whole(demo_engine)
        assert after["invoices"] == [["USA-SLV-2025/0001", issued["total_minor"]]]
        assert after["events"]["invoice.issued"] == 1
        habeas.clean()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(habeas: Habeas, crash: str | None = None
            ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """serving runs `habeas serve` on a free port until the block ends (or it dies)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "habeas", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=habeas.env(crash), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("habeas serve did not start") from None
            time.sleep(0.2)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def post(url: str, body: Any, token: str, key: str) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}",
                                              "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.read(), _lower(response.headers.items())
    except urllib.error.HTTPError as error:
        return error.code, error.read(), _lower(error.headers.items())


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


class TestManifestDeparture:
    def test_a_kill_before_or_after_the_commit_and_the_retry_departs_once(
            self, habeas: Habeas, demo_engine: Engine) -> None:
        habeas.ok("init", "--profile", "bilateral-fee-2025")
        manifest = approved(demo_engine, accepted_people(demo_engine, "D-1", "D-2"))
        token = a_token(demo_engine, "us.officer")
        habeas.ledger_verifies()
        before = whole(demo_engine)
        url = f"/api/v1/transfers/{manifest}/depart"
        body = {"departed_at": DEPARTS}

        def departures() -> int:
            with read_session(demo_engine) as s:
                return s.scalar(select(func.count()).select_from(Event).where(
                    Event.type == "transfer.departed")) or 0

        def status() -> str:
            with read_session(demo_engine) as s:
                return s.get_one(Manifest, manifest).status

        # 1. Killed with the departure recorded but not committed: nothing happened.
        with serving(habeas, crash="transfers.depart:1") as (base, process):
            with pytest.raises(OSError):
                post(base + url, body, token, "depart-1")
            assert process.wait(timeout=30) == KILLED
        assert status() == "approved" and whole(demo_engine) == before
        habeas.clean()

        # 2. Killed after the commit, before the answer: departed, with the answer stored.
        with serving(habeas, crash="idempotency.stored:1") as (base, process):
            with pytest.raises(OSError):
                post(base + url, body, token, "depart-1")
            assert process.wait(timeout=30) == KILLED
        assert status() == "departed" and departures() == 1
        habeas.clean()

        # 3. The client retries with its key: the stored answer, nothing run again.
        with serving(habeas) as (base, _):
            code, answer, headers = post(base + url, body, token, "depart-1")
            assert code == 200 and headers.get("idempotent-replayed") == "true", answer
            assert json.loads(answer)["manifest"]["status"] == "departed"
            again = post(base + url, body, token, "depart-1")
            assert again[:2] == (code, answer)
            changed = post(base + url, {"departed_at": "2025-04-10T14:00:00+00:00"}, token,
                           "depart-1")
            assert changed[0] == 422
            assert json.loads(changed[1])["error"]["details"]["field"] == "Idempotency-Key"
        assert departures() == 1
        habeas.clean()
