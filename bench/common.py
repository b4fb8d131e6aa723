"""Helpers the benchmarks share: output, machine facts, and reading cProfile call edges."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from pathlib import Path
from typing import Any

Key = tuple[str, int, str]
Spec = tuple[str, str]  # (file path suffix, function name)


def say(text: str = "") -> None:
    print(text, flush=True)


def matches(key: Key, spec: Spec) -> bool:
    filename, _, name = key
    return name == spec[1] and filename.replace("\\", "/").endswith(spec[0])


def edge(stats: dict[Key, Any], caller: Spec, callee: Spec) -> float:
    """edge is the cumulative time spent in CALLEE when called directly from CALLER."""
    total = 0.0
    for key, (_, _, _, _, callers) in stats.items():
        if matches(key, callee):
            total += sum(v[3] for ck, v in callers.items() if matches(ck, caller))
    return total


def cumtime(stats: dict[Key, Any], spec: Spec) -> float:
    return sum(v[3] for key, v in stats.items() if matches(key, spec))


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
            "loadavg_1m_at_start": os.getloadavg()[0]}


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def finish(results: dict[str, Any], info: dict[str, Any], json_path: Any) -> None:
    """finish prints the run's total and the machine's load, and writes --json if asked."""
    results["machine"]["loadavg_1m_at_end"] = os.getloadavg()[0]
    say(f"\ntotal {results['total_seconds']:.0f} s; 1-minute load average"
        f" {info['loadavg_1m_at_start']:.2f} at start, {info['loadavg_1m_at_end']:.2f} at end")
    if json_path:
        json_path.write_text(json.dumps(results, indent=2) + "\n")
        say(f"results written to {json_path}")
