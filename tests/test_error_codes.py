"""Error codes are a published interface: once in tests/golden/error_codes.txt, never changed.

Clients branch on `error.code` and read the list at /api/v1/constants (docs/DESIGN.md §11),
so a code, once published, keeps its name, its value and its place. The golden file is the
record of what was published; ErrorCode must start with exactly its lines, in order, and
may only add lines after them — which are then appended to the golden file too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from habeas.errors import ERROR_DESCRIPTIONS, ErrorCode

GOLDEN = Path(__file__).resolve().parent / "golden" / "error_codes.txt"

Code = tuple[str, str]


def read_golden(text: str) -> list[Code]:
    """read_golden: the (NAME, value) pairs of a golden file; `#` lines are comments."""
    codes: list[Code] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        assert len(fields) == 2, f"{GOLDEN.name}:{number}: want 'NAME value', got {line!r}"
        codes.append((fields[0], fields[1]))
    return codes


def breaks(golden: Sequence[Code], current: Sequence[Code]) -> list[str]:
    """breaks: every way CURRENT fails to keep the published GOLDEN codes, in words."""
    problems: list[str] = []
    by_name = dict(current)
    name_of = {value: name for name, value in current}
    golden_names = {name for name, _ in golden}
    golden_values = {value for _, value in golden}
    for name, value in golden:
        if name in by_name and by_name[name] != value:
            problems.append(f"{name} changed its value from {value!r} to {by_name[name]!r}: "
                            "a published code never changes")
        elif name not in by_name and value in name_of:
            problems.append(f"{name} ({value!r}) was renamed to {name_of[value]}: "
                            "a published code keeps its name")
        elif name not in by_name:
            problems.append(f"{name} ({value!r}) was removed: a published code stays, "
                            "even when nothing raises it any more")
    kept = [name for name, _ in golden if name in by_name]
    now = [name for name, _ in current if name in golden_names]
    if now != kept:
        problems.append(f"published codes were reordered: {' '.join(kept)} is now "
                        f"{' '.join(now)}; a published code keeps its place")
    last = max((index for index, (name, _) in enumerate(current) if name in golden_names),
               default=-1)
    new = [(index, code) for index, code in enumerate(current)
           if code[0] not in golden_names and code[1] not in golden_values]
    for index, (name, _) in new:
        if index < last:
            problems.append(f"{name} was inserted at place {index + 1}, among the published "
                            "codes: new codes go at the end of ErrorCode")
    if new and not problems:
        lines = "\n".join(f"{name} {value}" for _, (name, value) in new)
        problems.append(f"new codes are not yet in {GOLDEN.relative_to(GOLDEN.parents[2])}; "
                        f"append these lines at its end (never edit the lines above):\n"
                        f"{lines}")
    return problems


def current_codes() -> list[Code]:
    return [(code.name, code.value) for code in ErrorCode]


class TestPublishedCodes:
    def test_error_codes_keep_every_published_name_value_and_place(self) -> None:
        problems = breaks(read_golden(GOLDEN.read_text()), current_codes())
        assert not problems, "\n".join(problems)

    def test_the_golden_file_names_each_code_and_value_once(self) -> None:
        golden = read_golden(GOLDEN.read_text())
        assert len(golden) >= 60  # the file is the real list, not an empty shell
        assert len({name for name, _ in golden}) == len(golden)
        assert len({value for _, value in golden}) == len(golden)

    def test_every_code_is_explained(self) -> None:
        # /api/v1/constants and the pages show a description for each code.
        assert set(ERROR_DESCRIPTIONS) == set(ErrorCode)


class TestTheCheckCatchesEachBreak:
    """The comparison itself, on made-up lists: each kind of break is named."""

    golden: list[Code] = [("A", "a"), ("B", "b"), ("C", "c")]

    def test_the_same_list_passes(self) -> None:
        assert breaks(self.golden, self.golden) == []

    def test_a_removed_code_fails(self) -> None:
        [problem] = breaks(self.golden, [("A", "a"), ("C", "c")])
        assert "B ('b') was removed" in problem

    def test_a_renamed_code_fails(self) -> None:
        [problem] = breaks(self.golden, [("A", "a"), ("BEE", "b"), ("C", "c")])
        assert "B ('b') was renamed to BEE" in problem

    def test_a_changed_value_fails(self) -> None:
        [problem] = breaks(self.golden, [("A", "a"), ("B", "bee"), ("C", "c")])
        assert "B changed its value from 'b' to 'bee'" in problem

    def test_reordered_codes_fail(self) -> None:
        [problem] = breaks(self.golden, [("A", "a"), ("C", "c"), ("B", "b")])
        assert problem == ("published codes were reordered: A B C is now A C B; "
                           "a published code keeps its place")

    def test_a_code_inserted_in_the_middle_fails(self) -> None:
        [problem] = breaks(self.golden, [("A", "a"), ("NEW", "new"), ("B", "b"), ("C", "c")])
        assert problem == ("NEW was inserted at place 2, among the published codes: "
                           "new codes go at the end of ErrorCode")

    def test_a_new_code_not_yet_in_the_file_fails_saying_what_to_append(self) -> None:
        [problem] = breaks(self.golden, [*self.golden, ("D", "d"), ("E", "e")])
        assert "append these lines at its end" in problem
        assert problem.endswith("\nD d\nE e")
        assert "tests/golden/error_codes.txt" in problem

    def test_a_malformed_golden_line_is_named(self) -> None:
        with pytest.raises(AssertionError, match=r"error_codes\.txt:3: want 'NAME value'"):
            read_golden("# comment\nA a\nB\n")
