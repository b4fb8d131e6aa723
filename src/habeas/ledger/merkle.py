"""RFC 9162 §2.1 Merkle trees: hashing, stored-hash layout, proofs and verification.

This module is deliberately small and self-contained: it depends only on
:mod:`hashlib`, knows nothing about databases or the web, and works on
``bytes``. It follows the shape of Go's ``golang.org/x/mod/sumdb/tlog``
(stored-hash layout, :class:`HashReader`, proof construction) and
``github.com/transparency-dev/merkle`` (proof verification).

Terminology (RFC 9162 §2.1):

* A *leaf hash* is ``SHA-256(0x00 || data)`` (:func:`leaf_hash`).
* An *interior node hash* is ``SHA-256(0x01 || left || right)`` (:func:`node_hash`).
* The *Merkle Tree Hash* (MTH) of ``n`` leaves is the tree head / root (:func:`root`).

Stored hashes
-------------
A log that appends leaves one at a time can store, for every leaf, the leaf hash
plus the hashes of all complete (perfect) subtrees that this leaf completes. With
those stored hashes every tree head, inclusion proof and consistency proof for any
tree size can be computed from ``O(log n)`` reads. The hashes are numbered in the
exact order in which tlog writes them (see :func:`stored_hash_index`), so a store
built here is interchangeable with one built by Go's ``sumdb/tlog``.

Verification
------------
:func:`verify_inclusion` and :func:`verify_consistency` implement the RFC 9162
§2.1.3.2 and §2.1.4.2 algorithms. They are meant to be fed untrusted input and
never raise: anything malformed (wrong types, hashes that are not 32 bytes,
negative or out-of-range sizes, proofs of the wrong length) simply yields
``False``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "HashReader",
    "MemoryHashStore",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "split_stored_hash_index",
    "stored_hash_count",
    "stored_hash_index",
    "stored_hashes",
    "tree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256), RFC 9162 §2.1."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() — the root of the empty tree, RFC 9162 §2.1.1."""

_MAX_SIZE = (1 << 64) - 1
"""Largest tree size / leaf index accepted by the verifiers (RFC 9162 sizes are uint64)."""

_MAX_PROOF_LEN = 64
"""No valid inclusion or consistency proof for a uint64-sized tree is longer than this."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


# ---------------------------------------------------------------------------
# Hashing (RFC 9162 §2.1.1)
# ---------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """leaf_hash returns MTH({d(0)}) = SHA-256(0x00 || data), RFC 9162 §2.1.1.

    ``data`` is the raw leaf input (for Certificate Transparency, the
    ``MerkleTreeLeaf`` structure), not a hash.
    """
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """node_hash returns SHA-256(0x01 || left || right), RFC 9162 §2.1.1.

    ``left`` and ``right`` are the hashes of the left and right subtrees.
    """
    return _sha256(_NODE_PREFIX + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """root returns the Merkle Tree Hash MTH(D[n]) of the given leaves, RFC 9162 §2.1.1.

    ``leaf_hashes`` are *already hashed* leaves, i.e. ``leaf_hash(d)`` for each
    entry ``d`` — not the raw entries. An empty sequence yields :data:`EMPTY_ROOT`.

    The tree is reduced level by level: adjacent pairs are combined with
    :func:`node_hash` and an unpaired last node is carried up unchanged. For the
    RFC 9162 split rule (left subtree = largest power of two strictly smaller
    than n) this gives exactly MTH(D[n]). It is iterative and O(n) hashing, so it
    is suitable for recomputing the head of a log with millions of entries.

    Raises ValueError if any element is not a ``HASH_SIZE``-byte ``bytes``.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    for h in level:
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ValueError("merkle: root: every leaf hash must be 32 bytes")
    sha = _sha256
    prefix = _NODE_PREFIX
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        level = [
            sha(prefix + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)
        ]
        if odd is not None:
            level.append(odd)
    return level[0]


# ---------------------------------------------------------------------------
# Stored-hash layout (sumdb/tlog StoredHashIndex & friends)
# ---------------------------------------------------------------------------


