"""Stored hashes written with every event: roots and proofs from O(log n) reads."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from habeas.agreements.schemas import FacilityInfo
from habeas.db import read_session, unit_of_work
from habeas.events import NewEvent, record_many
from habeas.facilities.projections import FacilityRegistered
from habeas.ledger import merkle, store
from habeas.ledger.leaf import leaf_bytes
from habeas.ledger.models import Event, LedgerHash

# the ledger's hash store (SQL over the tree's levels) (docs/testing.md)
pytestmark = pytest.mark.both_engines


def facilities(start: int, count: int) -> list[NewEvent]:
    return [NewEvent(type="facility.registered", actor="test", party="SLV",
                     payload=FacilityRegistered(facility=FacilityInfo(
                         code=f"F{start + i}", name="P", country="SLV",
                         timezone="America/El_Salvador", address="A", phone="0",
                         signed_capacity=10)))
            for i in range(count)]


class TestStoredHashes:
    def test_roots_and_proofs_match_the_pure_tree_at_every_size(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            record_many(s, facilities(0, 20))
        with unit_of_work(engine) as s:
            record_many(s, facilities(20, 17))  # a second batch continues the same tree
        with read_session(engine) as s:
            leaves = [merkle.leaf_hash(leaf_bytes(e))
                      for e in s.scalars(select(Event).order_by(Event.seq))]
            assert len(leaves) == 37
            count = s.scalar(select(func.count()).select_from(LedgerHash))
            assert count == merkle.stored_hash_count(37)  # about two per leaf
            for size in range(1, 38):
                root = store.root_at(s, size)
                assert root == merkle.root(leaves[:size])
                for index in (0, size // 2, size - 1):
                    proof = store.inclusion(s, index, size)
                    assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
                for older in (1, size // 2 or 1, size):
                    proof = store.consistency(s, older, size)
                    assert merkle.verify_consistency(older, size, store.root_at(s, older), root,
                                                     proof)

    def test_a_failed_batch_leaves_no_hashes_behind(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            record_many(s, facilities(0, 3))
        with pytest.raises(Exception), unit_of_work(engine) as s:  # noqa: B017
            record_many(s, facilities(3, 2) + facilities(0, 1))  # F0 exists: projection fails
        with read_session(engine) as s:
            assert s.scalar(select(func.count()).select_from(LedgerHash)) == \
                merkle.stored_hash_count(3)
        with unit_of_work(engine) as s:
            record_many(s, facilities(3, 2))
        with read_session(engine) as s:
            assert store.root_at(s, 5) == merkle.root(
                [merkle.leaf_hash(leaf_bytes(e)) for e in s.scalars(
                    select(Event).order_by(Event.seq))])

    def test_a_batch_is_validated_whole_before_anything_is_written(self, engine: Engine) -> None:
        bad = NewEvent(type="facility.registered", actor="test", payload={"facility": {}})
        with pytest.raises(Exception, match=r"payload\.facility"), unit_of_work(engine) as s:
            record_many(s, [*facilities(0, 2), bad])
        with read_session(engine) as s:
            assert s.scalar(select(func.count()).select_from(Event)) == 0
