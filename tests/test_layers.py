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
