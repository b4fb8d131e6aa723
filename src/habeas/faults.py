"""Crash points for the crash-safety tests (tests/test_crash_safety.py, ADR 0019).

`HABEAS_CRASH_AFTER=<label>:<n>` makes the process kill itself with SIGKILL — no
clean-up, no rollback, no `finally` — the n-th time the code passes the crash
point LABEL (a point passed with a count, e.g. a batch of events, adds that
count). Unset, as it always is outside those tests, a crash point does nothing
but read one environment variable.

Labels: `events` (after a batch of events is appended and applied, before the
commit; counts events), `nominations.import` (after a chunk of nominations is
recorded, before its commit), `transfers.depart` (after a departure is recorded,
before its commit), `billing.invoice` (after an invoice is recorded, before its
commit) and `idempotency.stored` (after a response stored under an
Idempotency-Key committed, before it is sent).
"""

from __future__ import annotations

import os
import signal

CRASH_AFTER = "HABEAS_CRASH_AFTER"

_passed: dict[str, int] = {}


def crash_point(label: str, count: int = 1) -> None:
    """crash_point kills this process with SIGKILL once LABEL has been passed n times.

    Inert unless HABEAS_CRASH_AFTER names LABEL.
    """
    spec = os.environ.get(CRASH_AFTER)
    if not spec:
        return
    name, _, after = spec.rpartition(":")
    if name != label:
        return
    _passed[label] = _passed.get(label, 0) + count
    if _passed[label] >= int(after):
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
