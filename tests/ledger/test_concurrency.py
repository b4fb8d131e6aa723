"""Concurrent writers: appends queue on the log head, so the log stays gap-free and consistent."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, select

from habeas.db import read_session, unit_of_work
from habeas.events import record_many
from habeas.ledger import merkle, store
from habeas.ledger.leaf import leaf_bytes
from habeas.ledger.models import Event
from tests.ledger.test_store import facilities

# concurrent appends to the log (locking differs) (docs/testing.md)
pytestmark = pytest.mark.both_engines

WRITERS = 4
BATCHES = 5
PER_BATCH = 7


def test_concurrent_appends_are_gap_free_and_hash_consistently(engine: Engine) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for b in range(BATCHES):
                with unit_of_work(engine) as s:
                    record_many(s, facilities((n * BATCHES + b) * PER_BATCH, PER_BATCH))
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total = WRITERS * BATCHES * PER_BATCH
    with read_session(engine) as s:
        events = list(s.scalars(select(Event).order_by(Event.seq)))
        assert [e.seq for e in events] == list(range(total))
        leaves = [merkle.leaf_hash(leaf_bytes(e)) for e in events]
        assert store.root_at(s, total) == merkle.root(leaves)
        # each batch stayed contiguous: a transaction's events are never interleaved
        codes = [int(e.payload["facility"]["code"][1:]) for e in events]
        for i in range(0, total, PER_BATCH):
            assert codes[i:i + PER_BATCH] == list(range(codes[i], codes[i] + PER_BATCH))
