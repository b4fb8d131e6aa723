"""Tests for habeas.ledger.merkle (RFC 9162 §2.1 Merkle trees).

Sources of truth, in order of independence from the implementation:

1. The transparency-dev/merkle conformance vectors, vendored in ``tests/vectors/merkle``.
2. Real Certificate Transparency data (Google Argon2020), in ``tests/vectors/ct-argon2020``
   (tests/vectors/README.md says where each file comes from and under which licence).
3. The RFC 6962 reference tree roots (certificate-transparency / transparency-dev testonly).
4. A direct, recursive transcription of the RFC 9162 §2.1 definitions (MTH, PATH, PROOF)
   in this file, used as an oracle for property-based tests of the tlog-style port.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habeas.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    HashReader,
    MemoryHashStore,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    split_stored_hash_index,
    stored_hash_count,
    stored_hash_index,
    stored_hashes,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)

# Frozen inside the repository, never fetched or read from outside it (docs/DESIGN.md §6).
VECTORS = Path(__file__).resolve().parents[1] / "vectors"
MERKLE_VECTORS = VECTORS / "merkle"
CT_VECTORS = VECTORS / "ct-argon2020"

# The subtreeinclusion/ and subtreeconsistency/ folders are NOT run here: they are a
# different scheme, not RFC 9162 §2.1 tree-head proofs. Their vectors carry
# `start`/`end` (and `size`) instead of `treeSize`/`size1`/`size2`: they prove
# inclusion in / consistency with the hash of an arbitrary subtree [start, end)
# of a log (transparency-dev/merkle's subtree proofs, as used by Merkle Tree
# Certificates), for which this module has no API.
SKIPPED_VECTOR_DIRS = ("subtreeinclusion", "subtreeconsistency")



def b64(s: str) -> bytes:
    return base64.b64decode(s, validate=True)


def flip_bit(h: bytes, bit: int) -> bytes:
    bit %= len(h) * 8
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


# ---------------------------------------------------------------------------
# RFC 9162 §2.1 reference oracle: literal, recursive transcriptions (slow, obvious)
# ---------------------------------------------------------------------------


def _k(n: int) -> int:
    """Largest power of two strictly smaller than n (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, RFC 9162 §2.1.1."""
    if not d:
        return EMPTY_ROOT
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 §2.1.3.1."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1."""
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1."""
    return ref_subproof(m, d, True)


# Exact characterisation of which (index, size) / (size1, size2) pairs make the
# RFC 9162 verifiers perform the *same* sequence of hash operations on a proof of a
# given length. Two pairs with the same signature compute the same root from the
# same proof, so one verifies iff the other does; pairs with different signatures
# would need a SHA-256 collision. Used to judge index/size mutations precisely.


def inclusion_signature(index: int, size: int, proof_len: int) -> tuple[bool, ...] | None:
    """Sequence of 'proof hash on the left?' decisions of §2.1.3.2, or None if it must fail."""
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    ops: list[bool] = []
    for _ in range(proof_len):
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            ops.append(True)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            ops.append(False)
        fn >>= 1
        sn >>= 1
    return tuple(ops) if sn == 0 else None


def consistency_signature(size1: int, size2: int, proof_len: int) -> tuple[object, ...] | None:
    """(prepended first_hash?, decisions) of §2.1.4.2, or None if it must fail."""
    if size1 <= 0 or size1 > size2:
        return None
    if size1 == size2:
        return ("equal",) if proof_len == 0 else None
    if proof_len == 0:
        return None
    prepend = size1 & (size1 - 1) == 0
    length = proof_len + int(prepend)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    ops: list[bool] = []
    for _ in range(length - 1):
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            ops.append(True)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            ops.append(False)
        fn >>= 1
        sn >>= 1
    return (prepend, tuple(ops)) if sn == 0 else None


# ---------------------------------------------------------------------------
# RFC 6962 reference tree (certificate-transparency / transparency-dev testonly)
# ---------------------------------------------------------------------------

RFC6962_LEAVES = [
    bytes.fromhex(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
RFC6962_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
RFC6962_LEAF_HASHES = [leaf_hash(x) for x in RFC6962_LEAVES]


@functools.cache
def rfc6962_store() -> MemoryHashStore:
    return MemoryHashStore(RFC6962_LEAF_HASHES)


def test_constants() -> None:
    assert HASH_SIZE == 32
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT
    assert tree_hash(0, MemoryHashStore()) == EMPTY_ROOT


def test_leaf_and_node_hash_domain_separation() -> None:
    assert leaf_hash(b"").hex() == RFC6962_ROOTS[1]
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    import hashlib

    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert node_hash(a, b) != node_hash(b, a)
    assert leaf_hash(a + b) != node_hash(a, b)


@pytest.mark.parametrize("size", sorted(RFC6962_ROOTS))
def test_rfc6962_reference_roots(size: int) -> None:
    want = bytes.fromhex(RFC6962_ROOTS[size])
    assert root(RFC6962_LEAF_HASHES[:size]) == want
    assert tree_hash(size, rfc6962_store()) == want
    assert ref_mth(RFC6962_LEAF_HASHES[:size]) == want


def test_rfc6962_reference_proofs_all_verify() -> None:
    store = rfc6962_store()
    for n in range(1, 9):
        r = bytes.fromhex(RFC6962_ROOTS[n])
        for i in range(n):
            p = inclusion_proof(i, n, store)
            assert p == ref_path(i, RFC6962_LEAF_HASHES[:n])
            assert verify_inclusion(i, n, RFC6962_LEAF_HASHES[i], p, r)
        for m in range(1, n + 1):
            p = consistency_proof(m, n, store)
            assert p == ref_proof(m, RFC6962_LEAF_HASHES[:n])
            assert verify_consistency(m, n, bytes.fromhex(RFC6962_ROOTS[m]), r, p)


# ---------------------------------------------------------------------------
# transparency-dev/merkle conformance vectors
# ---------------------------------------------------------------------------


def _vector_params(kind: str) -> list[Any]:
    folder = MERKLE_VECTORS / kind
    files = sorted(folder.rglob("*.json")) if folder.is_dir() else []
    if not files:
        # Fail loudly (never skip) when the corpus is missing.
        return [pytest.param(None, id=f"MISSING:{folder}")]
    return [pytest.param(f, id=f.relative_to(MERKLE_VECTORS).as_posix()) for f in files]


def _load(path: Path | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        pytest.fail(f"conformance vectors not found under {MERKLE_VECTORS}")
    rel = path.relative_to(MERKLE_VECTORS).as_posix()
    data: dict[str, Any] = json.loads(path.read_text())
    return rel, data


def _proof(data: dict[str, Any]) -> list[bytes]:
    # JSON null is Go's nil slice: an empty proof.
    return [b64(p) for p in (data["proof"] or [])]


def test_vector_corpus_present() -> None:
    assert MERKLE_VECTORS.is_dir(), f"missing {MERKLE_VECTORS}"
    counts = {d.name: len(list(d.rglob("*.json"))) for d in MERKLE_VECTORS.iterdir() if d.is_dir()}
    assert counts.keys() == {"inclusion", "consistency", *SKIPPED_VECTOR_DIRS}
    assert counts["inclusion"] >= 98 and counts["consistency"] >= 98
    # The skipped folders really are the [start, end) subtree scheme.
    for name in SKIPPED_VECTOR_DIRS:
        for f in (MERKLE_VECTORS / name).rglob("*.json"):
            assert {"start", "end"} <= json.loads(f.read_text()).keys()


@pytest.mark.parametrize("path", _vector_params("inclusion"))
def test_inclusion_vector(path: Path | None) -> None:
    _rel, d = _load(path)
    want = not d["wantErr"]
    proof = _proof(d)
    args = (d["leafIdx"], d["treeSize"], b64(d["leafHash"]), proof, b64(d["root"]))
    assert verify_inclusion(*args) is want
    if want and d["treeSize"] in RFC6962_ROOTS and args[4].hex() == RFC6962_ROOTS[d["treeSize"]]:
        # Happy paths over the RFC 6962 reference tree: our prover agrees byte-for-byte.
        assert inclusion_proof(d["leafIdx"], d["treeSize"], rfc6962_store()) == proof


@pytest.mark.parametrize("path", _vector_params("consistency"))
def test_consistency_vector(path: Path | None) -> None:
    _rel, d = _load(path)
    want = not d["wantErr"]
    proof = _proof(d)
    r1, r2 = b64(d["root1"]), b64(d["root2"])
    assert verify_consistency(d["size1"], d["size2"], r1, r2, proof) is want
    if want and d["size2"] in RFC6962_ROOTS and r2.hex() == RFC6962_ROOTS[d["size2"]]:
        assert consistency_proof(d["size1"], d["size2"], rfc6962_store()) == proof


def test_equal_sizes_compare_roots_byte_for_byte() -> None:
    # As transparency-dev/merkle (vector additional/sizes-are-equal-one-and-proof-is-empty
    # uses 12-byte placeholder roots): equal sizes need an empty proof and identical
    # roots; nothing is hashed, so the roots' length is not checked.
    h = leaf_hash(b"entry")
    assert verify_consistency(1, 1, h, h, [])
    assert verify_consistency(1, 1, h[:12], h[:12], [])
    assert not verify_consistency(1, 1, h, leaf_hash(b"other"), [])
    assert not verify_consistency(1, 1, h, h, [h])


# ---------------------------------------------------------------------------
# Real Certificate Transparency data: Google Argon2020
# ---------------------------------------------------------------------------

CT_OLD_SIZE = 3_654_490
CT_OLD_ROOT = "AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ="


def _ct(name: str) -> Any:
    path = CT_VECTORS / name
    assert path.is_file(), f"missing CT test data {path}"
    return json.loads(path.read_text())


def test_ct_argon2020_inclusion() -> None:
    sth, entries, proof = _ct("sth.json"), _ct("entries.json"), _ct("proof.json")
    size, head = sth["tree_size"], b64(sth["sha256_root_hash"])
    assert size == 961_984_013
    index = proof["leaf_index"]
    assert index == 10000
    path = [b64(h) for h in proof["audit_path"]]
    assert len(path) == 30
    leaf = leaf_hash(b64(entries["entries"][0]["leaf_input"]))
    assert verify_inclusion(index, size, leaf, path, head)
    # Any tampering breaks it.
    assert not verify_inclusion(index + 1, size, leaf, path, head)
    assert not verify_inclusion(index, size, flip_bit(leaf, 0), path, head)
    assert not verify_inclusion(index, size, leaf, path[:-1], head)
    assert not verify_inclusion(
        index, size, leaf, [*path[:7], flip_bit(path[7], 9), *path[8:]], head
    )


def test_ct_argon2020_consistency() -> None:
    sth, cons = _ct("sth.json"), _ct("consistency.json")
    size, head = sth["tree_size"], b64(sth["sha256_root_hash"])
    path = [b64(h) for h in cons["consistency"]]
    old = b64(CT_OLD_ROOT)
    assert verify_consistency(CT_OLD_SIZE, size, old, head, path)
    assert not verify_consistency(CT_OLD_SIZE, size, head, old, path)
    assert not verify_consistency(CT_OLD_SIZE + 1, size, old, head, path)
    assert not verify_consistency(CT_OLD_SIZE, size, flip_bit(old, 255), head, path)
    assert not verify_consistency(CT_OLD_SIZE, size, old, head, path[1:])


# ---------------------------------------------------------------------------
# Stored-hash layout (sumdb/tlog)
# ---------------------------------------------------------------------------


def test_stored_hash_index_layout() -> None:
    # Storage order: leaf 0, leaf 1, (1,0), leaf 2, leaf 3, (1,1), (2,0), leaf 4, ...
    order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4), (0, 5), (1, 2)]
    for index, (level, n) in enumerate(order):
        assert stored_hash_index(level, n) == index
        assert split_stored_hash_index(index) == (level, n)
    assert [stored_hash_count(n) for n in range(9)] == [0, 1, 3, 4, 7, 8, 10, 11, 15]


def test_stored_hash_layout_exhaustive() -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(300)]
    store = MemoryHashStore()
    for n, h in enumerate(leaves):
        assert stored_hash_count(n) == len(store.hashes)
        assert store.append(h) == n
    assert len(store) == store.size == 300
    assert stored_hash_count(300) == len(store.hashes)
    for index, h in enumerate(store.hashes):
        level, k = split_stored_hash_index(index)
        assert stored_hash_index(level, k) == index
        assert h == ref_mth(leaves[k << level : (k + 1) << level])
    for index in (10**6, 2**40 + 12345, 2**62 - 1):  # large indexes round-trip too
        assert stored_hash_index(*split_stored_hash_index(index)) == index


class _ShortReader:
    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        return [EMPTY_ROOT] * (len(indexes) - 1)


class _BadHashReader:
    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        return [b"short"] * len(indexes)


def test_invalid_arguments_raise_value_error() -> None:
    store = MemoryHashStore([leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")])
    reader: HashReader = store
    for i, n in [(-1, 3), (3, 3), (0, 0), (5, 3)]:
        with pytest.raises(ValueError):
            inclusion_proof(i, n, reader)
    for m, n in [(0, 3), (0, 0), (4, 3), (-1, 2)]:
        with pytest.raises(ValueError):
            consistency_proof(m, n, reader)
    for bad in (-1, True, 1.0):
        with pytest.raises(ValueError):
            tree_hash(bad, reader)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            stored_hash_count(bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            split_stored_hash_index(bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            stored_hash_index(bad, 0)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            stored_hash_index(0, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        stored_hashes(3, b"\x00" * 31, reader)
    with pytest.raises(ValueError):
        store.append(b"not a hash")
    with pytest.raises(ValueError):
        root([leaf_hash(b"a"), b"\x00" * 33])
    with pytest.raises(ValueError):
        tree_hash(3, _ShortReader())
    with pytest.raises(ValueError):
        tree_hash(3, _BadHashReader())
    with pytest.raises(ValueError):
        stored_hashes(1, leaf_hash(b"b"), _ShortReader())
    with pytest.raises(IndexError):
        store.read_hashes([-1])
    with pytest.raises(IndexError):
        store.read_hashes([len(store.hashes)])
    # Asking for a tree larger than what was stored surfaces the reader's error.
    with pytest.raises(IndexError):
        tree_hash(4, reader)
    assert store.size == 3  # failed append left the store unchanged


def test_large_tree_root_matches_store() -> None:
    n = (1 << 17) + 5
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    start = time.perf_counter()
    head = root(leaves)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0  # ~0.1 s in practice; guards against accidental O(n log n)+ regressions
    store = MemoryHashStore(leaves)
    assert store.root() == head
    for i in (0, 1, n // 2, n - 2, n - 1):
        assert verify_inclusion(i, n, leaves[i], inclusion_proof(i, n, store), head)
    for m in (1, 2, 3, 1 << 16, (1 << 17) - 1, 1 << 17, n - 1, n):
        p = consistency_proof(m, n, store)
        assert verify_consistency(m, n, tree_hash(m, store), head, p)


# ---------------------------------------------------------------------------
# Property-based tests
# ---------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def trees(draw: st.DrawFn, max_size: int = 300) -> tuple[list[bytes], MemoryHashStore]:
    """A random tree of 1..max_size distinct leaves, built in a MemoryHashStore."""
    n = draw(st.integers(min_value=1, max_value=max_size))
    salt = draw(st.binary(max_size=8))
    leaves = [leaf_hash(salt + i.to_bytes(2, "big")) for i in range(n)]
    return leaves, MemoryHashStore(leaves)


def _mutations(value: int, bits: Iterator[int]) -> set[int]:
    out = {value + 1, value - 1}
    out.update(value ^ (1 << b) for b in bits)
    out.discard(value)
    return out


@PROPERTY
@given(trees(), st.data())
def test_root_matches_tree_hash(
    tree: tuple[list[bytes], MemoryHashStore], data: st.DataObject
) -> None:
    leaves, store = tree
    n = len(leaves)
    assert root(leaves) == tree_hash(n, store) == store.root() == ref_mth(leaves)
    assert len(store.hashes) == stored_hash_count(n)
    k = data.draw(st.integers(min_value=0, max_value=n), label="prefix")
    assert tree_hash(k, store) == root(leaves[:k]) == ref_mth(leaves[:k])


@PROPERTY
@given(trees())
def test_every_inclusion_proof_verifies(tree: tuple[list[bytes], MemoryHashStore]) -> None:
    leaves, store = tree
    n = len(leaves)
    head = root(leaves)
    for i in range(n):
        p = inclusion_proof(i, n, store)
        assert verify_inclusion(i, n, leaves[i], p, head)
        assert not verify_inclusion(i, n, leaves[i - 1] if n > 1 else EMPTY_ROOT, p, head)


@PROPERTY
@given(trees())
def test_every_consistency_proof_verifies(tree: tuple[list[bytes], MemoryHashStore]) -> None:
    leaves, store = tree
    n = len(leaves)
    head = root(leaves)
    for m in range(1, n + 1):
        p = consistency_proof(m, n, store)
        assert verify_consistency(m, n, tree_hash(m, store), head, p)
    # Proofs between arbitrary intermediate sizes, too.
    for m in range(1, n + 1, 7):
        for k in range(m, n + 1, 11):
            p = consistency_proof(m, k, store)
            assert verify_consistency(m, k, tree_hash(m, store), tree_hash(k, store), p)


@PROPERTY
@given(trees(), st.data())
def test_proofs_match_rfc_definitions(
    tree: tuple[list[bytes], MemoryHashStore], data: st.DataObject
) -> None:
    leaves, store = tree
    n = len(leaves)
    size = data.draw(st.integers(min_value=1, max_value=n), label="size")
    i = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    m = data.draw(st.integers(min_value=1, max_value=size), label="size1")
    assert inclusion_proof(i, size, store) == ref_path(i, leaves[:size])
    assert consistency_proof(m, size, store) == ref_proof(m, leaves[:size])


@settings(max_examples=300, deadline=None)
@given(trees(), st.data())
def test_inclusion_tampering_fails(
    tree: tuple[list[bytes], MemoryHashStore], data: st.DataObject
) -> None:
    leaves, store = tree
    n = len(leaves)
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    proof = inclusion_proof(i, n, store)
    head = root(leaves)
    leaf = leaves[i]
    assert verify_inclusion(i, n, leaf, proof, head)
    bit = st.integers(min_value=0, max_value=8 * HASH_SIZE - 1)

    # Any single bit flip of any proof hash, the leaf hash or the root fails.
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = flip_bit(bad[j], data.draw(bit, label=f"proof[{j}] bit"))
        assert not verify_inclusion(i, n, leaf, bad, head)
    assert not verify_inclusion(i, n, flip_bit(leaf, data.draw(bit)), proof, head)
    assert not verify_inclusion(i, n, leaf, proof, flip_bit(head, data.draw(bit)))
    # Dropping, appending or duplicating a proof element fails.
    assert not verify_inclusion(i, n, leaf, [*proof, head], head)
    assert not verify_inclusion(i, n, leaf, [leaf, *proof], head)
    if proof:
        assert not verify_inclusion(i, n, leaf, proof[:-1], head)
        assert not verify_inclusion(i, n, leaf, proof[1:], head)

    sig = inclusion_signature(i, n, len(proof))
    assert sig is not None
    # Changing the index (+/-1, XOR any bit) never verifies: distinct leaves of one
    # tree have distinct paths, so the verifier would hash in a different order.
    for i2 in _mutations(i, iter(range(12))):
        assert inclusion_signature(i2, n, len(proof)) != sig
        assert not verify_inclusion(i2, n, leaf, proof, head)
    # Changing the size CAN legitimately still verify: an audit path only encodes
    # the leaf's path, and e.g. leaf 0 has the same path shape in trees of size 5
    # and 6 ([h1, h23, h4] vs [h1, h23, h45]), so (0, 6) with the size-5 proof and
    # size-5 root recomputes that same root. RFC 9162 verification does not (and
    # cannot) bind the size beyond the path shape; the signed tree head does. So
    # the exact expectation is: verifies iff the verifier performs the identical
    # sequence of hash operations (same signature); otherwise it must fail.
    for n2 in _mutations(n, iter(range(12))):
        expected = inclusion_signature(i, n2, len(proof)) == sig
        assert verify_inclusion(i, n2, leaf, proof, head) is expected


@settings(max_examples=300, deadline=None)
@given(trees(), st.data())
def test_consistency_tampering_fails(
    tree: tuple[list[bytes], MemoryHashStore], data: st.DataObject
) -> None:
    leaves, store = tree
    n = len(leaves)
    m = data.draw(st.integers(min_value=1, max_value=n), label="size1")
    proof = consistency_proof(m, n, store)
    r1, r2 = tree_hash(m, store), root(leaves)
    assert verify_consistency(m, n, r1, r2, proof)
    bit = st.integers(min_value=0, max_value=8 * HASH_SIZE - 1)

    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = flip_bit(bad[j], data.draw(bit, label=f"proof[{j}] bit"))
        assert not verify_consistency(m, n, r1, r2, bad)
    assert not verify_consistency(m, n, flip_bit(r1, data.draw(bit)), r2, proof)
    assert not verify_consistency(m, n, r1, flip_bit(r2, data.draw(bit)), proof)
    if m != n:
        assert not verify_consistency(m, n, r2, r1, proof)
    assert not verify_consistency(m, n, r1, r2, [*proof, r2])
    assert not verify_consistency(m, n, r1, r2, [r1, *proof])
    if proof:
        assert not verify_consistency(m, n, r1, r2, proof[:-1])
        assert not verify_consistency(m, n, r1, r2, proof[1:])

    # Changing size1 never verifies: root1 must be rebuilt from the perfect
    # subtrees that size1 decomposes into, and a different size1 decomposes (and so
    # hashes) differently. This covers size1 == 0, size1 > size2 and size1 == size2
    # with a non-empty proof.
    sig = consistency_signature(m, n, len(proof))
    assert sig is not None
    for m2 in _mutations(m, iter(range(12))):
        assert consistency_signature(m2, n, len(proof)) != sig
        assert not verify_consistency(m2, n, r1, r2, proof)
    # Changing size2, as for the inclusion size, CAN legitimately still verify
    # (e.g. 1 -> 5 and 1 -> 6 share the proof shape [h1, h23, h4] / [h1, h23, h45]):
    # it verifies exactly when the verifier performs the identical hash
    # computation, and must fail otherwise.
    for n2 in _mutations(n, iter(range(12))):
        expected = consistency_signature(m, n2, len(proof)) == sig
        assert verify_consistency(m, n2, r1, r2, proof) is expected


# ---------------------------------------------------------------------------
# Hostile input: the verifiers return False and never raise
# ---------------------------------------------------------------------------


class _ExplodingSequence(Sequence[bytes]):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: Any) -> Any:
        raise RuntimeError("boom")


class _LyingLenSequence(Sequence[bytes]):
    def __len__(self) -> int:
        return 10**9

    def __getitem__(self, i: Any) -> Any:
        return EMPTY_ROOT


class _WeirdBytes(bytes):
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("boom")

    def __hash__(self) -> int:
        return 0

    def __len__(self) -> int:
        raise RuntimeError("boom")


def _inclusion_case() -> tuple[int, int, bytes, list[bytes], bytes]:
    store = rfc6962_store()
    return 5, 8, RFC6962_LEAF_HASHES[5], inclusion_proof(5, 8, store), tree_hash(8, store)


def _consistency_case() -> tuple[int, int, bytes, bytes, list[bytes]]:
    store = rfc6962_store()
    return 6, 8, tree_hash(6, store), tree_hash(8, store), consistency_proof(6, 8, store)


GOOD = EMPTY_ROOT
HOSTILE_HASHES: list[Any] = [
    None,
    b"",
    GOOD[:31],
    GOOD + b"\x00",
    GOOD.hex(),
    bytearray(GOOD),
    memoryview(GOOD),
    [GOOD],
    0,
    object(),
]
HOSTILE_PROOFS: list[Any] = [
    None,
    GOOD,
    GOOD * 3,
    "abc",
    {"a": GOOD},
    {GOOD},
    iter([GOOD]),
    [None],
    [GOOD, None],
    [GOOD[:31]],
    [GOOD.hex()],
    [GOOD] * 65,
    [GOOD] * 10_000,
    _ExplodingSequence(),
    _LyingLenSequence(),
    [_WeirdBytes(GOOD)],
    42,
]
HOSTILE_SIZES: list[Any] = [-1, -(2**64), 2**64, 2**64 + 5, 2**200, None, 1.0, "5", True, False]


def test_bool_and_int_subclass_sizes_rejected() -> None:
    # bool is an int subclass; True == 1 must not be accepted as an index or size.
    store = rfc6962_store()
    head, leaf1 = tree_hash(8, store), RFC6962_LEAF_HASHES[1]
    assert verify_inclusion(1, 8, leaf1, inclusion_proof(1, 8, store), head)
    assert not verify_inclusion(True, 8, leaf1, inclusion_proof(1, 8, store), head)
    r1 = tree_hash(1, store)
    assert verify_consistency(1, 8, r1, head, consistency_proof(1, 8, store))
    assert not verify_consistency(True, 8, r1, head, consistency_proof(1, 8, store))
    assert not verify_consistency(True, True, r1, r1, [])


def test_hostile_inclusion_inputs_return_false() -> None:
    i, n, leaf, proof, head = _inclusion_case()
    assert verify_inclusion(i, n, leaf, proof, head)
    assert verify_inclusion(i, n, leaf, tuple(proof), head)
    calls: list[tuple[Any, ...]] = []
    for h in [*HOSTILE_HASHES, _WeirdBytes(GOOD)]:
        calls += [(i, n, h, proof, head), (i, n, leaf, proof, h)]
    for p in HOSTILE_PROOFS:
        calls.append((i, n, leaf, p, head))
    for s in HOSTILE_SIZES:
        calls += [(s, n, leaf, proof, head), (i, s, leaf, proof, head)]
    calls += [
        (0, 0, leaf, [], head),  # size 0
        (0, 0, EMPTY_ROOT, [], EMPTY_ROOT),
        (n, n, leaf, proof, head),  # index == size
        (n + 1, n, leaf, proof, head),
        (2**64 - 1, 2**64 - 1, leaf, proof, head),
        (0, 1, leaf, [], EMPTY_ROOT),
    ]
    for args in calls:
        assert verify_inclusion(*args) is False, args


def test_hostile_consistency_inputs_return_false() -> None:
    m, n, r1, r2, proof = _consistency_case()
    assert verify_consistency(m, n, r1, r2, proof)
    calls: list[tuple[Any, ...]] = []
    for h in [*HOSTILE_HASHES, _WeirdBytes(GOOD)]:
        calls += [(m, n, h, r2, proof), (m, n, r1, h, proof)]
    for h in HOSTILE_HASHES:
        if not isinstance(h, bytes):  # equal byte strings at equal sizes: see below
            calls.append((n, n, h, h, []))
    for p in HOSTILE_PROOFS:
        calls += [(m, n, r1, r2, p), (n, n, r2, r2, p)]
    for s in HOSTILE_SIZES:
        calls += [(s, n, r1, r2, proof), (m, s, r1, r2, proof)]
    calls += [
        (0, n, EMPTY_ROOT, r2, proof),  # size1 == 0 is always rejected ...
        (0, n, EMPTY_ROOT, r2, []),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, []),  # ... even for two empty trees
        (n, m, r2, r1, proof),  # size1 > size2
        (m, n, r1, r2, []),  # empty proof for size1 < size2
        (n, n, r2, r2, proof),  # size1 == size2 needs an empty proof
        (n, n, r1, r2, []),  # ... and equal roots
    ]
    for args in calls:
        assert verify_consistency(*args) is False, args
    # A bytes subclass is read by value only: none of its overridden methods run.
    weird = _WeirdBytes(r2)
    assert verify_consistency(n, n, weird, weird, []) is True
    assert verify_consistency(m, n, _WeirdBytes(r1), weird, [_WeirdBytes(h) for h in proof])
