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


# The pure cores: data in, decision out; no database, web framework or write path.
PURE_CORES = (
    "habeas.ledger.leaf", "habeas.ledger.merkle", "habeas.ledger.note", "habeas.ledger.tiles",
    "habeas.ledger.verify", "habeas.billing.arithmetic", "habeas.billing.invoicing",
    "habeas.billing.reconcile", "habeas.billing.sustain", "habeas.screening.catalogue",
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
