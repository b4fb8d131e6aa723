"""C2SP tlog-tiles: the log as static files anyone can mirror (pure paths and layout).

`<prefix>/checkpoint`, hash tiles `<prefix>/tile/<L>/<N>[.p/<W>]` (256 hashes of
tree level 8·L each) and entry bundles `<prefix>/tile/entries/<N>[.p/<W>]`
(256 uint16-length-prefixed entries each), per c2sp.org/tlog-tiles.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
HASH_SIZE = 32
MAX_ENTRY = 0xFFFF


class TileError(ValueError):
    """TileError: a tile path or tile content is malformed."""


def encode_index(n: int) -> str:
    """encode_index writes N as 3-digit path elements, all but the last prefixed 'x'."""
    digits = f"{n:d}"
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """tile_path is the path of hash tile (LEVEL, INDEX); partial tiles get '.p/<W>'."""
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{encode_index(index)}{suffix}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """entries_path is the path of entry bundle INDEX."""
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/entries/{encode_index(index)}{suffix}"


@dataclass(frozen=True)
class Tile:
    level: int
    index: int
    width: int

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)

    @property
    def first_node(self) -> int:
        """first_node is the index, at tree level 8·level, of the tile's first hash."""
        return self.index * TILE_WIDTH


def tiles_for(size: int) -> Iterator[Tile]:
    """tiles_for lists every hash tile (full and partial) of a tree of SIZE leaves."""
    level = 0
    while True:
        count = size >> (TILE_HEIGHT * level)  # complete nodes at tree level 8·level
        if count == 0:
            return
        full, partial = divmod(count, TILE_WIDTH)
        for index in range(full):
            yield Tile(level, index, TILE_WIDTH)
        if partial:
            yield Tile(level, full, partial)
        level += 1


def is_tile_of(size: int, tile: Tile) -> bool:
    """is_tile_of says whether TILE (with its width) belongs to a tree of SIZE leaves."""
    count = size >> (TILE_HEIGHT * tile.level)
    full, partial = divmod(count, TILE_WIDTH)
    return (tile.index < full and tile.width == TILE_WIDTH) or \
        (tile.index == full and tile.width == partial)


def bundles_for(size: int) -> Iterator[tuple[int, int]]:
    """bundles_for lists (index, width) of every entry bundle of a tree of SIZE leaves."""
    full, partial = divmod(size, TILE_WIDTH)
    for index in range(full):
        yield index, TILE_WIDTH
    if partial:
        yield full, partial


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """encode_bundle joins entries, each prefixed by its big-endian uint16 length."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise TileError(f"entry of {len(entry)} bytes is over the 65,535-byte limit")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def decode_bundle(data: bytes, expected: int | None) -> list[bytes]:
    """decode_bundle splits a bundle into exactly EXPECTED entries (any if None), or raises."""
    entries: list[bytes] = []
    pos, end = 0, len(data)
    while pos < end:
        if pos + 2 > end:
            raise TileError(f"truncated length prefix after entry {len(entries)}")
        start = pos + 2
        pos = start + (data[pos] << 8 | data[pos + 1])
        if pos > end:
            raise TileError(f"entry {len(entries)} is truncated")
        entries.append(data[start:pos])
    if expected is not None and len(entries) != expected:
        raise TileError(f"holds {len(entries)} entries, expected {expected}")
    return entries


def split_hashes(data: bytes, expected: int) -> list[bytes]:
    """split_hashes reads a hash tile of exactly EXPECTED 32-byte hashes."""
    if len(data) != expected * HASH_SIZE:
        raise TileError(f"is {len(data)} bytes, expected {expected * HASH_SIZE}")
    return [data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def levels_and_root(leaf_hashes: Sequence[bytes]) -> tuple[bytes, dict[int, list[bytes]]]:
    """levels_and_root computes the RFC 9162 root level by level, keeping tile levels.

    Pairing nodes level by level and carrying an odd last node up unchanged
    gives MTH (RFC 9162 §2.1.1). Along the way the complete nodes of tree
    levels 8, 16, … are kept: they are the contents of hash tiles 1, 2, ….
    """
    if not leaf_hashes:
        return hashlib.sha256(b"").digest(), {}
    sha = hashlib.sha256
    prefix = b"\x01"
    size = len(leaf_hashes)
    level_nodes = list(leaf_hashes)
    kept: dict[int, list[bytes]] = {}
    height = 0
    while len(level_nodes) > 1:
        pairs = iter(level_nodes)
        # An odd last node is left out here and carried up below.
        upper = [sha(prefix + left + right).digest()
                 for left, right in zip(pairs, pairs, strict=False)]
        if len(level_nodes) % 2:
            upper.append(level_nodes[-1])
        level_nodes = upper
        height += 1
        if height % TILE_HEIGHT == 0:
            kept[height // TILE_HEIGHT] = level_nodes[: size >> height]
    return level_nodes[0], kept


def parse_path(path: str) -> tuple[int | None, int, int]:
    """parse_path reads 'tile/<L>/<N>[.p/<W>]' or 'tile/entries/<N>[.p/<W>]'.

    Returns (level or None for entries, index, width); raises TileError.
    """
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TileError(f"{path!r} is not a tile path")
    level: int | None
    if parts[1] == "entries":
        level = None
    elif parts[1].isdigit() and (parts[1] == "0" or not parts[1].startswith("0")):
        level = int(parts[1])
        if level > 63:
            raise TileError(f"{path!r}: level above 63")
    else:
        raise TileError(f"{path!r}: bad level")
    rest = parts[2:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        w = rest[-1]
        if not w.isdigit() or w.startswith("0") or not 1 <= int(w) <= 255:
            raise TileError(f"{path!r}: bad partial width")
        width = int(w)
        rest = [*rest[:-2], rest[-2][:-2]]
    if not rest or any(len(g) != 4 or g[0] != "x" or not g[1:].isdigit() for g in rest[:-1]) \
            or len(rest[-1]) != 3 or not rest[-1].isdigit():
        raise TileError(f"{path!r}: bad tile index")
    index = int("".join(g.lstrip("x") for g in rest))
    if encode_index(index) != "/".join(rest):
        raise TileError(f"{path!r}: non-canonical tile index")
    return level, index, width
