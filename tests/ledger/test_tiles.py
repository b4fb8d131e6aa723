"""C2SP tlog-tiles layout: paths, tiles per size, bundles, and level hashes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habeas.ledger import merkle
from habeas.ledger.tiles import (
    TileError,
    decode_bundle,
    encode_bundle,
    encode_index,
    entries_path,
    levels_and_root,
    parse_path,
    tile_path,
    tiles_for,
)


def test_index_encoding_from_the_spec() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(5) == "005"
    assert tile_path(0, 1234067, 17) == "tile/0/x001/x234/067.p/17"
    assert entries_path(1000) == "tile/entries/x001/000"


def test_tiles_of_a_70000_leaf_tree_as_in_the_spec() -> None:
    tiles = list(tiles_for(70_000))
    assert sum(1 for t in tiles if t.level == 0 and t.width == 256) == 273
    assert [(t.level, t.index, t.width) for t in tiles if t.width != 256 or t.level] == [
        (0, 273, 112), (1, 0, 256), (1, 1, 17), (2, 0, 1)]
    assert [(t.level, t.width) for t in tiles_for(256)] == [(0, 256), (1, 1)]


@pytest.mark.parametrize("path", ["tile/0/x001/x234/067.p/17", "tile/entries/000",
                                  "tile/3/x001/000"])
def test_paths_parse_back(path: str) -> None:
    level, index, width = parse_path(path)
    again = entries_path(index, width) if level is None else tile_path(level, index, width)
    assert again == path


@pytest.mark.parametrize("path", ["tile/0/1234", "tile/0/x1/067", "tile/00/000",
                                  "tile/0/000.p/256", "tile/0/000.p/0", "tile/64/000",
                                  "tile/0/x000/001", "tiles/0/000", "tile/0"])
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(TileError):
        parse_path(path)


def test_bundles_round_trip_and_refuse_truncation() -> None:
    entries = [b"a", b"", b"x" * 300]
    data = encode_bundle(entries)
    assert decode_bundle(data, 3) == entries
    with pytest.raises(TileError, match="truncated"):
        decode_bundle(data[:-1], 3)
    with pytest.raises(TileError, match="expected 4"):
        decode_bundle(data, 4)
    with pytest.raises(TileError, match="65,535"):
        encode_bundle([b"x" * 65_536])


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=1500))
def test_levels_and_root_agree_with_rfc9162(size: int) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    root, kept = levels_and_root(leaves)
    assert root == (merkle.root(leaves) if size else hashlib.sha256(b"").digest())
    assert kept.get(1, []) == [merkle.root(leaves[i * 256:(i + 1) * 256])
                               for i in range(size // 256)]


@pytest.mark.parametrize("size", [1, 255, 256, 257, 70_000])
def test_is_tile_of_agrees_with_the_listing(size: int) -> None:
    from habeas.ledger.tiles import Tile, is_tile_of

    listed = set(tiles_for(size))
    candidates = {Tile(level, index, width) for level in range(3) for index in range(300)
                  for width in (1, 17, 112, 255, 256)}
    assert {t for t in candidates if is_tile_of(size, t)} == listed & candidates
