"""The repository stands alone: nothing in it refers to files outside it.

A fresh clone must build, test and explain itself. The design reference is docs/DESIGN.md
and every `DESIGN.md §N` cited in the code must name one of its sections; test data is
vendored under tests/ (tests/vectors/README.md); no text file points at a sibling
checkout or a machine's absolute path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "docs" / "DESIGN.md"

# Built from parts so this file does not match itself.
_SHARED = "shared"
_WORK = "/" + "work/"
OUTSIDE = re.compile("|".join([
    re.escape("../" + _SHARED),
    re.escape(_WORK),
    _SHARED + r"/(?:DESIGN|STYLE|vectors)\b",
]))
# Folders that are not the project's text: tool caches, environments, build output.
SKIPPED_DIRS = {"__pycache__", "build", "dist", "node_modules", "test-artifacts"}
KEPT_DOT_DIRS = {".ci", ".github"}

SECTION_HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)*)\.? ", re.MULTILINE)
CITATION = re.compile(
    r"DESIGN(?:\.md)?[\s*`\"'(]*((?:§\s?\d+(?:\.\d+)*(?:\s*(?:,|;|and|–|-)\s*)?)+)")


def text_files(root: Path) -> Iterator[Path]:
    """text_files: every UTF-8 file under ROOT, tool caches and environments left out."""
    for path in sorted(root.iterdir()):
        if path.name == ".git":  # a folder, or in a worktree a file naming one elsewhere
            continue
        if path.is_dir():
            if path.name in SKIPPED_DIRS or path.name.endswith(".egg-info"):
                continue
            if path.name.startswith(".") and path.name not in KEPT_DOT_DIRS:
                continue
            yield from text_files(path)
        elif path.is_file():
            try:
                path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            yield path


def outside_references(root: Path) -> list[str]:
    """outside_references: 'file:line: text' for each line under ROOT that points outside it."""
    found = []
    for path in text_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()[:120]}")
    return found


def design_sections(text: str) -> set[str]:
    return set(SECTION_HEADING.findall(text))


def citations(root: Path) -> dict[str, list[str]]:
    """citations: each section number cited as DESIGN.md §N under ROOT, with where."""
    cited: dict[str, list[str]] = {}
    for path in text_files(root):
        text = path.read_text(encoding="utf-8")
        for match in CITATION.finditer(text):
            number = text.count("\n", 0, match.start()) + 1
            for section in re.findall(r"§\s?(\d+(?:\.\d+)*)", match.group(1)):
                cited.setdefault(section, []).append(f"{path.relative_to(root)}:{number}")
    return cited


class TestNothingPointsOutside:
    def test_no_text_file_refers_outside_the_repository(self) -> None:
        found = outside_references(ROOT)
        assert not found, ("these lines point outside the repository; use docs/DESIGN.md, "
                           "docs/formats.md or tests/vectors/ instead:\n" + "\n".join(found))

    def test_the_scan_reads_the_whole_project(self) -> None:
        scanned = {p.relative_to(ROOT).as_posix() for p in text_files(ROOT)}
        for must in ("README.md", "Makefile", "pyproject.toml", "docs/DESIGN.md",
                     "src/habeas/events.py", "tests/ledger/test_merkle.py",
                     "tests/vectors/README.md", "tests/vectors/merkle/LICENSE"):
            assert must in scanned, must
        assert any(name.startswith(".ci/") for name in scanned)

    @pytest.mark.parametrize("line", [
        "VECTORS = ROOT.parent / 'shared' / 'vectors'  # ../" + _SHARED + "/vectors",
        "see " + _WORK + _SHARED + "/DESIGN.md §6",
        "as in " + _SHARED + "/STYLE.md",
        "# " + _WORK + "main/tests/ledger/test_merkle.py -> parents[2] == " + _WORK + "main",
    ])
    def test_a_planted_reference_is_found_with_its_place(self, tmp_path: Path,
                                                         line: str) -> None:
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "notes.md").write_text(f"fine\n{line}\n")
        assert outside_references(tmp_path) == [f"docs/notes.md:2: {line.strip()[:120]}"]

    def test_caches_environments_and_binaries_are_not_scanned(self, tmp_path: Path) -> None:
        for folder in (".venv", "__pycache__", "habeas.egg-info", ".mypy_cache"):
            (tmp_path / folder).mkdir()
            (tmp_path / folder / "x.txt").write_text("../" + _SHARED + "/vectors\n")
        (tmp_path / ".git").write_text("gitdir: " + _WORK + "main/.git/worktrees/x\n")
        (tmp_path / "habeas.db").write_bytes(b"\xff\xfe../" + _SHARED.encode() + b"\x00")
        (tmp_path / ".ci").mkdir()
        (tmp_path / ".ci" / "run.sh").write_text("cp -r ../" + _SHARED + " .\n")
        assert outside_references(tmp_path) == [f".ci/run.sh:1: cp -r ../{_SHARED} ."]

    def test_ordinary_words_are_not_taken_for_references(self, tmp_path: Path) -> None:
        (tmp_path / "a.py").write_text("# shared by this module's tests; tests/vectors/merkle\n"
                                       "path = 'work/shared_things'\n")
        assert outside_references(tmp_path) == []


class TestTheDesignReferenceIsHere:
    def test_every_cited_section_exists_in_docs_design(self) -> None:
        sections = design_sections(DESIGN.read_text(encoding="utf-8"))
        cited = citations(ROOT)
        assert len(cited) >= 10, "the citation pattern no longer finds the citations"
        missing = {section: places[:3] for section, places in cited.items()
                   if section not in sections}
        assert not missing, f"cited but not in docs/DESIGN.md: {missing}"

    def test_docs_design_keeps_its_section_numbers(self) -> None:
        # Code cites these numbers; a section may be reworded, never renumbered or dropped.
        expected = {str(n) for n in range(1, 13)} | {"12.1", "12.2", "12.3", "12.4"}
        assert expected <= design_sections(DESIGN.read_text(encoding="utf-8"))

    def test_a_citation_of_a_missing_section_is_caught(self, tmp_path: Path) -> None:
        # Built from parts: the scan of the repository reads this file too.
        (tmp_path / "m.py").write_text('"""Gates (DESIGN' + '.md §4, §13.2; DESIGN §7)."""\n')
        cited = citations(tmp_path)
        assert cited == {"4": ["m.py:1"], "13.2": ["m.py:1"], "7": ["m.py:1"]}
        assert "13.2" not in design_sections(DESIGN.read_text(encoding="utf-8"))

    @pytest.mark.parametrize("doc", ["README.md", "docs/DESIGN.md", "docs/formats.md",
                                     "tests/vectors/README.md"])
    def test_relative_links_resolve_inside_the_repository(self, doc: str) -> None:
        # Links between documents; images (the screenshots the browser tests take) aside.
        path = ROOT / doc
        for target in re.findall(r"(?<!!)\[[^\]]*\]\(([^)#\s]+)(?:#[^)]*)?\)",
                                 path.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            resolved = (path.parent / target).resolve()
            assert resolved.exists(), f"{doc}: link to {target} leads nowhere"
            assert resolved.is_relative_to(ROOT), f"{doc}: link to {target} leaves the repo"
