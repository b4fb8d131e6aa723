"""The house in layers (ADR 0024): projectors installed by the entry points, pure cores that
load with no database, and no import cycle among the modules below the faces."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from habeas import events, projections


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, check=False, timeout=120)


class TestProjectorsInstalled:
    def test_every_domain_module_is_installed_and_every_type_has_a_projector(self) -> None:
        assert projections.install() == len(events.event_types())
        prefixes = {name.partition(".")[0] for name in events.event_types()}
        assert {"agreement", "facility", "nomination", "transfer", "custody", "invoice",
                "ledger"} <= prefixes

    def test_recording_before_the_entry_point_installs_them_is_a_loud_defect(self) -> None:
        # A fresh process that imported one domain's projectors but installed none.
        out = _run("""
            from habeas import events
            from habeas.facilities import projections
            try:
                events.record(None, events.NewEvent(type="facility.registered", payload={},
                                                    actor="test"))
            except events.NotInstalled as exc:
                print("refused:", exc)
        """)
        assert out.returncode == 0, out.stderr
        assert "refused: no projectors are installed" in out.stdout
        assert "habeas.projections.install()" in out.stdout

    def test_listing_event_types_before_installing_is_refused_too(self) -> None:
        out = _run("""
            from habeas import events
            try:
                events.event_types()
            except events.NotInstalled:
                print("refused")
        """)
        assert out.stdout.strip() == "refused", out.stderr

    def test_a_reaction_to_a_type_no_projector_registers_cannot_be_installed(self) -> None:
        out = _run("""
            from habeas import events
            from habeas.facilities import projections
            events.reaction("facility.renamed_by_typo")(lambda session, payload, event: None)
            try:
                events.install(["habeas.facilities.projections"])
            except events.NotInstalled as exc:
                print("refused:", exc)
        """)
        assert "refused: reactions to event types no projector registers: " \
               "['facility.renamed_by_typo']" in out.stdout, out.stderr


# The pure cores (pyproject.toml's "pure-cores" contract says the same statically).
PURE_CORES = (
    "habeas.ledger.leaf", "habeas.ledger.merkle", "habeas.ledger.note", "habeas.ledger.tiles",
    "habeas.ledger.verify", "habeas.billing.arithmetic", "habeas.billing.invoicing",
    "habeas.billing.money", "habeas.billing.reconcile", "habeas.billing.sustain",
    "habeas.screening.catalogue",
    "habeas.screening.engine", "habeas.screening.rules", "habeas.sentences.calendars",
    "habeas.sentences.expiry", "habeas.sentences.release", "habeas.facilities.assign",
    "habeas.facilities.capacity", "habeas.facilities.rules", "habeas.facilities.separation",
    "habeas.agreements.terms", "habeas.people.mrz", "habeas.locator.normalise",
)
BLOCKED = ("sqlalchemy", "fastapi", "starlette", "habeas.db", "habeas.events", "habeas.models")

_BLOCKING = """
    import importlib, sys

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in {blocked!r}):
                raise ImportError("blocked: " + name)
            return None

    sys.meta_path.insert(0, Refuse())
    for module in {modules!r}:
        try:
            importlib.import_module(module)
            print("loaded", module)
        except ImportError as exc:
            print("refused", module, exc)
"""


class TestPureCores:
    def test_load_where_the_database_and_the_web_framework_cannot(self) -> None:
        out = _run(_BLOCKING.format(blocked=BLOCKED, modules=PURE_CORES))
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == [f"loaded {m}" for m in PURE_CORES]

    def test_the_blocker_does_refuse_the_database(self) -> None:
        # The test above could pass by blocking nothing: the write path must not load.
        out = _run(_BLOCKING.format(blocked=BLOCKED, modules=("habeas.replay", "habeas.clock")))
        assert out.stdout.splitlines() == ["refused habeas.replay blocked: sqlalchemy",
                                           "loaded habeas.clock"]

    def test_the_contract_names_the_same_cores(self) -> None:
        import tomllib
        from pathlib import Path

        config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
        contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
        assert tuple(contracts["pure-cores"]["source_modules"]) == PURE_CORES
        assert set(BLOCKED) <= set(contracts["pure-cores"]["forbidden_modules"])

    def test_a_leaf_is_the_same_bytes_from_the_pure_format_and_the_write_path(self) -> None:
        out = _run("""
            import sys
            from datetime import datetime, UTC
            from types import SimpleNamespace
            from habeas.ledger.leaf import leaf_bytes
            at = datetime(2025, 3, 1, 12, 0, 0, 5, tzinfo=UTC)
            event = SimpleNamespace(v=1, seq=7, type="transfer.departed", occurred_at=at,
                                    recorded_at=at, actor="u1", party="SLV", subject="P1",
                                    facility=None, payload_sha256="ab" * 32)
            sys.stdout.write(leaf_bytes(event).decode())
            assert "sqlalchemy" not in sys.modules
        """)
        assert out.returncode == 0, out.stderr
        assert out.stdout == (
            '{"actor":"u1","facility":null,"occurred_at":"2025-03-01T12:00:00.000005Z",'
            '"party":"SLV","payload_sha256":"' + "ab" * 32 + '","recorded_at":'
            '"2025-03-01T12:00:00.000005Z","seq":7,"subject":"P1","type":"transfer.departed",'
            '"v":1}')


FACE_SUFFIXES = (".api", ".cli", ".records_api", ".report_api")
FACES = ("habeas.__main__", "habeas.cli", "habeas.app", "habeas.web", "habeas.console",
         "habeas.api")


def _is_face(module: str) -> bool:
    return module.endswith(FACE_SUFFIXES) or any(
        module == face or module.startswith(face + ".") for face in FACES)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """_cycles: the strongly connected components of more than one module (Tarjan's
    algorithm, iterative): each is a set of modules that import one another in a ring."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _imports_below_the_faces() -> dict[str, set[str]]:
    import grimp

    graph = grimp.build_graph("habeas", exclude_type_checking_imports=True)
    modules = {m for m in graph.modules if not _is_face(m)}
    # Imports inside functions count: a cycle hidden in a function is still a cycle.
    return {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}


class TestNoCycle:
    def test_no_import_cycle_among_the_modules_below_the_faces(self) -> None:
        assert _cycles(_imports_below_the_faces()) == []

    def test_the_cycle_finder_finds_a_ring_and_only_the_ring(self) -> None:
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
        assert _cycles(graph) == [["a", "b", "c"]]

    def test_no_domain_module_imports_a_face(self) -> None:
        graph = _imports_below_the_faces()
        import grimp

        full = grimp.build_graph("habeas", exclude_type_checking_imports=True)
        climbs = sorted((m, i) for m in graph for i in full.find_modules_directly_imported_by(m)
                        if i.startswith("habeas") and _is_face(i))
        assert climbs == []


def test_a_part_of_a_type_no_projector_registers_cannot_be_installed() -> None:
    out = _run("""
        from habeas import events
        from habeas.facilities import projections
        events.part("custody.handed_ovr")(lambda session, payload, event: None)
        try:
            events.install(["habeas.facilities.projections"])
        except events.NotInstalled as exc:
            print("refused:", exc)
    """)
    assert "refused: parts of event types no projector registers: ['custody.handed_ovr']" \
        in out.stdout, out.stderr
