"""Housing assignment: place a whole arriving group in cells at once (pure; DESIGN.md §7).

The hard constraints and their checks live in habeas.facilities.separation; the names
are re-exported here, so callers use `assign.Person`, `assign.check_placement` and so on.

Hard constraints, checked on every placement and move (UN Standard Minimum Rules for
the Treatment of Prisoners, the "Mandela Rules"; Convention on the Rights of the Child):

- MINOR: minors are never admitted (Mandela Rule 11(d); CRC art. 37(c)).
- SEX: women entirely apart: nobody enters a cell designated for another sex or holding
  anyone of another sex (Rule 11(a)).
- LEGAL_STATUS: untried never with convicted (Rule 11(b)).
- RIVAL_GROUP: rival groups apart, in different cells or buildings (Rules.rival_level).
- NON_ASSOCIATION: a pair of people never in the same cell, building or facility.
- CAPACITY / INACTIVE: never above a cell's max capacity; never into a cell not in use.

Objective: place as many arrivals as possible, then minimise the highest cell
utilisation (occupants / max capacity over active cells); people already housed never
move. The engine (assign):

1. Minors are refused; of two arrivals kept out of the same facility, the first by id
   is kept and the other waits for the last passes.
2. Arrivals fall in classes: (sex, status, group) for groups with a rival, and a pool
   (sex, status) for everyone else, who may share any cell of their sex and status.
3. A bisection over the target utilisation u (exact fractions) finds the least u at
   which an allocation of cells to classes holds as many people as it can at u = 1
   (everyone, when they fit), each cell holding at most floor(u * max capacity). Three
   class orders are tried: most constrained first, by pool, by size. A group takes
   cells where it already is, then room beside groups it is no rival of, then fresh
   cells: partly filled first, designated for its sex before undesignated, spread over
   buildings (building by building for rivalry at BUILDING level). A pool takes the
   room its groups left, then fresh cells. Cells left over go to the most crowded class.
4. Each class is water-filled into its cells, people with a non-association first:
   each person to the cell with the lowest resulting utilisation (ties: cell key) that
   breaks no non-association. Anyone left goes to any cell open to them under u, if
   need be moving an arrival whose non-association alone bars the cell; if u = 1 would
   leave fewer people out, u is raised (a bisection on whole runs).
5. A last pass places anyone still waiting in any cell open to them (up to max
   capacity); whoever is left is reported with the constraint that blocked them
   (see unplaced_reason).

Sorting by person id and cell key makes the plan independent of input order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from habeas.facilities.separation import (
    MAX_CELL_CAPACITY,
    Cell,
    Constraint,
    Housing,
    Level,
    Narrowed,
    NonAssociation,
    Person,
    Plan,
    Rules,
    Unplaced,
    Violation,
    audit,
    check_placement,
    partners_of,
    reason_for,
    rivals_of,
    unplaced_reason,
)

__all__ = ["MAX_CELL_CAPACITY", "Cell", "Constraint", "Level", "NonAssociation", "Person",
           "Plan", "Rules", "Unplaced", "Violation", "assign", "audit", "check_placement",
           "partners_of", "rivals_of", "unplaced_reason"]

Pool = tuple[str, str]  # (sex, status): people who may share a cell
Klass = tuple[str, str, str | None]  # (sex, status, group with a rival, or None)


@dataclass
class _Allocation:
    pool: list[Pool | None]  # the (sex, status) each cell is reserved for
    owner: list[Klass | None]  # the group class a cell is given to
    cells_of: dict[Klass, list[int]]  # per class: group classes own cells, pools share them
    colours: list[set[str]]  # rival-involved groups in each rivalry scope, once allocated
    short: int  # head count that did not fit


@dataclass
class _Run:
    house: Housing
    placed: dict[str, int]
    failed: list[Person]
    # (sex, status, group) of people without non-associations no cell is open to: placing
    # others only closes cells, so the next such person fails too (until someone moves)
    dead: set[tuple[str, str, str | None]] = field(default_factory=set)


class _Planner:
    """_Planner is the arrivals' classes, the cells' standing, and the allocation and
    placement steps of assign (module docstring, steps 2 to 4)."""

    def __init__(self, house: Housing, people: list[Person]) -> None:
        self.house = house
        cells = house.cells
        self.cap = [c.max_capacity if c.active else 0 for c in cells]
        self.members: dict[Klass, list[Person]] = {}
        for p in people:
            group = p.group if p.group in house.rivals else None
            self.members.setdefault((p.sex, p.status, group), []).append(p)
        self.demand = {k: len(v) for k, v in self.members.items()}
        self.pool_demand: dict[Pool, int] = {}
        for (sex, status, _), n in self.demand.items():
            self.pool_demand[(sex, status)] = self.pool_demand.get((sex, status), 0) + n
        # A cell already occupied is reserved for its occupants' sex and status; a cell
        # whose occupants or designation already clash can take nobody.
        self.fixed: list[Pool | None] = []
        self.usable: list[bool] = []
        for i, c in enumerate(cells):
            sexes, statuses = sorted(house.sexes[i]), sorted(house.statuses[i])
            ok = self.cap[i] > 0 and len(sexes) <= 1 and len(statuses) <= 1
            ok = ok and not (c.sex is not None and sexes and sexes[0] != c.sex)
            self.usable.append(ok)
            self.fixed.append((sexes[0], statuses[0]) if ok and sexes else None)
        self.scope = self._scopes()
        self.order = {s: self._order(s) for s in sorted({p.sex for p in people})}
        self.orders = self._orders()

    def _scopes(self) -> list[int]:
        cells = self.house.cells
        if not self.house.by_building:
            return list(range(len(cells)))
        ids: dict[str, int] = {}
        return [ids.setdefault(c.building, len(ids)) for c in cells]

    def _colours(self) -> list[set[str]]:
        """_colours is the rival-involved groups already housed in each rivalry scope."""
        colours: list[set[str]] = [set() for _ in range(max(self.scope, default=-1) + 1)]
        for i, s in enumerate(self.scope):
            colours[s].update(g for g in self.house.groups[i] if g in self.house.rivals)
        return colours

    def _order(self, sex: str) -> list[int]:
        """_order is the cells open to SEX in order of preference: occupied before empty,
        designated for SEX before undesignated; spread round-robin over buildings (CELL
        rivalry) or filled building by building (BUILDING rivalry), then by key."""
        cells, house = self.house.cells, self.house
        fits = [i for i, c in enumerate(cells) if self.usable[i]
                and c.sex in (None, sex) and (self.fixed[i] or (sex,))[0] == sex]

        def tier(i: int) -> tuple[int, int]:
            return (house.count[i] == 0, cells[i].sex is None)

        if house.by_building:
            best: dict[str, tuple[int, int]] = {}
            for i in fits:
                b = cells[i].building
                best[b] = min(best.get(b, (9, 9)), tier(i))
            return sorted(fits, key=lambda i: (best[cells[i].building], cells[i].building,
                                               tier(i), i))
        rank: dict[tuple[str, tuple[int, int]], int] = {}
        position = {}
        for i in fits:
            slot = (cells[i].building, tier(i))
            position[i] = rank.get(slot, 0)
            rank[slot] = position[i] + 1
        return sorted(fits, key=lambda i: (tier(i), position[i], i))

    def _by_tightness(self) -> list[Klass]:
        """_by_tightness orders group classes, then pools, by demand over the room open to
        them at max capacity (most constrained first; ties by class)."""
        room = [max(0, self.cap[i] - self.house.count[i]) for i in range(len(self.cap))]

        def tightness(k: Klass) -> tuple[bool, Fraction, Klass | tuple[str, str, str]]:
            total = sum(room[i] for i in self.order[k[0]]
                        if self.fixed[i] in (None, (k[0], k[1])))
            ratio = Fraction(self.demand[k], total) if total else Fraction(10**9)
            return (k[2] is None, -ratio, (k[0], k[1], k[2] or ""))

        return sorted(self.demand, key=tightness)

    def _orders(self) -> list[list[Klass]]:
        """_orders is the class orders the allocation tries: by tightness; by pool head
        count (a pool's group classes, then its unaffiliated); by class head count."""
        pools = self.pool_demand

        def name(k: Klass) -> tuple[str, str, str]:
            return (k[0], k[1], k[2] or "")

        by_pool = sorted(self.demand, key=lambda k: (-pools[(k[0], k[1])], (k[0], k[1]),
                                                     k[2] is None, -self.demand[k], name(k)))
        by_size = sorted(self.demand, key=lambda k: (k[2] is None, -self.demand[k], name(k)))
        out: list[list[Klass]] = []
        for order in (self._by_tightness(), by_pool, by_size):
            if order not in out:
                out.append(order)
        return out

    def caps(self, u: Fraction) -> list[int]:
        return [min(m, m * u.numerator // u.denominator) for m in self.cap]

    def allocate(self, caps: list[int], order: list[Klass]) -> _Allocation:
        """allocate gives cells to classes, in ORDER, so each class's head count fits under
        CAPS; short is the head count that does not."""
        house, rivals = self.house, self.house.rivals
        left = [max(0, caps[i] - house.count[i]) if self.usable[i] else 0
                for i in range(len(caps))]
        pool = list(self.fixed)
        owner: list[Klass | None] = [None] * len(caps)
        colours = self._colours()
        cells_of: dict[Klass, list[int]] = {k: [] for k in order}
        short = 0
        for k in order:
            sex, status, group = k
            need = self.demand[k]
            mine = (sex, status)
            if group is None:  # a pool first uses the room its group classes left
                need -= sum(left[i] for i in range(len(caps)) if pool[i] == mine)
            enemies = rivals.get(group or "", frozenset())
            # a group takes cells where it already is, then room beside groups it is no
            # rival of, then fresh cells; a pool takes fresh cells only
            for step in ("own", "shared", "fresh") if group is not None else ("pool",):
                for i in self.order[sex]:
                    if need <= 0:
                        break
                    if left[i] <= 0 or (owner[i] is not None) != (step == "shared"):
                        continue
                    if group is None:
                        if pool[i] is not None:
                            continue
                    else:
                        colour = colours[self.scope[i]]
                        if pool[i] not in (None, mine) or (step == "own" and group not in colour):
                            continue
                        if not enemies.isdisjoint(colour):
                            continue
                        owner[i] = owner[i] or k
                        colour.add(group)
                        cells_of[k].append(i)
                    pool[i] = mine
                    used = min(left[i], need)
                    left[i] -= used
                    need -= used
            short += max(0, need)
        return _Allocation(pool, owner, cells_of, colours, short)

    def _spread(self, a: _Allocation, caps: list[int], order: list[Klass]) -> None:
        """_spread gives cells nobody needed to the most crowded class, one at a time, while
        that lowers its occupancy: balancing beyond the highest utilisation."""
        house = self.house
        load: dict[Klass, list[int]] = {}  # class -> [head count, max capacity] of its cells
        for k in order:
            mine = (k[0], k[1])
            cells = a.cells_of[k] if k[2] is not None else [
                i for i, p in enumerate(a.pool) if p == mine]
            heads = self.demand[k] if k[2] is not None else self.pool_demand[mine]
            load[k] = [heads + sum(house.count[i] for i in cells), sum(self.cap[i] for i in cells)]
        full: set[Klass] = set()
        while True:
            crowded = sorted((k for k in order if k not in full and load[k][0] > 0),
                             key=lambda k: (-Fraction(load[k][0], max(load[k][1], 1))
                                            if load[k][1] else Fraction(-10**9)))
            if not crowded:
                return
            k = crowded[0]
            i = self._spare(a, k, caps, load[k])
            if i is None:
                full.add(k)
                continue
            sex, status, group = k
            if group is not None:
                a.owner[i] = k
                a.cells_of[k].append(i)
                a.colours[self.scope[i]].add(group)
                pool_load = load.get((sex, status, None))
                if pool_load is not None and a.pool[i] is None:
                    pool_load[1] += self.cap[i]
            a.pool[i] = (sex, status)
            load[k][0] += house.count[i]
            load[k][1] += self.cap[i]

    def _spare(self, a: _Allocation, k: Klass, caps: list[int], load: list[int]) -> int | None:
        sex, status, group = k
        enemies = self.house.rivals.get(group or "", frozenset())
        for i in self.order[sex]:
            if a.owner[i] is not None or caps[i] <= self.house.count[i]:
                continue
            # a free cell, or (for a group) one already holding its sex and status; never a
            # pool's cell, which stays open to anyone of that sex and status (last passes)
            if a.pool[i] is not None and (group is None or self.fixed[i] != (sex, status)):
                continue
            if not enemies.isdisjoint(a.colours[self.scope[i]]):
                continue
            # only a cell less crowded than the class lowers its occupancy
            if load[1] and self.house.count[i] * load[1] >= load[0] * self.cap[i]:
                continue
            return i
        return None

    def run(self, caps: list[int], waiting: list[Person], order: list[Klass]) -> _Run:
        """run places every class into its cells under CAPS (allocated in ORDER), then
        WAITING and the rest anywhere open to them under CAPS."""
        a = self.allocate(caps, order)
        self._spread(a, caps, order)
        for k in order:
            if k[2] is None:
                a.cells_of[k] = [i for i, p in enumerate(a.pool) if p == (k[0], k[1])]
        r = _Run(self.house.copy(), {}, [])
        for k in order:
            self._fill(r, self.members[k], a.cells_of[k], caps)
        failed, r.failed = sorted(r.failed + waiting, key=lambda p: p.id), []
        for p in failed:
            self._anywhere(r, p, caps)
        return r

    def _fill(self, r: _Run, people: list[Person], cells: list[int], caps: list[int]) -> None:
        """_fill water-fills PEOPLE into CELLS: each to the lowest resulting utilisation, ties
        by cell key; people with a non-association first, each skipping cells it bars."""
        house, cap, count = r.house, self.cap, r.house.count
        heap = [((count[i] + 1) / cap[i], i) for i in cells if count[i] < caps[i]]
        heapq.heapify(heap)
        wary = [p for p in people if p.id in house.partners]
        for p in wary + [p for p in people if p.id not in house.partners]:
            skipped = []
            while heap and p.id in house.partners and house.barring(p, heap[0][1]):
                skipped.append(heapq.heappop(heap))
            if not heap:
                r.failed.append(p)
            else:
                i = heap[0][1]
                house.add(p, i)
                r.placed[p.id] = i
                if count[i] < caps[i]:
                    heapq.heapreplace(heap, ((count[i] + 1) / cap[i], i))
                else:
                    heapq.heappop(heap)
            for item in skipped:
                heapq.heappush(heap, item)

    def _anywhere(self, r: _Run, p: Person, caps: list[int]) -> None:
        """_anywhere places P in the open cell with the lowest resulting utilisation under
        CAPS; failing that, in a cell barred only by non-associations with arrivals that
        can move elsewhere (they are moved); failing that, P has failed."""
        house, count, cap = r.house, r.house.count, self.cap
        alike = (p.sex, p.status, p.group)
        if alike in r.dead:
            r.failed.append(p)
            return
        open_ = sorted((i for i in range(len(cap)) if count[i] < caps[i]),
                       key=lambda i: ((count[i] + 1) / cap[i], i))
        barred = []
        for i in open_:
            codes = house.blocked(p, i, caps[i])
            if not codes:
                house.add(p, i)
                r.placed[p.id] = i
                return
            if codes == [Constraint.NON_ASSOCIATION]:
                barred.append(i)
        for i in barred:
            if self._make_way(r, p, i, caps):
                house.add(p, i)
                r.placed[p.id] = i
                r.dead.clear()  # a move may have freed room
                return
        if p.id not in house.partners:
            r.dead.add(alike)
        r.failed.append(p)

    def _make_way(self, r: _Run, p: Person, i: int, caps: list[int]) -> bool:
        """_make_way moves every arrival whose non-association with P bars cell I to another
        cell open to them where P at I is allowed; all or none (people housed before never
        move)."""
        house, count, cap = r.house, r.house.count, self.cap
        blockers = house.barring(p, i)
        if any(q not in r.placed or level == "FACILITY" for q, level, _ in blockers):
            return False
        levels: dict[str, set[Level]] = {}
        for q, level in house.partners[p.id]:
            levels.setdefault(q, set()).add(level)
        moved: list[tuple[str, int]] = []
        for q, _, j in blockers:
            if house.where.get(q) != j:
                continue  # already moved for another of the pair's levels
            person = house.person[q]
            house.remove(q)
            target = None
            for k in sorted((k for k in range(len(cap)) if k != j and count[k] < caps[k]),
                            key=lambda k: ((count[k] + 1) / cap[k], k)):
                apart = all(not (lv == "CELL" and k == i) and not (
                    lv == "BUILDING" and house.cells[k].building == house.cells[i].building)
                    for lv in levels[q])
                if apart and not house.blocked(person, k, caps[k]):
                    target = k
                    break
            house.add(person, j if target is None else target)
            if target is None:
                for q2, j2 in reversed(moved):
                    back = house.person[q2]
                    house.remove(q2)
                    house.add(back, j2)
                    r.placed[q2] = j2
                return False
            moved.append((q, j))
            r.placed[q] = target
        return True

    def fits(self, u: Fraction, short: int = 0) -> list[Klass] | None:
        """fits is the first class order whose allocation under u leaves at most SHORT
        people without a cell, if any."""
        caps = self.caps(u)
        return next((o for o in self.orders if self.allocate(caps, o).short <= short), None)


def _least(lo: Fraction, hi: Fraction, step: Fraction, ok: Callable[[Fraction], bool]
           ) -> Fraction:
    """_least bisects (LO, HI] for the least u with ok(u), to within STEP (HI is ok)."""
    while hi - lo > step:
        mid = (lo + hi) / 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def assign(arrivals: Sequence[Person], cells: Sequence[Cell], rules: Rules) -> Plan:
    """assign places the whole arriving group at once (DESIGN.md §7; module docstring).

    Every placement honours every hard constraint; people already housed never move.
    Raises ValueError on duplicate cell keys or person ids, an arrival already housed,
    or a max capacity outside 0..MAX_CELL_CAPACITY.
    """
    house = Housing(cells, rules)
    for c in house.cells:
        if not 0 <= c.max_capacity <= MAX_CELL_CAPACITY:
            raise ValueError(f"cell {c.key}: max capacity {c.max_capacity} is out of range")
    people = sorted(arrivals, key=lambda p: p.id)
    ids = {p.id for p in people}
    if len(ids) != len(people):
        raise ValueError("arrival ids must be unique")
    if housed := sorted(ids & house.where.keys()):
        raise ValueError(f"arrival {housed[0]} is already housed")

    unplaced = [reason_for(house, p) for p in people if p.minor]  # Mandela Rule 11(d)
    kept: set[str] = set()
    main: list[Person] = []
    waiting: list[Person] = []  # kept out of the facility by someone there or kept first
    for p in people:
        if p.minor:
            continue
        if any(level == "FACILITY" and (q in house.where or q in kept)
               for q, level in house.partners.get(p.id, ())):
            waiting.append(p)
        else:
            kept.add(p.id)
            main.append(p)

    planner = _Planner(house, main)
    biggest = max(planner.cap, default=0)
    step = Fraction(1, max(biggest, 1) ** 2)  # distinct k/m differ by at least 1/max(m)^2
    one = Fraction(1)
    # the least u at which the allocation holds as many people as it can at u = 1
    short = min(planner.allocate(planner.caps(one), o).short for o in planner.orders)
    u = _least(Fraction(0), one, step, lambda v: planner.fits(v, short) is not None)
    order = planner.fits(u, short) or planner.orders[0]
    r = planner.run(planner.caps(u), waiting, order)
    if r.failed and u < one:  # non-associations kept someone out: try more room
        full = planner.run(planner.caps(one), waiting, order)
        if len(full.failed) < len(r.failed):
            best = {one: full}

            def enough(v: Fraction) -> bool:
                best[v] = planner.run(planner.caps(v), waiting, planner.fits(v, short) or order)
                return len(best[v].failed) <= len(full.failed)

            r = best[_least(u, one, step, enough)]
    failed, r.failed, r.dead = r.failed, [], set()
    for p in failed:  # last pass: anyone with a cell open to them, up to max capacity
        planner._anywhere(r, p, planner.cap)
    memo: dict[tuple[str, str, str | None], Narrowed] = {}
    unplaced += [reason_for(r.house, p, memo) for p in r.failed]
    return Plan(
        placements={pid: house.cells[i].key for pid, i in sorted(r.placed.items())},
        unplaced=tuple(sorted(unplaced, key=lambda u: u.person)),
        max_utilisation=r.house.utilisation(),
    )