class HashReader(Protocol):
    """HashReader is a source of previously stored hashes (tlog.HashReader).

    ``read_hashes`` returns the stored hashes with the given indexes (as numbered
    by :func:`stored_hash_index`), in the same order. It must return exactly one
    hash per index or raise.
    """

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        """read_hashes returns the hashes stored at the given indexes, in order."""
        ...


def _maxpow2(n: int) -> tuple[int, int]:
    """_maxpow2 returns (k, l) with k = 2**l the largest power of two < n (k = 1 if n <= 2).

    This is tlog's maxpow2, the split point of RFC 9162 §2.1.1.
    """
    if n <= 2:
        return 1, 0
    level = (n - 1).bit_length() - 1
    return 1 << level, level


def _trailing_zeros(x: int) -> int:
    """_trailing_zeros returns the number of trailing zero bits of x > 0 (bits.TrailingZeros64)."""
    return (x & -x).bit_length() - 1


def _check_nonneg_int(name: str, value: int) -> None:
    """_check_nonneg_int raises ValueError unless value is a plain (non-bool) int >= 0."""
    if type(value) is not int or value < 0:
        raise ValueError(f"merkle: {name} must be a non-negative int, got {value!r}")


def _check_hash(name: str, value: bytes) -> None:
    """_check_hash raises ValueError unless value is HASH_SIZE bytes."""
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"merkle: {name} must be {HASH_SIZE} bytes")


def stored_hash_index(level: int, n: int) -> int:
    """stored_hash_index maps the n'th hash at the given level to its storage index.

    Port of tlog.StoredHashIndex. Level 0 holds the leaf hashes (RFC 9162 §2.1.1
    MTH({d(n)})); level L, index n is the hash of the perfect subtree over leaves
    [n*2**L, (n+1)*2**L). Hashes are stored in the order they become computable
    when appending leaves: leaf n is followed by the hashes of every subtree it
    completes, lowest level first.

    Level L's n'th hash is written right after level L+1's (2n+1)'th hash, so we
    walk down to the level-0 ordering (n -> 2n+1, L times); level 0's n'th hash is
    written at n + n/2 + n/4 + ... = 2n - popcount(n); then add back ``level``.
    """
    _check_nonneg_int("level", level)
    _check_nonneg_int("n", n)
    n = ((n + 1) << level) - 1
    return 2 * n - n.bit_count() + level


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """split_stored_hash_index is the inverse of stored_hash_index: index -> (level, n).

    Port of tlog.SplitStoredHashIndex (layout for RFC 9162 §2.1.1 subtree hashes).
    """
    _check_nonneg_int("index", index)
    # Determine the level-0 record before index. stored_hash_index(0, n) < 2*n,
    # so the n we want is in [index/2, index/2 + log2(index)].
    n = index // 2
    index_n = stored_hash_index(0, n)
    if index_n > index:  # pragma: no cover - impossible by the bound above
        raise AssertionError("merkle: bad math in split_stored_hash_index")
    while True:
        # Each new record n adds 1 + trailing_zeros(n+1) hashes.
        x = index_n + 1 + _trailing_zeros(n + 1)
        if x > index:
            break
        n += 1
        index_n = x
    # The hash we want was committed with record n,
    # meaning it is one of (0, n), (1, n/2), (2, n/4), ...
    level = index - index_n
    return level, n >> level


def stored_hash_count(n: int) -> int:
    """stored_hash_count returns the number of stored hashes for a tree with n leaves.

    Port of tlog.StoredHashCount (layout for RFC 9162 §2.1.1 subtree hashes).
    """
    _check_nonneg_int("n", n)
    if n == 0:
        return 0
    # The tree has the hashes up to the last leaf hash ...
    num_hash = stored_hash_index(0, n - 1) + 1
    # ... and any hashes for subtrees completed by that leaf.
    i = n - 1
    while i & 1:
        num_hash += 1
        i >>= 1
    return num_hash


