"""Housing assignment benchmark: habeas.facilities.assign at scale and against CP-SAT.

    python bench/assign.py             # full run (about 75 s on 2 cores; CP-SAT gets 60 s)
    python bench/assign.py --quick     # about 10 s: smaller sizes, CP-SAT gets 5 s
    python bench/assign.py --json results.json

1. Scale: 40,000 arrivals into an empty facility of 256 cells (8 buildings x 32 cells,
   max capacity 200; 6 buildings designated for men and 2 for women through Cell.sex).
   8 affiliation groups, all mutually rival at CELL level; 15 % of men and 80 % of
   women unaffiliated; 20 % untried; 2,000 non-association pairs, CELL or BUILDING
   level. assign is timed (best of 3), its result audited (habeas.facilities.assign.audit
   must find 0 violations), and its highest cell utilisation printed beside the
   lower bound (arrivals of each sex over the capacity designated for that sex).
2. Quality: 2,000 arrivals into 32 cells (4 buildings x 8 cells, max capacity 100;
   3 buildings for men, 1 for women), the same mix with 100 non-association pairs,
   against the limit: an OR-Tools CP-SAT model of the same constraints minimising the
   highest utilisation (60 s, 2 workers; it must place everyone when assign did, else
   it maximises the number placed first). Its solution is audited too.

CP-SAT is the optional `bench` extra (pip install ortools); without it, part 2 is
skipped with a message. Every figure is measured, never asserted: the output states
whether each goal is met (40k in <= 2 s with 0 violations; within 2 % of CP-SAT).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import finish, machine, say, yes

from habeas.facilities.assign import (
    Cell,
    Level,
    NonAssociation,
    Person,
    Plan,
    Rules,
    assign,
    audit,
)

GOAL_SECONDS = 2.0
GOAL_GAP_PCT = 2.0
GROUPS = ["MS-13", "18S", "18R", "TdA", "MM", "BMS", "LC", "VL"]

perf = time.perf_counter


@dataclass(frozen=True)
class Instance:
    label: str
    arrivals: list[Person]
    cells: list[Cell]
    rules: Rules


def make_instance(n: int, buildings: int, per_building: int, capacity: int, pairs: int,
                  groups: int, seed: int) -> Instance:
    """make_instance is N arrivals and an empty facility of BUILDINGS x PER_BUILDING cells,
    the last quarter of the buildings for women (who are 20 % of arrivals, 80 % of them
    unaffiliated, the others in the first two groups); GROUPS groups, all rivals."""
    rng = random.Random(seed)
    women_buildings = buildings // 4
    cells = [Cell(f"CECOT/M{b + 1}/C{c + 1:03d}", f"CECOT/M{b + 1}", capacity,
                  "F" if b >= buildings - women_buildings else "M")
             for b in range(buildings) for c in range(per_building)]
    names = GROUPS[:groups]
    arrivals = []
    for i in range(n):
        sex = "F" if rng.random() < 0.2 else "M"
        unaffiliated = rng.random() < (0.8 if sex == "F" else 0.15)
        group = rng.choice(names if sex == "M" else names[:2])
        arrivals.append(Person(f"P{i:06d}", sex, "untried" if rng.random() < 0.2 else "convicted",
                               None if unaffiliated else group))
    rng.shuffle(arrivals)  # input order must not matter
    ids = [p.id for p in arrivals]
    levels: list[Level] = ["CELL", "BUILDING"]
    nas = tuple(NonAssociation(a, b, rng.choice(levels))
                for a, b in (rng.sample(ids, 2) for _ in range(pairs)))
    rivalries = frozenset(frozenset({a, b}) for a in names for b in names if a < b)
    label = (f"{n:,} arrivals into {len(cells)} cells ({buildings} buildings x {per_building},"
             f" max capacity {capacity}), {groups} rival groups, {pairs:,} non-associations")
    return Instance(label, arrivals, cells, Rules(rivalries, "CELL", nas))


def housed(inst: Instance, placements: dict[str, str]) -> list[Cell]:
    """housed is the facility after PLACEMENTS, for audit."""
    into: dict[str, list[Person]] = {}
    by_id = {p.id: p for p in inst.arrivals}
    for pid, key in placements.items():
        into.setdefault(key, []).append(by_id[pid])
    return [Cell(c.key, c.building, c.max_capacity, c.sex, c.active,
                 c.occupants + tuple(into.get(c.key, ()))) for c in inst.cells]


def utilisation(cells: list[Cell]) -> float:
    return max((len(c.occupants) / c.max_capacity for c in cells if c.active), default=0.0)


def lower_bound(inst: Instance) -> float:
    """lower_bound: each sex's arrivals over the capacity of the cells designated for it."""
    bound = 0.0
    for sex in sorted({p.sex for p in inst.arrivals}):
        room = sum(c.max_capacity for c in inst.cells if c.sex in (None, sex))
        bound = max(bound, sum(p.sex == sex for p in inst.arrivals) / room)
    return bound


