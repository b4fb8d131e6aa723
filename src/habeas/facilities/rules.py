"""The numbered facility and separation rules (DESIGN.md §7).

Numbers are stable: once published, FAC-002 always means "max capacity below
occupancy". Each facility rule maps to one ErrorCode; each separation rule to a
constraint of the assignment engine, all reported under `separation_violation`.
"""

from __future__ import annotations

from dataclasses import dataclass

from habeas.errors import ErrorCode


@dataclass(frozen=True)
class NumberedRule:
    number: str
    code: str
    text: str
    citation: str


FACILITY_RULES = (
    NumberedRule("FAC-001", ErrorCode.WORKING_ABOVE_MAX,
                 "a cell's working capacity must not exceed its max capacity", "DESIGN.md §7"),
    NumberedRule("FAC-002", ErrorCode.MAX_BELOW_OCCUPANCY,
                 "a cell's max capacity must not fall below the people in it", "DESIGN.md §7"),
    NumberedRule("FAC-003", ErrorCode.OCCUPIED_CELL_DEACTIVATED,
                 "a cell with people in it cannot be deactivated", "DESIGN.md §7"),
    NumberedRule("FAC-004", ErrorCode.AREA_NOT_POSITIVE,
                 "a cell's floor area must be more than 0 m²", "ICRC (2012); CPT/Inf(2015)44"),
    NumberedRule("FAC-005", ErrorCode.SIGNED_CAPACITY_NEEDS_APPROVAL,
                 "the signed operational capacity changes only through a recorded approval",
                 "DESIGN.md §7"),
    NumberedRule("FAC-006", ErrorCode.SAME_PERSON_APPROVAL,
                 "whoever requests a capacity change cannot approve it", "DESIGN.md §7"),
)

# Keys are habeas.facilities.assign.Constraint values.
SEPARATION_RULES = (
    NumberedRule("SEP-001", "minor", "minors are never admitted",
                 "Mandela Rule 11(d); CRC art. 37(c)"),
    NumberedRule("SEP-002", "sex", "men and women are held entirely apart",
                 "Mandela Rule 11(a)"),
    NumberedRule("SEP-003", "legal_status", "untried prisoners are kept apart from convicted",
                 "Mandela Rule 11(b)"),
    NumberedRule("SEP-004", "rival_group", "rival groups are kept apart at the configured level",
                 "Mandela Rule 93(1)(a); DESIGN.md §7"),
    NumberedRule("SEP-005", "non_association",
                 "two people under a non-association are kept apart at its level", "DESIGN.md §7"),
    NumberedRule("SEP-006", "capacity", "no cell above its max capacity", "DESIGN.md §7"),
    NumberedRule("SEP-007", "inactive", "nobody is placed in a cell out of use", "DESIGN.md §7"),
)

SEPARATION_NUMBER = {rule.code: rule.number for rule in SEPARATION_RULES}
FACILITY_NUMBER = {rule.code: rule.number for rule in FACILITY_RULES}
