"""Separation: the hard constraints of housing, checked on every placement and move (pure).

UN Standard Minimum Rules for the Treatment of Prisoners (the "Mandela Rules") and the
Convention on the Rights of the Child:

- MINOR: minors are never admitted (Mandela Rule 11(d); CRC art. 37(c)).
- SEX: women entirely apart: nobody enters a cell designated for another sex or holding
  anyone of another sex (Rule 11(a)).
- LEGAL_STATUS: untried never with convicted (Rule 11(b)).
- RIVAL_GROUP: rival groups apart, in different cells or buildings (Rules.rival_level).
- NON_ASSOCIATION: a pair of people never in the same cell, building or facility.
- CAPACITY / INACTIVE: never above a cell's max capacity; never into a cell not in use.

The assignment engine (habeas.facilities.assign) places whole groups under them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Literal

Level = Literal["CELL", "BUILDING", "FACILITY"]

# Utilisations are compared as floats: two distinct fractions a/b and c/d in [0, 1] with
# b, d < 2**24 differ by at least 2**-48, far above double rounding, so ties are exact.
MAX_CELL_CAPACITY = 2**24 - 1


@dataclass(frozen=True)
class Person:
    id: str
    sex: str  # "M" | "F" | "X"
    status: str  # "convicted" | "untried"
    group: str | None = None  # affiliation group for rival separation; None = unaffiliated
    minor: bool = False


@dataclass(frozen=True)
class Cell:
    key: str  # unique, e.g. "CECOT/M1/C001"; sorting by key is the deterministic tie-break
    building: str  # building key, e.g. "CECOT/M1"
    max_capacity: int
    sex: str | None = None  # the sex this cell is designated for; None = any
    active: bool = True
    occupants: tuple[Person, ...] = ()  # people already housed there (never moved by assign)


@dataclass(frozen=True)
class NonAssociation:
    a: str  # person id
    b: str  # person id
    level: Level


@dataclass(frozen=True)
class Rules:
    rivalries: frozenset[frozenset[str]] = frozenset()  # each a pair of groups kept apart
    rival_level: Literal["CELL", "BUILDING"] = "CELL"
    non_associations: tuple[NonAssociation, ...] = ()


class Constraint(StrEnum):
    """Constraint codes are stable: the values are what users see."""

    MINOR = "minor"
    SEX = "sex"
    LEGAL_STATUS = "legal_status"
    RIVAL_GROUP = "rival_group"
    NON_ASSOCIATION = "non_association"
    CAPACITY = "capacity"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class Violation:
    constraint: Constraint
    message: str  # plain words naming who/what


@dataclass(frozen=True)
class Unplaced:
    person: str
    constraint: Constraint  # the constraint that blocked the person (see unplaced_reason)
    reason: str


@dataclass(frozen=True)
class Plan:
    placements: dict[str, str]  # person id -> cell key (only the arrivals)
    unplaced: tuple[Unplaced, ...]
    max_utilisation: float  # highest occupants / max capacity over active cells after the plan


# ---------------------------------------------------------------------------
# Where everyone is: an index that makes every check O(1) per rule
# ---------------------------------------------------------------------------


def _bump(counter: dict[str, int], key: str, by: int) -> None:
    left = counter.get(key, 0) + by
    if left:
        counter[key] = left
    else:
        del counter[key]


def _others(counter: dict[str, int], mine: str) -> bool:
    return len(counter) > 1 or (len(counter) == 1 and mine not in counter)


def _people(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _sex_words(sex: str, n: int) -> str:
    words = {"M": ("man", "men"), "F": ("woman", "women")}
    one, many = words.get(sex, (f"person of sex {sex}", f"people of sex {sex}"))
    return _people(n, one, many)


def rivals_of(rules: Rules) -> dict[str, frozenset[str]]:
    """rivals_of maps each group to the groups it is kept apart from (Rules.rivalries).

    A rivalry naming one group only is ignored; one naming more makes them all rivals.
    """
    out: dict[str, set[str]] = {}
    for pair in rules.rivalries:
        for group in pair:
            out.setdefault(group, set()).update(pair - {group})
    return {group: frozenset(rivals) for group, rivals in out.items() if rivals}


def partners_of(rules: Rules) -> dict[str, list[tuple[str, Level]]]:
    """partners_of maps each person id to the (other person, level) pairs they must avoid."""
    out: dict[str, list[tuple[str, Level]]] = {}
    for na in rules.non_associations:
        if na.a != na.b:
            out.setdefault(na.a, []).append((na.b, na.level))
            out.setdefault(na.b, []).append((na.a, na.level))
    return out


class Housing:
    """Housing is a housing state (cells sorted by key) with counts per cell and building."""

    def __init__(self, cells: Iterable[Cell], rules: Rules) -> None:
        self.cells = sorted(cells, key=lambda c: c.key)
        self.at = {c.key: i for i, c in enumerate(self.cells)}
        if len(self.at) != len(self.cells):
            raise ValueError("cell keys must be unique")
        self.rivals = rivals_of(rules)
        self.partners = partners_of(rules)
        self.by_building = rules.rival_level == "BUILDING"
        size = len(self.cells)
        self.count = [0] * size
        self.sexes: list[dict[str, int]] = [{} for _ in range(size)]
        self.statuses: list[dict[str, int]] = [{} for _ in range(size)]
        self.groups: list[dict[str, int]] = [{} for _ in range(size)]
        self.building_groups: dict[str, dict[str, int]] = {c.building: {} for c in self.cells}
        self.where: dict[str, int] = {}
        self.person: dict[str, Person] = {}
        for i, cell in enumerate(self.cells):
            for p in cell.occupants:
                if p.id in self.where:
                    raise ValueError(f"person {p.id} is housed in two cells")
                self.add(p, i)

    def copy(self) -> Housing:
        new = object.__new__(Housing)
        new.__dict__.update(self.__dict__)
        new.count = self.count[:]
        new.sexes = [dict(d) for d in self.sexes]
        new.statuses = [dict(d) for d in self.statuses]
        new.groups = [dict(d) for d in self.groups]
        new.building_groups = {b: dict(d) for b, d in self.building_groups.items()}
        new.where = dict(self.where)
        new.person = dict(self.person)
        return new

    def add(self, p: Person, i: int) -> None:
        self.count[i] += 1
        _bump(self.sexes[i], p.sex, 1)
        _bump(self.statuses[i], p.status, 1)
        if p.group is not None:
            _bump(self.groups[i], p.group, 1)
            _bump(self.building_groups[self.cells[i].building], p.group, 1)
        self.where[p.id] = i
        self.person[p.id] = p

    def remove(self, pid: str) -> None:
        i = self.where.pop(pid)
        p = self.person.pop(pid)
        self.count[i] -= 1
        _bump(self.sexes[i], p.sex, -1)
        _bump(self.statuses[i], p.status, -1)
        if p.group is not None:
            _bump(self.groups[i], p.group, -1)
            _bump(self.building_groups[self.cells[i].building], p.group, -1)

    def rival_scope(self, i: int) -> dict[str, int]:
        return self.building_groups[self.cells[i].building] if self.by_building else self.groups[i]

    def barring(self, p: Person, i: int) -> list[tuple[str, Level, int]]:
        """barring is each (partner, level, partner's cell) that keeps P out of cell I."""
        out = []
        building = self.cells[i].building
        for q, level in self.partners.get(p.id, ()):
            j = self.where.get(q)
            if j is None:
                continue
            if (level == "FACILITY" or (level == "CELL" and j == i)
                    or (level == "BUILDING" and self.cells[j].building == building)):
                out.append((q, level, j))
        return out

    def blocked(self, p: Person, i: int, limit: int | None = None) -> list[Constraint]:
        """blocked is every constraint P would break in cell I (CAPACITY against LIMIT)."""
        cell = self.cells[i]
        out = []
        if p.minor:  # Mandela Rule 11(d); CRC art. 37(c)
            out.append(Constraint.MINOR)
        if (cell.sex is not None and cell.sex != p.sex) or _others(self.sexes[i], p.sex):
            out.append(Constraint.SEX)  # Rule 11(a)
        if _others(self.statuses[i], p.status):
            out.append(Constraint.LEGAL_STATUS)  # Rule 11(b)
        rivals = self.rivals.get(p.group) if p.group is not None else None
        if rivals and not rivals.isdisjoint(self.rival_scope(i)):
            out.append(Constraint.RIVAL_GROUP)
        if self.barring(p, i):
            out.append(Constraint.NON_ASSOCIATION)
        if self.count[i] >= (cell.max_capacity if limit is None else limit):
            out.append(Constraint.CAPACITY)
        if not cell.active:
            out.append(Constraint.INACTIVE)
        return out

    def explain(self, code: Constraint, p: Person, i: int) -> str:
        """explain says in plain words why P may not be in cell I under CODE."""
        if code is Constraint.MINOR:
            return f"{p.id} is a minor; minors are never admitted"
        cell = self.cells[i]
        if code is Constraint.SEX:
            parts = []
            if cell.sex is not None and cell.sex != p.sex:
                parts.append(f"cell {cell.key} is designated for {_sex_words(cell.sex, 2)[2:]}")
            others = sorted((s, n) for s, n in self.sexes[i].items() if s != p.sex)
            if others:
                held = " and ".join(_sex_words(s, n) for s, n in others)
                parts.append(f"cell {cell.key} holds {held}")
            return "; ".join(parts)
        if code is Constraint.LEGAL_STATUS:
            held = " and ".join(_people(n, f"{s} person", f"{s} people")
                                for s, n in sorted(self.statuses[i].items()) if s != p.status)
            return f"cell {cell.key} holds {held}, and {p.id} is {p.status}"
        if code is Constraint.RIVAL_GROUP:
            mine = self.rivals.get(p.group or "", frozenset())
            rivals = sorted(mine & self.rival_scope(i).keys())
            place = f"building {cell.building}" if self.by_building else f"cell {cell.key}"
            kind = "a rival" if len(rivals) == 1 else "rivals"
            return f"{place} holds {', '.join(rivals)}, {kind} of {p.group}"
        if code is Constraint.NON_ASSOCIATION:
            parts = []
            for q, level, j in self.barring(p, i):
                scope = {"CELL": "cell", "BUILDING": "building", "FACILITY": "facility"}[level]
                parts.append(f"{p.id} and {q} must not share a {scope}: {q} is in cell"
                             f" {self.cells[j].key}")
            return "; ".join(parts)
        if code is Constraint.CAPACITY:
            return f"cell {cell.key} is full ({self.count[i]} of max {cell.max_capacity})"
        return f"cell {cell.key} is not in use"

    def violations(self, p: Person, i: int) -> list[Violation]:
        return [Violation(code, self.explain(code, p, i)) for code in self.blocked(p, i)]

    def utilisation(self) -> float:
        loads = [Fraction(self.count[i], c.max_capacity)
                 for i, c in enumerate(self.cells) if c.active and c.max_capacity > 0]
        return float(max(loads, default=Fraction(0)))


# ---------------------------------------------------------------------------
# Public checks
# ---------------------------------------------------------------------------


def check_placement(person: Person, target: Cell, cells: Sequence[Cell],
                    rules: Rules) -> list[Violation]:
    """check_placement is every hard constraint PERSON would break in TARGET.

    CELLS (with their occupants) say where everyone is; PERSON may be housed in one of
    them (a move) and is then ignored there. TARGET not among CELLS is taken as one more
    cell. Returns [] when the placement is allowed.
    """
    known = any(c.key == target.key for c in cells)
    house = Housing(cells if known else [*cells, target], rules)
    if person.id in house.where:
        house.remove(person.id)
    return house.violations(person, house.at[target.key])


def audit(cells: Sequence[Cell], rules: Rules) -> list[tuple[str, Violation]]:
    """audit is every hard-constraint violation in a housing state, as (person id, violation).

    Each occupant is checked as if placed in their own cell (check_placement): a cell
    over its max capacity flags everyone in it, and anyone housed in a cell not in use
    is flagged INACTIVE. Ordered by cell key, then person id; [] when clean.
    """
    house = Housing(cells, rules)
    out: list[tuple[str, Violation]] = []
    for i, cell in enumerate(house.cells):
        for p in sorted(cell.occupants, key=lambda q: q.id):
            house.remove(p.id)
            out.extend((p.id, v) for v in house.violations(p, i))
            house.add(p, i)
    return out


def unplaced_reason(person: Person, cells: Sequence[Cell], rules: Rules) -> Unplaced:
    """unplaced_reason is the constraint that keeps PERSON out of every cell, in words.

    The rule: a minor is refused (MINOR). Otherwise the cells are narrowed by one
    constraint at a time, in the order an officer would: in use (INACTIVE), open to the
    person's sex (SEX), then to their legal status (LEGAL_STATUS), with room (CAPACITY),
    free of rivals (RIVAL_GROUP), free of non-associations (NON_ASSOCIATION); the
    constraint that leaves no cell is the one reported, with an example cell it bars.
    So with every cell full it is CAPACITY, and when the only cells with room hold
    rivals it is RIVAL_GROUP. PERSON, if housed, is ignored where they are (a move).
    """
    house = Housing(cells, rules)
    if person.id in house.where:
        house.remove(person.id)
    return reason_for(house, person)


_NARROWING = (Constraint.INACTIVE, Constraint.SEX, Constraint.LEGAL_STATUS, Constraint.CAPACITY,
              Constraint.RIVAL_GROUP, Constraint.NON_ASSOCIATION)


Narrowed = tuple[Constraint, int, int] | None  # (constraint, cells it bars, example cell)


def reason_for(house: Housing, p: Person,
            memo: dict[tuple[str, str, str | None], Narrowed] | None = None) -> Unplaced:
    """_reason explains P (see unplaced_reason); MEMO shares the narrowing between people
    alike (same sex, status and group, no non-association) in the same state."""
    if p.minor:  # Mandela Rule 11(d); CRC art. 37(c)
        return Unplaced(p.id, Constraint.MINOR, house.explain(Constraint.MINOR, p, 0))
    alike = (p.sex, p.status, p.group)
    if memo is None or p.id in house.partners or alike not in memo:
        found = _narrow(house, p)
        if memo is not None and p.id not in house.partners:
            memo[alike] = found
    else:
        found = memo[alike]
    if found is None:  # not reached from assign, which places anyone a cell is open to
        return Unplaced(p.id, Constraint.CAPACITY, "no cell had room under the plan")
    code, n, example = found
    if code is Constraint.INACTIVE:
        detail = f"none of the {n} cells is in use" if n else "the facility has no cells"
    elif code is Constraint.CAPACITY:
        detail = f"all {n} cells that could take {p.id} are at max capacity"
    else:
        detail = f"it bars all {n} cells left, e.g. {house.explain(code, p, example)}"
    return Unplaced(p.id, code, f"{code}: {detail}")


def _narrow(house: Housing, p: Person) -> Narrowed:
    """_narrow is the first constraint in _NARROWING that leaves P no cell: with how many
    cells it found left, and the first of them."""
    left = list(range(len(house.cells)))
    blocks = {i: set(house.blocked(p, i)) for i in left}
    for code in _NARROWING:
        kept = [i for i in left if code not in blocks[i]]
        if not kept:
            return code, len(left), left[0] if left else 0
        left = kept
    return None