def _read_exact(reader: HashReader, indexes: list[int]) -> list[bytes]:
    """_read_exact calls reader.read_hashes and checks the answer's shape."""
    hashes = reader.read_hashes(indexes)
    if len(hashes) != len(indexes):
        raise ValueError(
            f"merkle: read_hashes({len(indexes)} indexes) returned {len(hashes)} hashes"
        )
    for h in hashes:
        _check_hash("stored hash", h)
    return list(hashes)


def stored_hashes(n: int, data_leaf_hash: bytes, reader: HashReader) -> list[bytes]:
    """stored_hashes returns the hashes to store when appending leaf n with the given hash.

    Port of tlog.StoredHashesForRecordHash. ``data_leaf_hash`` is the RFC 9162
    §2.1.1 leaf hash of entry n (see :func:`leaf_hash`); ``reader`` must hold the
    stored hashes of leaves 0..n-1. The result is the leaf hash followed by the
    node hashes of every perfect subtree that leaf n completes, to be stored at
    indexes ``stored_hash_count(n)`` .. ``stored_hash_count(n + 1) - 1``.
    """
    _check_nonneg_int("n", n)
    _check_hash("data_leaf_hash", data_leaf_hash)
    h = data_leaf_hash
    hashes = [h]
    # Each trailing 1 bit in the binary representation of n completes a subtree
    # and consumes a hash from an adjacent subtree. Indexes in sorted order;
    # note that n >> i is always odd here.
    m = _trailing_zeros(n + 1)
    indexes = [0] * m
    for i in range(m):
        indexes[m - 1 - i] = stored_hash_index(i, (n >> i) - 1)
    old = _read_exact(reader, indexes) if m else []
    for i in range(m):
        h = node_hash(old[m - 1 - i], h)
        hashes.append(h)
    return hashes


# ---------------------------------------------------------------------------
# Tree heads and proofs from stored hashes (tlog TreeHash, ProveRecord, ProveTree)
# ---------------------------------------------------------------------------


def _sub_tree_index(lo: int, hi: int, need: list[int]) -> list[int]:
    """_sub_tree_index appends the storage indexes needed to hash leaves [lo, hi).

    Port of tlog.subTreeIndex (RFC 9162 §2.1.1): [lo, hi) is split into perfect
    subtrees of decreasing size, each of which is a single stored hash.
    """
    while lo < hi:
        k, level = _maxpow2(hi - lo + 1)
        if lo & (k - 1):  # pragma: no cover - internal invariant
            raise AssertionError("merkle: bad math in _sub_tree_index")
        need.append(stored_hash_index(level, lo >> level))
        lo += k
    return need


def _sub_tree_hash(lo: int, hi: int, hashes: list[bytes], pos: int) -> tuple[bytes, int]:
    """_sub_tree_hash computes MTH(D[lo:hi]) from hashes[pos:] as laid out by _sub_tree_index.

    Port of tlog.subTreeHash (RFC 9162 §2.1.1). Returns the hash and the
    position of the first unconsumed hash.
    """
    num_tree = 0
    while lo < hi:
        k, _ = _maxpow2(hi - lo + 1)
        if lo & (k - 1):  # pragma: no cover - internal invariant
            raise AssertionError("merkle: bad math in _sub_tree_hash")
        num_tree += 1
        lo += k
    if num_tree == 0 or len(hashes) - pos < num_tree:  # pragma: no cover - internal invariant
        raise AssertionError("merkle: bad index math in _sub_tree_hash")
    h = hashes[pos + num_tree - 1]
    for i in range(pos + num_tree - 2, pos - 1, -1):
        h = node_hash(hashes[i], h)
    return h, pos + num_tree


def tree_hash(n: int, reader: HashReader) -> bytes:
    """tree_hash returns MTH(D[n]), the root of the first n leaves, RFC 9162 §2.1.1.

    Port of tlog.TreeHash: a single ``read_hashes`` call for at most
    1 + log2(n) stored hashes. Unlike tlog (which returns an all-zero hash), the
    empty tree yields :data:`EMPTY_ROOT` as RFC 9162 §2.1.1 specifies.
    """
    _check_nonneg_int("n", n)
    if n == 0:
        return EMPTY_ROOT
    indexes = _sub_tree_index(0, n, [])
    hashes = _read_exact(reader, indexes)
    h, pos = _sub_tree_hash(0, n, hashes, 0)
    if pos != len(hashes):  # pragma: no cover - internal invariant
        raise AssertionError("merkle: bad index math in tree_hash")
    return h


