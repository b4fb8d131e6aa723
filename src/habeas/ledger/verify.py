"""The offline verifier: check a mirror or a live server from scratch, with no database.

It fetches the checkpoint, checks the log's signature and the witnesses'
cosignatures, re-hashes every entry, recomputes every tile and the root, and
checks that the log still extends the checkpoint trusted on the last run. The
first discrepancy is reported by place (which leaf, which tile, which hash).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from habeas.ledger import merkle
from habeas.ledger.leaf import SEQ_KEY
from habeas.ledger.note import (
    CheckpointBody,
    NoteError,
    Verifier,
    open_checkpoint,
    split_note,
    verify_cosignature,
)
from habeas.ledger.tiles import (
    TILE_WIDTH,
    TileError,
    bundles_for,
    decode_bundle,
    entries_path,
    levels_and_root,
    split_hashes,
    tile_path,
    tiles_for,
)

FETCH_TIMEOUT_S = 30
_SEQ = SEQ_KEY  # the leaf format's (ledger/leaf.py)
# In canonical JSON a '"' inside a string is escaped, so this only matches the key.
_SEQ_RE = re.compile(re.escape(SEQ_KEY) + rb'(\d+)[,}]')


class Discrepancy(Exception):
    """Discrepancy is the first thing that does not check out, named by place."""


class Source(Protocol):
    def fetch(self, rel: str) -> bytes: ...


@dataclass(frozen=True)
class DirSource:
    """DirSource reads an exported or mirrored tiles folder."""

    root: Path

    def fetch(self, rel: str) -> bytes:
        try:
            return (self.root / rel).read_bytes()
        except OSError as exc:
            raise Discrepancy(f"{rel}: cannot read ({exc.strerror})") from None


@dataclass(frozen=True)
class HttpSource:
    """HttpSource reads the tiles a server publishes under BASE (plain HTTP GETs)."""

    base: str

    def fetch(self, rel: str) -> bytes:
        url = self.base.rstrip("/") + "/" + rel
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            raise Discrepancy(f"{rel}: HTTP {exc.code} from {url}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise Discrepancy(f"{rel}: cannot fetch {url}: {exc}") from None


def source_for(target: str) -> Source:
    """source_for is an HTTP source for an http(s) URL, else a folder."""
    if target.startswith(("http://", "https://")):
        return HttpSource(target)
    return DirSource(Path(target))


@dataclass(frozen=True)
class Verified:
    size: int
    root: bytes
    witnesses: list[str]

    @property
    def summary(self) -> str:
        root = base64.b64encode(self.root).decode()
        cosigned = f" witnesses={','.join(self.witnesses)}" if self.witnesses else ""
        return f"OK size={self.size} root={root}{cosigned}"


def _seq_of(entry: bytes) -> int | None:
    # The envelope is canonical JSON with sorted keys: "seq" is followed by ",".
    at = entry.find(_SEQ)
    if at < 0:
        return None
    start = at + len(_SEQ)
    stop = entry.find(b",", start)
    digits = entry[start:stop] if stop > 0 else b""
    return int(digits) if digits.isdigit() else None


def _checkpoint(note: str, log: Verifier, what: str) -> CheckpointBody:
    try:
        return open_checkpoint(note, log, origin=log.name)
    except NoteError as exc:
        raise Discrepancy(f"{what}: {exc}") from None


def _count_witnesses(note: str, body: CheckpointBody, witnesses: list[Verifier]) -> list[str]:
    _, signatures = split_note(note)
    good = []
    for witness in witnesses:
        if any(verify_cosignature(body.text, sig, witness) is not None for sig in signatures):
            good.append(witness.name)
    return good


def _first_bad_seq(entries: list[bytes], first: int) -> tuple[int, int | None]:
    for offset, entry in enumerate(entries):
        seq = _seq_of(entry)
        if seq != first + offset:
            return first + offset, seq
    return first + len(entries), None


def _explain_bad_order(data: bytes, first: int) -> None:
    """_explain_bad_order names the first leaf whose entry carries the wrong seq, if any.

    Only called once hashes or counts already failed: an entry whose hash matches
    its signed tile is the event recorded at that position, so the seq check
    adds a diagnosis (missing, duplicated, reordered), not security.
    """
    entries = decode_bundle(data, None)
    if _SEQ_RE.findall(data) != [b"%d" % i for i in range(first, first + len(entries))]:
        position, seq = _first_bad_seq(entries, first)
        if seq is not None or position < first + len(entries):
            raise Discrepancy(f"leaf {position}: entry carries seq {seq}: an event is missing,"
                              " duplicated or out of order")


def _leaves(source: Source, size: int, progress: Callable[[int], None] | None,
            keep: list[bytes] | None = None) -> list[bytes]:
    # Whole bundles at a time: one regex pass for the seqs and one comparison for the
    # hashes; the per-entry search runs only to name the first leaf that fails.
    leaves: list[bytes] = []
    sha256 = hashlib.sha256
    for index, width in bundles_for(size):
        path = entries_path(index, width)
        data = source.fetch(path)
        try:
            # RFC 9162 §2.1.1 leaf hash, inlined: this is the per-leaf hot loop.
            entries = list(decode_bundle(data, None))
            hashed = [sha256(b"\x00" + entry).digest() for entry in entries]
        except TileError as exc:
            raise Discrepancy(f"entry bundle {path}: {exc}") from None
        first = index * TILE_WIDTH
        if len(hashed) != width:
            _explain_bad_order(data, first)
            raise Discrepancy(f"entry bundle {path}: holds {len(hashed)} entries,"
                              f" expected {width}")
        tile = tile_path(0, index, width)
        try:
            stored = source.fetch(tile)
            split_hashes(stored, width)
        except TileError as exc:
            raise Discrepancy(f"tile {tile}: {exc}") from None
        if b"".join(hashed) != stored:
            _explain_bad_order(data, first)
            offset = next(i for i, h in enumerate(hashed) if h != stored[32 * i:32 * i + 32])
            raise Discrepancy(
                f"leaf {first + offset}: entry hashes to {hashed[offset].hex()} but tile {tile}"
                f" holds {stored[32 * offset:32 * offset + 32].hex()}: the event was changed")
        leaves += hashed
        if keep is not None:
            keep += entries
        if progress is not None:
            progress(width)
    return leaves


def _check_upper_tiles(source: Source, size: int, kept: dict[int, list[bytes]]) -> None:
    for tile in tiles_for(size):
        if tile.level == 0:
            continue
        try:
            stored = split_hashes(source.fetch(tile.path), tile.width)
        except TileError as exc:
            raise Discrepancy(f"tile {tile.path}: {exc}") from None
        expected = kept.get(tile.level, [])[tile.first_node:tile.first_node + tile.width]
        for i, (got, want) in enumerate(zip(stored, expected, strict=True)):
            if got != want:
                raise Discrepancy(f"tile {tile.path}: hash {i} is {got.hex()},"
                                  f" recomputed {want.hex()}")


def _read_state(state: Path | None, log: Verifier) -> CheckpointBody | None:
    if state is None or not state.exists():
        return None
    return _checkpoint(state.read_text(), log, f"state {state}")


def _write_state(state: Path, note: str) -> None:
    state.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=state.parent, prefix=".state-")
    with os.fdopen(fd, "w") as handle:
        handle.write(note)
    os.replace(tmp, state)


def verify(source: Source, log: Verifier, *, witnesses: list[Verifier] | None = None,
           min_witnesses: int = 0, state: Path | None = None,
           progress: Callable[[int], None] | None = None,
           on_size: Callable[[int], None] | None = None,
           keep: list[bytes] | None = None) -> Verified:
    """verify checks the whole log at SOURCE; raises Discrepancy naming the first problem.

    KEEP, if given, receives every entry (the events' envelopes): trust them only if
    verify returns.
    """
    note = source.fetch("checkpoint").decode("utf-8", errors="replace")
    body = _checkpoint(note, log, "checkpoint")
    good = _count_witnesses(note, body, witnesses or [])
    if len(good) < min_witnesses:
        raise Discrepancy(f"checkpoint: {len(good)} valid witness cosignature(s);"
                          f" the policy requires {min_witnesses}")
    trusted = _read_state(state, log)
    if trusted is not None:
        if body.size < trusted.size:
            raise Discrepancy(f"checkpoint: size {body.size} is smaller than the trusted size"
                              f" {trusted.size}: the log was rolled back")
        if body.size == trusted.size and body.root != trusted.root:
            raise Discrepancy(f"checkpoint: fork: two checkpoints of size {body.size} with"
                              " different roots")
    if on_size is not None:
        on_size(body.size)
    leaves = _leaves(source, body.size, progress, keep)
    root, kept = levels_and_root(leaves)
    _check_upper_tiles(source, body.size, kept)
    if root != body.root:
        raise Discrepancy(f"root: the {body.size} leaves hash to {root.hex()}, but the"
                          f" checkpoint says {body.root.hex()}")
    if trusted is not None and trusted.size < body.size:
        prefix = merkle.root(leaves[:trusted.size])
        if prefix != trusted.root:
            raise Discrepancy(f"rewrite: the first {trusted.size} leaves hash to {prefix.hex()},"
                              f" not the root {trusted.root.hex()} trusted on the last run")
    if state is not None:
        _write_state(state, note)
    return Verified(body.size, body.root, good)