def run_engine(inst: Instance, repeats: int) -> dict[str, Any]:
    seconds = []
    plan: Plan | None = None
    for _ in range(repeats):
        t0 = perf()
        plan = assign(inst.arrivals, inst.cells, inst.rules)
        seconds.append(perf() - t0)
    assert plan is not None
    after = housed(inst, plan.placements)
    t0 = perf()
    violations = audit(after, inst.rules)
    audit_s = perf() - t0
    again = assign(list(reversed(inst.arrivals)), list(reversed(inst.cells)), inst.rules)
    return {"seconds": min(seconds), "runs": seconds, "utilisation": plan.max_utilisation,
            "check_utilisation": utilisation(after), "placed": len(plan.placements),
            "unplaced": len(plan.unplaced), "violations": len(violations),
            "audit_seconds": audit_s, "deterministic": again == plan, "cells": len(inst.cells),
            "lower_bound": lower_bound(inst)}


def run_cpsat(inst: Instance, seconds: float, require_all: bool) -> dict[str, Any]:
    """run_cpsat solves the same instance with CP-SAT: boolean x[p,c]; per-cell sex, status
    and group indicators; non-associations; T >= count_c * SCALE / max_c, minimised."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    cells = [c for c in inst.cells if c.active and c.max_capacity > 0]
    scale = math.lcm(*{c.max_capacity for c in cells})
    scale = scale if scale <= 1_000_000 else 10_000
    rivals: dict[str, set[str]] = {}
    for pair in inst.rules.rivalries:
        for g in pair:
            rivals.setdefault(g, set()).update(pair - {g})
    x: dict[tuple[str, int], Any] = {}
    sex_of: dict[tuple[int, str], Any] = {}
    status_of: dict[tuple[int, str], Any] = {}
    group_of: dict[tuple[int, str], Any] = {}
    per_person: dict[str, list[Any]] = {}
    for p in inst.arrivals:
        for ci, c in enumerate(cells):
            if c.sex not in (None, p.sex) or p.minor:
                continue
            v = model.new_bool_var(f"x_{p.id}_{ci}")
            x[p.id, ci] = v
            per_person.setdefault(p.id, []).append(v)
            for table, value in ((sex_of, p.sex), (status_of, p.status)):
                if (ci, value) not in table:
                    table[ci, value] = model.new_bool_var(f"y_{ci}_{value}")
                model.add_implication(v, table[ci, value])
            if p.group in rivals:
                if (ci, p.group) not in group_of:
                    group_of[ci, p.group] = model.new_bool_var(f"g_{ci}_{p.group}")
                model.add_implication(v, group_of[ci, p.group])
    for table in (sex_of, status_of):
        for ci in range(len(cells)):
            model.add_at_most_one(v for (cj, _), v in table.items() if cj == ci)
    for ci in range(len(cells)):
        for a in sorted(rivals):
            for b in sorted(rivals[a]):
                if a < b and (ci, a) in group_of and (ci, b) in group_of:
                    model.add_bool_or([group_of[ci, a].negated(), group_of[ci, b].negated()])
    for na in inst.rules.non_associations:
        if na.level == "CELL":
            for ci in range(len(cells)):
                if (na.a, ci) in x and (na.b, ci) in x:
                    model.add_at_most_one([x[na.a, ci], x[na.b, ci]])
        else:
            buildings = ({c.building for c in cells} if na.level == "BUILDING" else {"*"})
            for b in buildings:
                both = [x[pid, ci] for pid in (na.a, na.b) for ci, c in enumerate(cells)
                        if (pid, ci) in x and (b == "*" or c.building == b)]
                model.add_at_most_one(both)
    placed = []
    for p in inst.arrivals:
        vs = per_person.get(p.id, [])
        if require_all:
            model.add_exactly_one(vs)
        else:
            model.add_at_most_one(vs)
            placed.extend(vs)
    top = model.new_int_var(0, scale, "T")
    for ci, c in enumerate(cells):
        load = sum(v for (pid, cj), v in x.items() if cj == ci) + len(c.occupants)
        model.add(load <= c.max_capacity)
        model.add(load * scale <= top * c.max_capacity)
    weight = scale + 1  # one more person placed outweighs any utilisation
    model.minimize(top - weight * sum(placed) if placed else top)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    t0 = perf()
    status = solver.solve(model)
    wall = perf() - t0
    result: dict[str, Any] = {"status": solver.status_name(status), "seconds": wall,
                              "variables": len(x), "scale": scale}
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return result
    placements = {pid: cells[ci].key for (pid, ci), v in x.items() if solver.value(v)}
    after = housed(inst, placements)
    result.update({"utilisation": utilisation(after), "placed": len(placements),
                   "bound": solver.best_objective_bound / scale if require_all else None,
                   "violations": len(audit(after, inst.rules))})
    return result


def bound(cpsat: dict[str, Any]) -> str:
    return "n/a" if cpsat.get("bound") is None else f"{cpsat['bound']:.4f}"


def report(results: dict[str, Any]) -> None:
    rows = [("measurement", "assign", "limit", "ratio", "goal", "met")]
    s = results["scale"]
    rows.append((
        f"{s['placed'] + s['unplaced']:,} arrivals, {s['cells']} cells",
        f"{s['seconds']:.3f} s, max util {s['utilisation']:.4f}, {s['violations']} violations,"
        f" {s['unplaced']} unplaced", f"lower bound {s['lower_bound']:.4f}", "-",
        f"<= {GOAL_SECONDS:g} s, 0 violations",
        f"time {yes(s['seconds'] <= GOAL_SECONDS)}, violations {yes(s['violations'] == 0)}"))
    q = results["quality"]
    e, c = q["engine"], q.get("cpsat", {})
    label = f"{e['placed'] + e['unplaced']:,} arrivals, {e['cells']} cells"
    if "utilisation" in c:
        gap = 100 * (e["utilisation"] / c["utilisation"] - 1)
        q["gap_pct"] = gap
        rows.append((
            label, f"{e['seconds']:.3f} s, max util {e['utilisation']:.4f},"
            f" {e['violations']} violations",
            f"CP-SAT {c['seconds']:.1f} s ({c['status']}), max util {c['utilisation']:.4f},"
            f" bound {bound(c)}", f"time {e['seconds'] / c['seconds']:.5f}, gap {gap:+.2f} %",
            f"gap <= {GOAL_GAP_PCT:g} %", yes(gap <= GOAL_GAP_PCT)))
    else:
        why = c.get("skipped") or f"no solution ({c.get('status')})"
        rows.append((label, f"{e['seconds']:.3f} s, max util {e['utilisation']:.4f}",
                     f"CP-SAT: {why}", "-", "-", "-"))
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    say("== Summary")
    for n, row in enumerate(rows):
        say(("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip())
        if n == 0:
            say("  " + "  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="10,000 arrivals / 128 cells; 500 / 16 against CP-SAT for 5 s")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write results as JSON")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the generated data")
    args = parser.parse_args(argv)

    info = machine()
    say(f"bench/assign.py {'--quick ' if args.quick else ''}on {info['cpus']} CPUs"
        f" ({info['cpu']}), Python {info['python']}, {datetime.now(UTC):%Y-%m-%d}\n")
    results: dict[str, Any] = {"machine": info, "quick": args.quick,
                               "started": datetime.now(UTC).isoformat(timespec="seconds")}
    started = perf()

    big = (make_instance(10_000, 8, 16, 200, 500, 8, args.seed) if args.quick else
           make_instance(40_000, 8, 32, 200, 2_000, 8, args.seed))
    say(f"== 1. Scale: {big.label}")
    s = run_engine(big, repeats=3)
    s["instance"] = big.label
    results["scale"] = s
    say(f"   assign      : {s['seconds']:.3f} s (best of 3: "
        + ", ".join(f"{t:.3f}" for t in s["runs"]) + ")")
    say(f"   placed      : {s['placed']:,}, unplaced {s['unplaced']}")
    say(f"   utilisation : highest cell {s['utilisation']:.4f} (recomputed"
        f" {s['check_utilisation']:.4f}); lower bound {s['lower_bound']:.4f}")
    say(f"   audit       : {s['violations']} violations ({s['audit_seconds']:.2f} s);"
        f" same plan from reversed input: {yes(s['deterministic'])}\n")

    small = (make_instance(500, 8, 2, 50, 25, 4, args.seed + 1) if args.quick else
             make_instance(2_000, 8, 4, 100, 100, 8, args.seed + 1))
    budget = 5.0 if args.quick else 60.0
    say(f"== 2. Quality: {small.label}")
    e = run_engine(small, repeats=3)
    results["quality"] = {"instance": small.label, "engine": e}
    say(f"   assign      : {e['seconds']:.3f} s; highest utilisation {e['utilisation']:.4f};"
        f" {e['placed']:,} placed; {e['violations']} violations")
    try:
        from ortools.sat.python import cp_model  # noqa: F401  (only to know it is there)
    except ImportError:
        say("   CP-SAT      : skipped: ortools is not installed (pip install ortools, the"
            " `bench` extra)\n")
        results["quality"]["cpsat"] = {"skipped": "ortools is not installed"}
    else:
        version = importlib.metadata.version("ortools")
        say(f"   CP-SAT      : OR-Tools {version}, {budget:g} s, 2 workers,"
            f" {'everyone placed' if e['unplaced'] == 0 else 'most placed first'} ...")
        c = run_cpsat(small, budget, require_all=e["unplaced"] == 0)
        c["ortools"] = version
        results["quality"]["cpsat"] = c
        if "utilisation" in c:
            say(f"   CP-SAT      : {c['seconds']:.1f} s, {c['status']}; highest utilisation"
                f" {c['utilisation']:.4f} (best bound {bound(c)}); {c['placed']:,}"
                f" placed; {c['violations']} violations")
            say(f"   ratio       : assign takes {e['seconds'] / c['seconds']:.4f} of CP-SAT's"
                f" time; gap {100 * (e['utilisation'] / c['utilisation'] - 1):+.2f} %\n")
        else:
            say(f"   CP-SAT      : no solution ({c['status']}) in {c['seconds']:.1f} s\n")

    results["total_seconds"] = perf() - started
    results["machine"]["loadavg_1m_at_end"] = os.getloadavg()[0]
    report(results)
    finish(results, info, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