def _leaf_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    """_leaf_proof_index appends the indexes needed for PATH(n, D[lo:hi]), RFC 9162 §2.1.3.1.

    Port of tlog.leafProofIndex.
    """
    if not lo <= n < hi:  # pragma: no cover - internal invariant
        raise AssertionError("merkle: bad math in _leaf_proof_index")
    if lo + 1 == hi:
        return need
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        need = _leaf_proof_index(lo, lo + k, n, need)
        need = _sub_tree_index(lo + k, hi, need)
    else:
        need = _sub_tree_index(lo, lo + k, need)
        need = _leaf_proof_index(lo + k, hi, n, need)
    return need


def _leaf_proof(lo: int, hi: int, n: int, hashes: list[bytes], pos: int) -> tuple[list[bytes], int]:
    """_leaf_proof builds PATH(n, D[lo:hi]) from stored hashes, RFC 9162 §2.1.3.1.

    Port of tlog.leafProof. The proof is ordered from the leaf up to the root.
    """
    if not lo <= n < hi:  # pragma: no cover - internal invariant
        raise AssertionError("merkle: bad math in _leaf_proof")
    if lo + 1 == hi:
        # Reached the leaf: the verifier knows its hash, so nothing to send.
        return [], pos
    # Walk down the tree toward n, recording the hash of the path not taken.
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        p, pos = _leaf_proof(lo, lo + k, n, hashes, pos)
        th, pos = _sub_tree_hash(lo + k, hi, hashes, pos)
    else:
        th, pos = _sub_tree_hash(lo, lo + k, hashes, pos)
        p, pos = _leaf_proof(lo + k, hi, n, hashes, pos)
    p.append(th)
    return p, pos


def inclusion_proof(index: int, size: int, reader: HashReader) -> list[bytes]:
    """inclusion_proof returns PATH(index, D[size]), the audit path of RFC 9162 §2.1.3.1.

    Port of tlog.ProveRecord. Raises ValueError unless 0 <= index < size.
    """
    if type(index) is not int or type(size) is not int or not 0 <= index < size:
        raise ValueError(f"merkle: invalid inclusion_proof arguments index={index!r} size={size!r}")
    indexes = _leaf_proof_index(0, size, index, [])
    if not indexes:
        return []
    hashes = _read_exact(reader, indexes)
    p, pos = _leaf_proof(0, size, index, hashes, 0)
    if pos != len(hashes):  # pragma: no cover - internal invariant
        raise AssertionError("merkle: bad index math in inclusion_proof")
    return p


def _tree_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    """_tree_proof_index appends the indexes needed for SUBPROOF(n, D[lo:hi]), RFC 9162 §2.1.4.1.

    Port of tlog.treeProofIndex.
    """
    if not lo < n <= hi:  # pragma: no cover - internal invariant
        raise AssertionError("merkle: bad math in _tree_proof_index")
    if n == hi:
        if lo == 0:
            return need
        return _sub_tree_index(lo, hi, need)
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        need = _tree_proof_index(lo, lo + k, n, need)
        need = _sub_tree_index(lo + k, hi, need)
    else:
        need = _sub_tree_index(lo, lo + k, need)
        need = _tree_proof_index(lo + k, hi, n, need)
    return need


