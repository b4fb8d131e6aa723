"""Serving and exporting the log as C2SP tlog-tiles, from the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.ledger import merkle, store
from habeas.ledger.leaf import leaf_bytes
from habeas.ledger.models import Checkpoint, Event
from habeas.ledger.service import served_note
from habeas.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    bundles_for,
    encode_bundle,
    entries_path,
    tiles_for,
)


def tile_bytes(session: Session, tile: Tile) -> bytes:
    """tile_bytes is a hash tile: the stored hashes of tree level 8·L, nodes N·256 … +W−1."""
    height = tile.level * TILE_HEIGHT
    indexes = [merkle.stored_hash_index(height, tile.first_node + i) for i in range(tile.width)]
    return b"".join(store.DbHashReader(session).read_hashes(indexes))


def bundle_bytes(session: Session, index: int, width: int) -> bytes:
    """bundle_bytes is an entry bundle: the next WIDTH events from seq index·256, as stored.

    The events are taken as the database holds them, in seq order; a gap or a
    changed row then shows up as a mismatch when the bundle is verified.
    """
    events = session.scalars(select(Event).where(Event.seq >= index * TILE_WIDTH)
                             .order_by(Event.seq).limit(width))
    return encode_bundle([leaf_bytes(e) for e in events])


def export(session: Session, folder: Path, checkpoint: Checkpoint) -> int:
    """export writes checkpoint, hash tiles and entry bundles for CHECKPOINT; returns files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0

    def write(rel: str, data: bytes) -> None:
        nonlocal written
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written += 1

    for tile in tiles_for(checkpoint.size):
        write(tile.path, tile_bytes(session, tile))
    for index, width in bundles_for(checkpoint.size):
        write(entries_path(index, width), bundle_bytes(session, index, width))
    # Last, so a mirror never shows a checkpoint whose tiles are not all there.
    write("checkpoint", served_note(session, checkpoint).encode())
    return written
