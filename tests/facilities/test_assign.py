"""Housing assignment: hard constraints, balancing and explanations (pure; DESIGN.md §7)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habeas.facilities.assign import (
    Cell,
    Constraint,
    Level,
    NonAssociation,
    Person,
    Plan,
    Rules,
    Unplaced,
    Violation,
    assign,
    audit,
    check_placement,
    unplaced_reason,
)

RIVALS = Rules(rivalries=frozenset({frozenset({"MS-13", "18S"})}))
RIVALS_BY_BUILDING = Rules(rivalries=RIVALS.rivalries, rival_level="BUILDING")


def man(pid: str, status: str = "convicted", group: str | None = None) -> Person:
    return Person(pid, "M", status, group)


def woman(pid: str, status: str = "convicted", group: str | None = None) -> Person:
    return Person(pid, "F", status, group)


def cell(key: str, cap: int = 10, *people: Person, sex: str | None = None,
         active: bool = True) -> Cell:
    """cell KEY ("B1/C1") in building "B1", holding PEOPLE."""
    return Cell(key, key.split("/")[0], cap, sex, active, tuple(people))


def codes(violations: Sequence[Violation]) -> list[Constraint]:
    return [v.constraint for v in violations]


def after(cells: Sequence[Cell], arrivals: Sequence[Person], plan: Plan) -> list[Cell]:
    """after is the housing state once PLAN is carried out."""
    by_id = {p.id: p for p in arrivals}
    into: dict[str, list[Person]] = {}
    for pid, key in plan.placements.items():
        into.setdefault(key, []).append(by_id[pid])
    return [Cell(c.key, c.building, c.max_capacity, c.sex, c.active,
                 c.occupants + tuple(into.get(c.key, ()))) for c in cells]


def loads(cells: Sequence[Cell], arrivals: Sequence[Person], plan: Plan) -> dict[str, int]:
    return {c.key: len(c.occupants) for c in after(cells, arrivals, plan)}


def only_unplaced(plan: Plan) -> Unplaced:
    assert len(plan.unplaced) == 1, plan.unplaced
    return plan.unplaced[0]


class TestCheckPlacement:
    def test_allows_a_placement_that_breaks_nothing(self) -> None:
        target = cell("B1/C1", 10, man("h1"), sex="M")
        assert check_placement(man("p1"), target, [target], Rules()) == []

    def test_refuses_a_minor(self) -> None:
        target = cell("B1/C1")
        child = Person("p1", "M", "untried", minor=True)
        [v] = check_placement(child, target, [target], Rules())
        assert v.constraint is Constraint.MINOR
        assert "p1 is a minor" in v.message

    def test_refuses_a_woman_in_a_mens_cell(self) -> None:
        target = cell("B1/C1", sex="M")
        [v] = check_placement(woman("p1"), target, [target], Rules())
        assert v.constraint is Constraint.SEX
        assert v.message == "cell B1/C1 is designated for men"

    def test_refuses_a_woman_in_a_cell_holding_a_man(self) -> None:
        target = cell("B1/C1", 10, man("h1"))
        [v] = check_placement(woman("p1"), target, [target], Rules())
        assert v.constraint is Constraint.SEX
        assert v.message == "cell B1/C1 holds 1 man"

    def test_refuses_untried_with_convicted(self) -> None:
        target = cell("B1/C1", 10, man("h1", "convicted"), man("h2", "convicted"))
        [v] = check_placement(man("p1", "untried"), target, [target], Rules())
        assert v.constraint is Constraint.LEGAL_STATUS
        assert v.message == "cell B1/C1 holds 2 convicted people, and p1 is untried"

    def test_refuses_a_rival_in_the_cell_at_cell_level(self) -> None:
        target = cell("B1/C1", 10, man("h1", group="MS-13"))
        next_door = cell("B1/C2")
        cells = [target, next_door]
        [v] = check_placement(man("p1", group="18S"), target, cells, RIVALS)
        assert v == Violation(Constraint.RIVAL_GROUP, "cell B1/C1 holds MS-13, a rival of 18S")
        assert check_placement(man("p1", group="18S"), next_door, cells, RIVALS) == []
        # the same group and unaffiliated people are welcome
        assert check_placement(man("p2", group="MS-13"), target, cells, RIVALS) == []
        assert check_placement(man("p3"), target, cells, RIVALS) == []

    def test_refuses_a_rival_in_the_building_at_building_level(self) -> None:
        cells = [cell("B1/C1", 10, man("h1", group="MS-13")), cell("B1/C2"), cell("B2/C1")]
        [v] = check_placement(man("p1", group="18S"), cells[1], cells, RIVALS_BY_BUILDING)
        assert v.constraint is Constraint.RIVAL_GROUP
        assert v.message == "building B1 holds MS-13, a rival of 18S"
        assert check_placement(man("p1", group="18S"), cells[2], cells, RIVALS_BY_BUILDING) == []

    @pytest.mark.parametrize(("level", "target", "barred"), [
        ("CELL", "B1/C1", True), ("CELL", "B1/C2", False), ("CELL", "B2/C1", False),
        ("BUILDING", "B1/C1", True), ("BUILDING", "B1/C2", True), ("BUILDING", "B2/C1", False),
        ("FACILITY", "B1/C1", True), ("FACILITY", "B1/C2", True), ("FACILITY", "B2/C1", True),
    ])
    def test_non_association_at_each_level(self, level: Level, target: str,
                                           barred: bool) -> None:
        cells = [cell("B1/C1", 10, man("h1")), cell("B1/C2"), cell("B2/C1")]
        rules = Rules(non_associations=(NonAssociation("h1", "p1", level),))
        found = check_placement(man("p1"), next(c for c in cells if c.key == target), cells, rules)
        assert codes(found) == ([Constraint.NON_ASSOCIATION] if barred else [])
        if barred:
            assert "p1 and h1 must not share" in found[0].message
            assert "h1 is in cell B1/C1" in found[0].message

    def test_refuses_a_full_cell(self) -> None:
        target = cell("B1/C1", 2, man("h1"), man("h2"))
        [v] = check_placement(man("p1"), target, [target], Rules())
        assert v.constraint is Constraint.CAPACITY
        assert v.message == "cell B1/C1 is full (2 of max 2)"

    def test_refuses_a_cell_not_in_use(self) -> None:
        target = cell("B1/C1", active=False)
        assert codes(check_placement(man("p1"), target, [target], Rules())) == [
            Constraint.INACTIVE]

    def test_reports_every_constraint_broken(self) -> None:
        target = cell("B1/C1", 1, man("h1", "convicted", "MS-13"), sex="M")
        found = check_placement(woman("p1", "untried", "18S"), target, [target], RIVALS)
        assert codes(found) == [Constraint.SEX, Constraint.LEGAL_STATUS, Constraint.RIVAL_GROUP,
                                Constraint.CAPACITY]

    def test_a_move_ignores_the_persons_own_cell(self) -> None:
        mover = man("h1", group="18S")
        home = cell("B1/C1", 1, mover)
        cells = [home, cell("B1/C2", 10, man("h2", group="18S"))]
        # staying put does not count the mover against the cell's capacity
        assert check_placement(mover, home, cells, RIVALS) == []
        assert codes(check_placement(man("p1"), home, cells, RIVALS)) == [Constraint.CAPACITY]
        # a move within the building is not blocked by the mover's own group at BUILDING level
        assert check_placement(mover, cells[1], cells, RIVALS_BY_BUILDING) == []
        # if his status changed, the cell he leaves does not hold him against himself
        assert check_placement(man("h1", "untried"), home, cells, RIVALS) == []

    def test_a_target_outside_the_cells_is_one_more_cell(self) -> None:
        cells = [cell("B1/C1", 10, man("h1", group="MS-13"))]
        new = cell("B1/C9")
        assert codes(check_placement(man("p1", group="18S"), new, cells, RIVALS_BY_BUILDING)) == [
            Constraint.RIVAL_GROUP]


class TestAudit:
    def test_a_clean_state_has_no_violations(self) -> None:
        cells = [cell("B1/C1", 2, man("h1", group="MS-13"), man("h2")), cell("B1/C2")]
        assert audit(cells, RIVALS) == []

    def test_flags_both_sides_of_each_breach(self) -> None:
        cells = [cell("B1/C1", 1, man("h1", group="MS-13"), man("h2", group="18S"))]
        found = audit(cells, RIVALS)
        assert [(pid, v.constraint) for pid, v in found] == [
            ("h1", Constraint.RIVAL_GROUP), ("h1", Constraint.CAPACITY),
            ("h2", Constraint.RIVAL_GROUP), ("h2", Constraint.CAPACITY)]

    def test_flags_minors_mixed_sexes_and_cells_not_in_use(self) -> None:
        cells = [cell("B1/C1", 5, Person("h1", "M", "untried", minor=True)),
                 cell("B1/C2", 5, man("h2"), woman("h3")),
                 cell("B1/C3", 5, man("h4"), active=False)]
        assert [(pid, v.constraint) for pid, v in audit(cells, Rules())] == [
            ("h1", Constraint.MINOR), ("h2", Constraint.SEX), ("h3", Constraint.SEX),
            ("h4", Constraint.INACTIVE)]

    def test_rejects_a_person_housed_twice(self) -> None:
        with pytest.raises(ValueError, match="h1"):
            audit([cell("B1/C1", 5, man("h1")), cell("B1/C2", 5, man("h1"))], Rules())


class TestAssignRefuses:
    """Each hard constraint keeps someone out, and the plan says which."""

    def test_a_minor(self) -> None:
        cells = [cell("B1/C1")]
        plan = assign([Person("p1", "M", "untried", minor=True), man("p2")], cells, Rules())
        assert plan.placements == {"p2": "B1/C1"}
        assert only_unplaced(plan).constraint is Constraint.MINOR

    def test_a_woman_when_only_mens_cells_exist(self) -> None:
        cells = [cell("B1/C1", sex="M"), cell("B1/C2", sex="M")]
        plan = assign([woman("p1")], cells, Rules())
        assert plan.placements == {}
        u = only_unplaced(plan)
        assert (u.person, u.constraint) == ("p1", Constraint.SEX)
        assert "designated for men" in u.reason

    def test_a_woman_when_the_only_cell_holds_a_man(self) -> None:
        plan = assign([woman("p1")], [cell("B1/C1", 10, man("h1"))], Rules())
        assert only_unplaced(plan).constraint is Constraint.SEX

    def test_untried_when_the_only_cell_holds_convicted(self) -> None:
        plan = assign([man("p1", "untried")], [cell("B1/C1", 10, man("h1", "convicted"))],
                      Rules())
        assert only_unplaced(plan).constraint is Constraint.LEGAL_STATUS

    def test_a_rival_when_the_only_cells_with_room_hold_rivals(self) -> None:
        cells = [cell("B1/C1", 1, man("h1", group="18S")),  # his own group, but full
                 cell("B1/C2", 10, man("h2", group="MS-13"))]
        plan = assign([man("p1", group="18S")], cells, RIVALS)
        u = only_unplaced(plan)
        assert u.constraint is Constraint.RIVAL_GROUP
        assert "cell B1/C2 holds MS-13, a rival of 18S" in u.reason

    def test_a_rival_in_the_same_building_only_at_building_level(self) -> None:
        cells = [cell("B1/C1", 10, man("h1", group="MS-13")), cell("B1/C2")]
        arrival = [man("p1", group="18S")]
        assert assign(arrival, cells, RIVALS).placements == {"p1": "B1/C2"}
        plan = assign(arrival, cells, RIVALS_BY_BUILDING)
        u = only_unplaced(plan)
        assert u.constraint is Constraint.RIVAL_GROUP
        assert "building B1 holds MS-13" in u.reason

    def test_building_level_rivals_get_separate_buildings(self) -> None:
        cells = [cell("B1/C1"), cell("B1/C2"), cell("B2/C1"), cell("B2/C2")]
        arrivals = ([man(f"a{i}", group="MS-13") for i in range(5)]
                    + [man(f"b{i}", group="18S") for i in range(5)])
        plan = assign(arrivals, cells, RIVALS_BY_BUILDING)
        assert not plan.unplaced
        buildings = {g: {plan.placements[p.id].split("/")[0] for p in arrivals if p.group == g}
                     for g in ("MS-13", "18S")}
        assert len(buildings["MS-13"]) == len(buildings["18S"]) == 1
        assert buildings["MS-13"] != buildings["18S"]
        assert audit(after(cells, arrivals, plan), RIVALS_BY_BUILDING) == []

    def test_non_association_between_two_arrivals_at_cell_level(self) -> None:
        rules = Rules(non_associations=(NonAssociation("p1", "p2", "CELL"),))
        arrivals = [man("p1"), man("p2")]
        plan = assign(arrivals, [cell("B1/C1"), cell("B1/C2")], rules)
        assert not plan.unplaced
        assert plan.placements["p1"] != plan.placements["p2"]
        plan = assign(arrivals, [cell("B1/C1")], rules)
        assert len(plan.placements) == 1
        assert only_unplaced(plan).constraint is Constraint.NON_ASSOCIATION

    def test_non_association_with_someone_housed_at_building_level(self) -> None:
        rules = Rules(non_associations=(NonAssociation("h1", "p1", "BUILDING"),))
        cells = [cell("B1/C1", 10, man("h1")), cell("B1/C2"), cell("B2/C1", 10, man("h2"))]
        # B1/C2 is emptier, but h1 is in building B1
        assert assign([man("p1")], cells, rules).placements == {"p1": "B2/C1"}
        plan = assign([man("p1")], cells[:2], rules)
        u = only_unplaced(plan)
        assert u.constraint is Constraint.NON_ASSOCIATION
        assert "p1 and h1 must not share a building: h1 is in cell B1/C1" in u.reason

    def test_non_association_between_arrivals_at_building_level(self) -> None:
        rules = Rules(non_associations=(NonAssociation("p2", "p1", "BUILDING"),))
        cells = [cell("B1/C1"), cell("B1/C2"), cell("B2/C1")]
        plan = assign([man("p1"), man("p2")], cells, rules)
        assert not plan.unplaced
        assert plan.placements["p1"][:2] != plan.placements["p2"][:2]

    def test_non_association_at_facility_level_keeps_the_first_arrival(self) -> None:
        rules = Rules(non_associations=(NonAssociation("p2", "p1", "FACILITY"),))
        plan = assign([man("p2"), man("p1")], [cell("B1/C1"), cell("B2/C1")], rules)
        assert plan.placements == {"p1": "B1/C1"}
        u = only_unplaced(plan)
        assert (u.person, u.constraint) == ("p2", Constraint.NON_ASSOCIATION)
        assert "must not share a facility" in u.reason

    def test_non_association_at_facility_level_with_someone_housed(self) -> None:
        rules = Rules(non_associations=(NonAssociation("h1", "p1", "FACILITY"),))
        plan = assign([man("p1")], [cell("B1/C1", 10, man("h1")), cell("B2/C1")], rules)
        assert only_unplaced(plan).constraint is Constraint.NON_ASSOCIATION

    def test_facility_non_association_with_someone_refused_does_not_bar(self) -> None:
        rules = Rules(non_associations=(NonAssociation("p1", "p2", "FACILITY"),))
        plan = assign([Person("p1", "M", "untried", minor=True), man("p2")], [cell("B1/C1")],
                      rules)
        assert plan.placements == {"p2": "B1/C1"}
        assert only_unplaced(plan).person == "p1"

    def test_when_every_cell_is_full(self) -> None:
        cells = [cell("B1/C1", 1, man("h1")), cell("B1/C2", 1, man("h2"))]
        u = only_unplaced(assign([man("p1")], cells, Rules()))
        assert u.constraint is Constraint.CAPACITY
        assert u.reason == "capacity: all 2 cells that could take p1 are at max capacity"

    def test_capacity_for_the_last_of_a_group(self) -> None:
        plan = assign([man(f"p{i}") for i in range(5)], [cell("B1/C1", 3)], Rules())
        assert len(plan.placements) == 3
        assert [u.constraint for u in plan.unplaced] == [Constraint.CAPACITY] * 2
        assert plan.max_utilisation == 1.0

    def test_when_no_cell_is_in_use(self) -> None:
        u = only_unplaced(assign([man("p1")], [cell("B1/C1", active=False)], Rules()))
        assert u.constraint is Constraint.INACTIVE

    def test_a_full_cell_outranks_one_not_in_use(self) -> None:
        cells = [cell("B1/C1", active=False), cell("B1/C2", 1, man("h1"))]
        assert only_unplaced(assign([man("p1")], cells, Rules())).constraint is (
            Constraint.CAPACITY)

    def test_the_womens_cells_hold_convicted_people(self) -> None:
        # sex narrows to the women's cells first; their status then leaves none
        cells = [cell("B1/C1", sex="M"), cell("B2/C1", 10, woman("h1", "convicted"), sex="F")]
        u = only_unplaced(assign([woman("p1", "untried")], cells, Rules()))
        assert u.constraint is Constraint.LEGAL_STATUS


class TestAssignBalances:
    def test_identical_people_split_evenly(self) -> None:
        cells = [cell("B1/C1"), cell("B1/C2")]
        arrivals = [man(f"p{i}") for i in range(10)]
        plan = assign(arrivals, cells, Rules())
        assert loads(cells, arrivals, plan) == {"B1/C1": 5, "B1/C2": 5}
        assert plan.max_utilisation == 0.5

    def test_spreads_the_remainder_one_by_one_in_key_order(self) -> None:
        cells = [cell("B1/C3"), cell("B1/C1"), cell("B1/C2")]
        arrivals = [man(f"p{i}") for i in range(10)]
        plan = assign(arrivals, cells, Rules())
        assert loads(cells, arrivals, plan) == {"B1/C1": 4, "B1/C2": 3, "B1/C3": 3}
        assert plan.max_utilisation == 0.4

    def test_fills_the_emptier_cell_first(self) -> None:
        cells = [cell("B1/C1", 10, *(man(f"h{i}") for i in range(4))), cell("B1/C2")]
        two = [man("p1"), man("p2")]
        assert set(assign(two, cells, Rules()).placements.values()) == {"B1/C2"}
        six = [man(f"p{i}") for i in range(6)]
        plan = assign(six, cells, Rules())
        assert loads(cells, six, plan) == {"B1/C1": 5, "B1/C2": 5}

    def test_balances_by_utilisation_not_head_count(self) -> None:
        cells = [cell("B1/C1", 10), cell("B1/C2", 20)]
        arrivals = [man(f"p{i}") for i in range(15)]
        plan = assign(arrivals, cells, Rules())
        assert loads(cells, arrivals, plan) == {"B1/C1": 5, "B1/C2": 10}

    def test_max_utilisation_counts_people_already_housed_and_skips_unused_cells(self) -> None:
        cells = [cell("B1/C1", 4, *(man(f"h{i}") for i in range(3))), cell("B1/C2", 10),
                 cell("B1/C3", 1, man("h9"), man("h8"), active=False)]
        plan = assign([man("p1")], cells, Rules())
        assert plan.placements == {"p1": "B1/C2"}
        assert plan.max_utilisation == 0.75
        assert assign([], [], Rules()).max_utilisation == 0.0

    def test_rival_groups_get_separate_cells_instead_of_starving(self) -> None:
        cells = [cell(f"B1/C{i}") for i in range(1, 5)]
        arrivals = ([man(f"a{i:02d}", group="MS-13") for i in range(20)]
                    + [man(f"b{i:02d}", group="18S") for i in range(20)])
        plan = assign(arrivals, cells, RIVALS)
        assert not plan.unplaced
        by_group = {g: Counter(plan.placements[p.id] for p in arrivals if p.group == g)
                    for g in ("MS-13", "18S")}
        assert sorted(by_group["MS-13"].values()) == sorted(by_group["18S"].values()) == [10, 10]
        assert not set(by_group["MS-13"]) & set(by_group["18S"])
        assert plan.max_utilisation == 1.0

    def test_rival_groups_spread_over_spare_cells(self) -> None:
        cells = [cell(f"B1/C{i}") for i in range(1, 7)]
        arrivals = ([man(f"a{i:02d}", group="MS-13") for i in range(20)]
                    + [man(f"b{i:02d}", group="18S") for i in range(10)])
        plan = assign(arrivals, cells, RIVALS)
        assert not plan.unplaced
        assert plan.max_utilisation == 0.5  # MS-13 in 4 cells of 5, 18S in 2 of 5

    def test_unaffiliated_people_fill_beside_any_group(self) -> None:
        cells = [cell("B1/C1"), cell("B1/C2")]
        arrivals = ([man(f"a{i}", group="MS-13") for i in range(6)]
                    + [man(f"b{i}", group="18S") for i in range(6)]
                    + [man(f"n{i}") for i in range(8)])
        plan = assign(arrivals, cells, RIVALS)
        assert not plan.unplaced
        assert loads(cells, arrivals, plan) == {"B1/C1": 10, "B1/C2": 10}

    def test_groups_that_are_not_rivals_share_a_cell(self) -> None:
        rules = Rules(rivalries=frozenset({frozenset({"MS-13", "18S"}),
                                           frozenset({"18S", "18R"})}))
        cells = [cell("B1/C1"), cell("B1/C2")]
        arrivals = ([man(f"a{i}", group="MS-13") for i in range(5)]
                    + [man(f"r{i}", group="18R") for i in range(5)]
                    + [man(f"s{i}", group="18S") for i in range(10)])
        plan = assign(arrivals, cells, rules)
        assert not plan.unplaced
        assert plan.max_utilisation == 1.0
        assert audit(after(cells, arrivals, plan), rules) == []

    def test_sexes_and_statuses_use_their_own_cells(self) -> None:
        cells = [cell("B1/C1", sex="M"), cell("B1/C2", sex="M"), cell("B2/C1", sex="F"),
                 cell("B3/C1")]
        arrivals = ([man(f"m{i}") for i in range(8)] + [man(f"u{i}", "untried") for i in range(4)]
                    + [woman(f"w{i}") for i in range(6)])
        plan = assign(arrivals, cells, Rules())
        assert not plan.unplaced
        assert audit(after(cells, arrivals, plan), Rules()) == []
        # 6 women in B2/C1; convicted men split over B1/C1 and B3/C1 (4 each)
        assert plan.max_utilisation == 0.6


class TestAssignIsDeterministic:
    def test_input_order_does_not_matter(self) -> None:
        rng = random.Random(7)
        groups = [None, "MS-13", "18S"]
        arrivals = [Person(f"p{i:03d}", rng.choice("MF"), rng.choice(["convicted", "untried"]),
                           rng.choice(groups)) for i in range(120)]
        cells = [cell(f"B{b}/C{c}", rng.randint(5, 15), sex="F" if b == 3 else None)
                 for b in range(1, 4) for c in range(1, 5)]
        ids = [p.id for p in arrivals]
        levels: list[Level] = ["CELL", "BUILDING"]
        pairs = [rng.sample(ids, 2) for _ in range(15)]
        rules = Rules(RIVALS.rivalries, "CELL", tuple(
            NonAssociation(a, b, rng.choice(levels)) for a, b in pairs))
        plan = assign(arrivals, cells, rules)
        for _ in range(3):
            rng.shuffle(arrivals)
            rng.shuffle(cells)
            assert assign(arrivals, cells, rules) == plan
        assert audit(after(cells, arrivals, plan), rules) == []


class TestAssignRejectsBadInput:
    def test_duplicate_arrivals(self) -> None:
        with pytest.raises(ValueError, match="unique"):
            assign([man("p1"), man("p1")], [cell("B1/C1")], Rules())

    def test_an_arrival_already_housed(self) -> None:
        with pytest.raises(ValueError, match="already housed"):
            assign([man("h1")], [cell("B1/C1", 10, man("h1"))], Rules())

    def test_duplicate_cells(self) -> None:
        with pytest.raises(ValueError, match="unique"):
            assign([man("p1")], [cell("B1/C1"), cell("B1/C1")], Rules())

    def test_a_negative_capacity(self) -> None:
        with pytest.raises(ValueError, match="max capacity"):
            assign([man("p1")], [cell("B1/C1", -1)], Rules())


# ---------------------------------------------------------------------------
# Property: random small facilities and arrivals
# ---------------------------------------------------------------------------

GROUPS = ["A", "B", "C"]
LEVELS: list[Level] = ["CELL", "BUILDING", "FACILITY"]


def _clean(cells: list[Cell], rules: Rules) -> list[Cell]:
    """_clean drops people already housed until the starting state breaks no rule."""
    while found := audit(cells, rules):
        bad = found[0][0]
        cells = [Cell(c.key, c.building, c.max_capacity, c.sex, c.active,
                      tuple(p for p in c.occupants if p.id != bad)) for c in cells]
    return cells


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Person], list[Cell], Rules]:
    person = st.builds(lambda sex, status, group, minor: (sex, status, group, minor),
                       st.sampled_from("MF"), st.sampled_from(["convicted", "untried"]),
                       st.sampled_from([None, *GROUPS]), st.booleans())
    cells = []
    for b in range(draw(st.integers(1, 3))):
        for c in range(draw(st.integers(1, 3))):
            cap = draw(st.integers(0, 4))
            sex = draw(st.sampled_from([None, None, "M", "F"]))
            active = draw(st.booleans()) or cap > 2
            housed = draw(st.lists(person, max_size=cap if active else 0))
            cells.append(Cell(f"B{b}/C{c}", f"B{b}", cap, sex, active, tuple(
                Person(f"h{b}{c}{k}", sex or s, t, g) for k, (s, t, g, _) in enumerate(housed))))
    arrivals = [Person(f"p{k:02d}", s, t, g, minor and k % 4 == 0)
                for k, (s, t, g, minor) in enumerate(draw(st.lists(person, max_size=14)))]
    ids = [p.id for p in arrivals] + [p.id for c in cells for p in c.occupants]
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids),
                                    st.sampled_from(LEVELS)), max_size=4)) if ids else []
    rivalries = draw(st.sets(st.sampled_from([("A", "B"), ("B", "C"), ("A", "C")])))
    rules = Rules(frozenset(frozenset(r) for r in rivalries),
                  draw(st.sampled_from(["CELL", "BUILDING"])),
                  tuple(NonAssociation(a, b, lv) for a, b, lv in pairs))
    return arrivals, _clean(cells, rules), rules


class TestAssignProperties:
    @settings(max_examples=300, deadline=None)
    @given(instances())
    def test_never_breaks_a_rule_and_leaves_nobody_it_could_place(
            self, instance: tuple[list[Person], list[Cell], Rules]) -> None:
        arrivals, cells, rules = instance
        assert audit(cells, rules) == []
        plan = assign(arrivals, cells, rules)
        state = after(cells, arrivals, plan)
        # no rule broken (capacity, sexes, statuses, rivals, non-associations, minors)
        assert audit(state, rules) == []
        # every arrival placed or unplaced, exactly once; nobody housed before moved
        unplaced = [u.person for u in plan.unplaced]
        assert sorted([*plan.placements, *unplaced]) == sorted(p.id for p in arrivals)
        assert len(set(unplaced)) == len(unplaced)
        for before, now in zip(cells, state, strict=True):
            assert now.occupants[:len(before.occupants)] == before.occupants
        for key in plan.placements.values():
            assert next(c for c in cells if c.key == key).active
        # whoever is unplaced has no cell left open to them, for the reason given
        by_id = {p.id: p for p in arrivals}
        for u in plan.unplaced:
            assert all(check_placement(by_id[u.person], c, state, rules) for c in state)
            assert u == unplaced_reason(by_id[u.person], state, rules)
        # the figure reported is the highest utilisation over cells in use
        assert plan.max_utilisation == max(
            (len(c.occupants) / c.max_capacity for c in state
             if c.active and c.max_capacity), default=0.0)

    @settings(max_examples=100, deadline=None)
    @given(instances(), st.randoms(use_true_random=False))
    def test_the_plan_does_not_depend_on_input_order(
            self, instance: tuple[list[Person], list[Cell], Rules], rng: random.Random) -> None:
        arrivals, cells, rules = instance
        plan = assign(arrivals, cells, rules)
        rng.shuffle(arrivals)
        rng.shuffle(cells)
        assert assign(arrivals, cells, rules) == plan