def _tree_proof(lo: int, hi: int, n: int, hashes: list[bytes], pos: int) -> tuple[list[bytes], int]:
    """_tree_proof builds SUBPROOF(n, D[lo:hi], lo == 0) from stored hashes, RFC 9162 §2.1.4.1.

    Port of tlog.treeProof.
    """
    if not lo < n <= hi:  # pragma: no cover - internal invariant
        raise AssertionError("merkle: bad math in _tree_proof")
    if n == hi:
        # Reached common ground.
        if lo == 0:
            # This subtree is exactly the old tree; the verifier knows its hash.
            return [], pos
        th, pos = _sub_tree_hash(lo, hi, hashes, pos)
        return [th], pos
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        p, pos = _tree_proof(lo, lo + k, n, hashes, pos)
        th, pos = _sub_tree_hash(lo + k, hi, hashes, pos)
    else:
        th, pos = _sub_tree_hash(lo, lo + k, hashes, pos)
        p, pos = _tree_proof(lo + k, hi, n, hashes, pos)
    p.append(th)
    return p, pos


def consistency_proof(size1: int, size2: int, reader: HashReader) -> list[bytes]:
    """consistency_proof returns PROOF(size1, D[size2]), RFC 9162 §2.1.4.1.

    Port of tlog.ProveTree (whose argument order is (t=size2, n=size1)). Raises
    ValueError unless 1 <= size1 <= size2; the proof for size1 == size2 is empty.
    """
    if type(size1) is not int or type(size2) is not int or not 1 <= size1 <= size2:
        raise ValueError(
            f"merkle: invalid consistency_proof arguments size1={size1!r} size2={size2!r}"
        )
    indexes = _tree_proof_index(0, size2, size1, [])
    if not indexes:
        return []
    hashes = _read_exact(reader, indexes)
    p, pos = _tree_proof(0, size2, size1, hashes, 0)
    if pos != len(hashes):  # pragma: no cover - internal invariant
        raise AssertionError("merkle: bad index math in consistency_proof")
    return p


class MemoryHashStore:
    """MemoryHashStore is an in-memory, append-only list of stored hashes (a HashReader).

    Hashes are laid out as by :func:`stored_hash_index`, so after ``n`` appends
    the store holds ``stored_hash_count(n)`` hashes and can serve tree heads
    (:func:`tree_hash`) and proofs for every tree size 0..n (RFC 9162 §2.1).
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        """__init__ creates a store, optionally appending the given leaf hashes."""
        self._hashes: list[bytes] = []
        self._size = 0
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        """size is the number of leaves appended so far."""
        return self._size

    def __len__(self) -> int:
        """__len__ returns the number of leaves (not of stored hashes)."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """hashes is a snapshot of every stored hash, in storage-index order."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> int:
        """append adds a leaf (given by its RFC 9162 §2.1.1 leaf hash) and returns its index."""
        n = self._size
        self._hashes.extend(stored_hashes(n, leaf_hash, self))
        self._size = n + 1
        return n

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        """read_hashes returns the stored hashes at the given indexes (HashReader).

        Raises IndexError for an index that is negative or not yet stored.
        """
        stored = self._hashes
        limit = len(stored)
        out: list[bytes] = []
        for i in indexes:
            if type(i) is not int or not 0 <= i < limit:
                raise IndexError(f"merkle: stored hash index {i!r} out of range [0, {limit})")
            out.append(stored[i])
        return out

    def root(self) -> bytes:
        """root returns the current tree head MTH(D[size]), RFC 9162 §2.1.1."""
        return tree_hash(self._size, self)


# ---------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2) — never raises
# ---------------------------------------------------------------------------


def _valid_size(x: object) -> bool:
    """_valid_size reports whether x is a plain int in [0, 2**64) (RFC 9162 sizes are uint64)."""
    return type(x) is int and 0 <= x <= _MAX_SIZE


def _as_bytes(x: object) -> bytes | None:
    """_as_bytes returns x as plain bytes if it is a bytes object (or subclass), else None."""
    if type(x) is bytes:
        return x
    if not isinstance(x, bytes):
        return None
    try:  # a bytes subclass: take a plain copy so no overridden method runs later
        return bytes(memoryview(x))
    except Exception:  # hostile subclass; verifiers must not raise
        return None


