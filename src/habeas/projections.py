"""Every domain's projectors and reactions, registered with the one write path (ADR 0024).

The write path (habeas.events) knows no domain: each domain's `projections` module
registers its event types as it is imported, and this module — the one place that
imports them all — is installed by every entry point before it records or replays an
event: the app, the CLI, replay, the demo, backup's restore and the tests. Until then
`events.record` refuses to run, so a forgotten registration is a loud error, not an
event type that is "unknown" in one process and known in another.

Order matters only for reactions of the same event type, which run in the order their
modules are listed: the public locator's index before the notifications it feeds.
"""

from __future__ import annotations

from types import ModuleType

from habeas import events
from habeas.agreements import projections as agreements
from habeas.auth import projections as auth
from habeas.billing import projections as billing
from habeas.counsel import projections as counsel
from habeas.custody import projections as custody
from habeas.facilities import projections as facilities
from habeas.holds import projections as holds
from habeas.ledger import projections as ledger
from habeas.locator import reactions as locator
from habeas.nominations import projections as nominations
from habeas.notify import projections as notify
from habeas.notify import reactions as notify_reactions
from habeas.oversight import projections as oversight
from habeas.transfers import projections as transfers

MODULES: tuple[ModuleType, ...] = (
    agreements, facilities, auth, ledger, nominations, holds, counsel, custody, transfers,
    oversight, billing, locator, notify, notify_reactions,
)


def install() -> int:
    """install opens the write path with every domain's event types (registered when MODULES
    were imported); returns how many there are. Idempotent: every entry point calls it."""
    events.install(tuple(module.__name__ for module in MODULES))
    return len(events.event_types())


install()  # importing this module is enough (the tests' conftest does only that)
