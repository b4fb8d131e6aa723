"""`habeas nominations import` as an operator runs it, including a kill mid-import."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from habeas import replay
from habeas.db import make_engine, read_session
from habeas.ledger.models import Event
from habeas.nominations.csvfile import write_nominations
from habeas.nominations.models import NominationRecord
from habeas.nominations.synthetic import nominations
from tests.test_cli import habeas as in_process

pytestmark = pytest.mark.both_engines  # crash safety: an import killed midway (docs/testing.md)

AS_OF = date(2025, 3, 1)
# The killed import: four chunks of 500, so the kill (as soon as the first chunk is
# committed) lands with chunks still to come.
COUNT = 2000


def habeas(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """habeas runs the command in this process (tests/test_cli.py's habeas): only the kill
    needs a real process, and the nominations group has its real-process smoke test there."""
    return in_process(*args, url=url, data_dir=tmp / "data")


def write_jsonl(path: Path, records: list[dict[str, object]], bad: dict[int, str]) -> Path:
    lines = [json.dumps(r) for r in records]
    for index, text in bad.items():
        lines.insert(index, text)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jsonl_and_csv_import_with_bad_lines(database_url: str, tmp_path: Path) -> None:
    assert habeas(database_url, tmp_path, "init", "--profile",
                  "bilateral-fee-2025").returncode == 0
    people = nominations(30, seed=7, as_of=AS_OF)
    jsonl = write_jsonl(tmp_path / "n.jsonl", people[:20],
                        {3: "{broken", 7: json.dumps({"external_ref": "X"})})
    result = habeas(database_url, tmp_path, "nominations", "import", str(jsonl),
                    "--as-of", "2025-03-01", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["rows"] == 22 and report["summary"]["invalid"] == 2
    bad = [r for r in report["results"] if r["decision"] == "invalid"]
    assert [r["line"] for r in bad] == [4, 8]
    assert bad[1]["errors"][0]["field"] == "person"

    csv_file = tmp_path / "n.csv"
    csv_file.write_text(write_nominations(people[15:30]))
    again = json.loads(habeas(database_url, tmp_path, "nominations", "import", str(csv_file),
                              "--as-of", "2025-03-01", "--json").stdout)
    assert again["summary"]["unchanged"] == 5 and again["summary"]["rows"] == 15
    text = habeas(database_url, tmp_path, "nominations", "import", str(jsonl), "--as-of",
                  "2025-03-01")
    assert text.stdout.startswith("rows 22, eligible 0, ineligible 0, review 0, invalid 2,"
                                  " unchanged 20")
    assert "line 4 ?: invalid: : not JSON" in text.stdout
    missing = habeas(database_url, tmp_path, "nominations", "import", str(tmp_path / "no"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


@pytest.mark.heavy
def test_a_kill_mid_import_leaves_nothing_half_written(database_url: str,
                                                       tmp_path: Path) -> None:
    assert habeas(database_url, tmp_path, "init", "--profile",
                  "bilateral-fee-2025").returncode == 0
    people = nominations(COUNT, seed=11, as_of=AS_OF)
    path = write_jsonl(tmp_path / "big.jsonl", people, {})
    env = {**os.environ, "HABEAS_DATABASE_URL": database_url,
           "HABEAS_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [sys.executable, "-m", "habeas", "nominations", "import", str(path), "--as-of",
         "2025-03-01", "--json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = make_engine(database_url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with read_session(engine) as s:
            if (s.scalar(select(func.count()).select_from(NominationRecord)) or 0) > 0:
                break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with read_session(engine) as s:
        done = s.scalar(select(func.count()).select_from(NominationRecord)) or 0
        received = s.scalar(select(func.count()).select_from(Event).where(
            Event.type == "nomination.received")) or 0
    assert 0 < done < COUNT, "the kill should land mid-import"
    assert done == received and done % 500 == 0  # whole chunks only
    assert replay.check(engine).clean

    finished = json.loads(habeas(database_url, tmp_path, "nominations", "import", str(path),
                                 "--as-of", "2025-03-01", "--json").stdout)
    assert finished["summary"]["unchanged"] == done
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(NominationRecord)) == COUNT
    assert replay.check(engine).clean
    engine.dispose()


def test_holds_import_registers_orders_and_reports_bad_lines(database_url: str,
                                                             tmp_path: Path) -> None:
    assert habeas(database_url, tmp_path, "init", "--profile",
                  "bilateral-fee-2025").returncode == 0
    people = nominations(40, seed=3, as_of=AS_OF)
    venezuelans = sum(p["person"]["nationalities"] == ["VEN"] for p in people)  # type: ignore[index]
    assert venezuelans > 0
    habeas(database_url, tmp_path, "nominations", "import",
           str(write_jsonl(tmp_path / "n.jsonl", people, {})), "--as-of", "2025-03-01")
    orders = tmp_path / "orders.jsonl"
    orders.write_text("\n".join([
        json.dumps({"hold_ref": "1:25-cv-00766-TRO", "court": "D.D.C.", "kind": "tro",
                    "issued": "2025-02-28", "expires": None, "scope": {"nationality": "VEN"},
                    "bars_removal_to": "any"}),
        json.dumps({"hold_ref": "bad", "court": "D.D.C.", "kind": "tro",
                    "issued": "2025-02-30", "scope": {"nationality": "VEN"},
                    "bars_removal_to": "any"}),
        "not json"]) + "\n")
    result = habeas(database_url, tmp_path, "holds", "import", str(orders), "--as-of",
                    "2025-03-01", "--json")
    assert result.returncode == 0, result.stderr
    outcomes = json.loads(result.stdout)["results"]
    assert outcomes[0] == {"line": 1, "hold_ref": "1:25-cv-00766-TRO", "outcome": "registered",
                           "rescreened": venezuelans}
    assert outcomes[1]["outcome"] == "invalid" and outcomes[1]["errors"][0]["field"] == "issued"
    assert outcomes[2]["outcome"] == "invalid"