def _as_hash(x: object) -> bytes | None:
    """_as_hash returns x as plain bytes if it is a HASH_SIZE-byte bytes object, else None."""
    b = _as_bytes(x)
    return b if b is not None and len(b) == HASH_SIZE else None


def _as_proof(proof: object) -> list[bytes] | None:
    """_as_proof returns the proof as a list of plain 32-byte hashes, or None if malformed."""
    if isinstance(proof, (str, bytes, bytearray, memoryview)) or not isinstance(proof, Sequence):
        return None
    try:
        length = len(proof)
        if length > _MAX_PROOF_LEN:
            return None
        items = [proof[i] for i in range(length)]
    except Exception:  # hostile Sequence; verifiers must not raise
        return None
    out: list[bytes] = []
    for item in items:
        h = _as_hash(item)
        if h is None:
            return None
        out.append(h)
    return out


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """verify_inclusion checks an inclusion proof (audit path), RFC 9162 §2.1.3.2.

    Returns True iff ``proof`` proves that the leaf with hash ``leaf_hash`` is at
    position ``index`` of the tree of ``size`` leaves whose head is ``root``.
    ``leaf_hash`` is the RFC 9162 §2.1.1 leaf hash, not the raw entry.

    Never raises: malformed or hostile input (non-int or out-of-range index or
    size, index >= size, hashes that are not 32-byte ``bytes``, proofs of the wrong
    length or containing non-hashes) returns False.
    """
    if not (_valid_size(index) and _valid_size(size)) or index >= size:
        return False
    r = _as_hash(leaf_hash)
    want = _as_hash(root)
    path = _as_proof(proof)
    if r is None or want is None or path is None:
        return False
    # 1.-3. fn = leaf_index, sn = tree_size - 1, r = hash.
    fn = index
    sn = size - 1
    # 4. For each value p in the inclusion_path array:
    for p in path:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = node_hash(p, r)
            # ii. If LSB(fn) is not set, then right-shift both fn and sn equally
            #     until either LSB(fn) is set or fn is 0.
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            # Otherwise: Set r to HASH(0x01 || r || p).
            r = node_hash(r, p)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Compare sn to 0. Compare r against the root_hash.
    return sn == 0 and r == want


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """verify_consistency checks a consistency proof between two tree heads, RFC 9162 §2.1.4.2.

    Returns True iff ``proof`` proves that the tree of ``size1`` leaves with head
    ``root1`` is a prefix of the tree of ``size2`` leaves with head ``root2``.

    * size1 == 0 is always rejected: every tree extends the empty tree, so such a
      "proof" proves nothing (transparency-dev/merkle rejects it since 2026-06).
    * size1 == size2 requires an empty proof and root1 == root2.
    * Otherwise 0 < size1 < size2 and the RFC 9162 §2.1.4.2 algorithm is applied.

    Never raises: malformed or hostile input (non-int or out-of-range sizes,
    size1 > size2, hashes that are not 32-byte ``bytes``, proofs of the wrong
    length or containing non-hashes) returns False.
    """
    if not (_valid_size(size1) and _valid_size(size2)) or size1 == 0 or size1 > size2:
        return False
    if size1 == size2:
        # As transparency-dev/merkle (and its conformance vectors): equal sizes need
        # only an empty proof and identical roots; nothing is hashed, so no length check.
        first, second = _as_bytes(root1), _as_bytes(root2)
        return first is not None and first == second and _as_proof(proof) == []
    first_hash = _as_hash(root1)
    second_hash = _as_hash(root2)
    path = _as_proof(proof)
    if first_hash is None or second_hash is None or path is None:
        return False
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not path:
        return False
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path.
    if size1 & (size1 - 1) == 0:
        path.insert(0, first_hash)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn = size1 - 1
    sn = size2 - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # iii. If LSB(fn) is not set, then right-shift both fn and sn equally
            #      until either LSB(fn) is set or fn is 0.
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            # Otherwise: Set sr to HASH(0x01 || sr || c).
            sr = node_hash(sr, c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. Verify fr == first_hash, sr == second_hash, and sn == 0.
    return sn == 0 and fr == first_hash and sr == second_hash
