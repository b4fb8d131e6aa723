"""The Merkle log's stored hashes in the database (Go sumdb/tlog layout).

Appending leaf n stores the hashes `merkle.stored_hashes` says (about two per
leaf); any tree root or proof then needs only O(log n) stored hashes
(`merkle.tree_hash`, `merkle.inclusion_proof`, `merkle.consistency_proof`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from habeas.errors import DomainError, ErrorCode
from habeas.ledger import merkle
from habeas.ledger.models import LedgerHash

READ_CHUNK = 500


class LedgerCorrupt(DomainError):
    """LedgerCorrupt: a stored hash the log needs is missing."""

    status = 500
    code = ErrorCode.INTERNAL_ERROR


class DbHashReader:
    """DbHashReader reads stored hashes, first from a write-through cache, then the database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[int, bytes] = {}

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        missing = sorted({i for i in indexes if i not in self.cache})
        for start in range(0, len(missing), READ_CHUNK):
            chunk = missing[start:start + READ_CHUNK]
            rows = self.session.execute(
                select(LedgerHash.idx, LedgerHash.hash).where(LedgerHash.idx.in_(chunk)))
            for idx, value in rows:
                self.cache[idx] = bytes(value)
        try:
            return [self.cache[i] for i in indexes]
        except KeyError as exc:
            raise LedgerCorrupt(f"ledger: stored hash {exc.args[0]} is missing") from None


def append_leaves(session: Session, first_index: int, leaf_hashes: Sequence[bytes]) -> None:
    """append_leaves stores the hashes for leaves first_index, first_index+1, … in one insert."""
    reader = DbHashReader(session)
    rows: list[dict[str, object]] = []
    for offset, leaf in enumerate(leaf_hashes):
        n = first_index + offset
        new = merkle.stored_hashes(n, leaf, reader)
        base = merkle.stored_hash_count(n)
        for k, value in enumerate(new):
            reader.cache[base + k] = value
            rows.append({"idx": base + k, "hash": value})
    if rows:
        session.execute(insert(LedgerHash), rows)


def root_at(session: Session, size: int) -> bytes:
    """root_at is the Merkle tree hash of the first SIZE leaves."""
    return merkle.tree_hash(size, DbHashReader(session))


def inclusion(session: Session, index: int, size: int) -> list[bytes]:
    """inclusion is the RFC 9162 §2.1.3.1 inclusion proof of leaf INDEX in the tree of SIZE."""
    return merkle.inclusion_proof(index, size, DbHashReader(session))


def consistency(session: Session, size1: int, size2: int) -> list[bytes]:
    """consistency is the RFC 9162 §2.1.4.1 consistency proof from SIZE1 to SIZE2."""
    return merkle.consistency_proof(size1, size2, DbHashReader(session))


def leaf_hashes(session: Session, start: int, end: int) -> list[bytes]:
    """leaf_hashes are the stored level-0 hashes of leaves [start, end)."""
    reader = DbHashReader(session)
    return reader.read_hashes([merkle.stored_hash_index(0, i) for i in range(start, end)])
