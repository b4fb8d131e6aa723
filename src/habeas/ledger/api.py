"""The ledger over HTTP: event envelopes, checkpoints, proofs, witnesses, and the tiles.

Proofs, checkpoints and tiles are public: the log holds no personal data
(DESIGN.md §6), and anyone must be able to mirror and verify it.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import MAX_BIGINT
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.errors import NotFound, field_error
from habeas.events import log_size
from habeas.ledger import publish, reads, service, store
from habeas.ledger.keys import load_log_key
from habeas.ledger.leaf import envelope
from habeas.ledger.models import Checkpoint
from habeas.ledger.tiles import Tile, TileError, is_tile_of, parse_path

router = APIRouter(prefix="/events", tags=["ledger"])
Reader = Annotated[Principal, Depends(require(Action.READ_EVENTS))]


class EventPage(BaseModel):
    size: int
    events: list[dict[str, Any]]
    next_after: int | None


@router.get("", responses=documented(401, 403, 422))
def list_events(
    db: ReadDB, _: Reader,
    after: Annotated[int, Query(ge=-1, le=MAX_BIGINT,
                                description="return events with seq > after")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    """Event envelopes in sequence order, a page at a time."""
    rows = reads.events_after(db, after, limit)
    return EventPage(size=log_size(db), events=[envelope(e) for e in rows],
                     next_after=rows[-1].seq if len(rows) == limit else None)


proofs = APIRouter(prefix="/ledger", tags=["ledger"])
Witnessing = Annotated[Principal, Depends(require(Action.WITNESS))]
Signing = Annotated[Principal, Depends(require(Action.SIGN_CHECKPOINT))]


class CheckpointOut(BaseModel):
    size: int
    root: str = Field(description="base64 Merkle root")
    signed_at: datetime
    note: str = Field(description="the signed note, with witness cosignature lines")
    cosignatures: int


class InclusionProof(BaseModel):
    seq: int
    size: int
    leaf_hash: str
    proof: list[str]
    root: str


class ConsistencyProof(BaseModel):
    size1: int
    size2: int
    proof: list[str]
    root1: str
    root2: str


class WitnessIn(BaseModel):
    vkey: str = Field(min_length=1, max_length=500, description="name+keyid+base64(0x04‖key)")


class WitnessOut(BaseModel):
    name: str
    vkey: str


class CosignatureIn(BaseModel):
    checkpoint: str = Field(min_length=1, max_length=20_000,
                            description="the checkpoint note with your cosignature line")


class CosignatureOut(BaseModel):
    checkpoint_size: int
    witness_name: str
    timestamp: int


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def checkpoint_out(db: Session, checkpoint: Checkpoint) -> CheckpointOut:
    return CheckpointOut(size=checkpoint.size, root=_b64(checkpoint.root),
                         signed_at=checkpoint.signed_at,
                         note=service.served_note(db, checkpoint),
                         cosignatures=service.witness_count(db, checkpoint.size))


def _latest(db: Session) -> Checkpoint:
    checkpoint = service.latest_checkpoint(db)
    if checkpoint is None:
        raise NotFound("no checkpoint has been signed yet")
    return checkpoint


@proofs.get("/checkpoint", responses=documented(404))
def latest_checkpoint(db: ReadDB) -> CheckpointOut:
    """The latest signed checkpoint with its cosignatures (public)."""
    return checkpoint_out(db, _latest(db))


@proofs.post("/checkpoints", status_code=201, responses=documented(401, 403, 409, 503))
def sign_checkpoint(write: Writer, _: Signing) -> CheckpointOut:
    """Sign a checkpoint of the current log; refused if inconsistent with the last one."""
    signer = load_log_key()
    with write() as db:
        return checkpoint_out(db, service.sign_checkpoint(db, signer))


@proofs.get("/proof/inclusion", responses=documented(404, 422))
def inclusion_proof(
    db: ReadDB, seq: Annotated[int, Query(ge=0, le=MAX_BIGINT)],
    size: Annotated[int | None, Query(ge=1, le=MAX_BIGINT,
                                      description="default: latest checkpoint")] = None,
) -> InclusionProof:
    """RFC 9162 inclusion proof of event SEQ in the tree of SIZE (public)."""
    size = size if size is not None else _latest(db).size
    _check_size(db, size)
    if seq >= size:
        raise field_error("seq", f"must be below the tree size {size}")
    [leaf] = store.leaf_hashes(db, seq, seq + 1)
    return InclusionProof(seq=seq, size=size, leaf_hash=_b64(leaf),
                          proof=[_b64(h) for h in store.inclusion(db, seq, size)],
                          root=_b64(store.root_at(db, size)))


@proofs.get("/proof/consistency", responses=documented(422))
def consistency_proof(
    db: ReadDB, from_: Annotated[int, Query(alias="from", ge=1, le=MAX_BIGINT)],
    to: Annotated[int, Query(ge=1, le=MAX_BIGINT)],
) -> ConsistencyProof:
    """RFC 9162 consistency proof from tree size FROM to TO (public)."""
    _check_size(db, to)
    if from_ > to:
        raise field_error("from", f"must not exceed to={to}")
    return ConsistencyProof(size1=from_, size2=to,
                            proof=[_b64(h) for h in store.consistency(db, from_, to)],
                            root1=_b64(store.root_at(db, from_)), root2=_b64(store.root_at(db, to)))


def _check_size(db: Session, size: int) -> None:
    if size > log_size(db):
        raise field_error("size", f"the log has only {log_size(db)} events")


@proofs.post("/witnesses", status_code=201, responses=documented(401, 403, 409, 422))
def register_witness(body: WitnessIn, write: Writer, who: Witnessing) -> WitnessOut:
    """Register your cosigner key (C2SP vkey, type 0x04)."""
    with write() as db:
        witness = service.register_witness(db, who, body.vkey)
        return WitnessOut(name=witness.name, vkey=witness.vkey)


@proofs.post("/cosignatures", status_code=201, responses=documented(401, 403, 422))
def add_cosignature(body: CosignatureIn, write: Writer, who: Witnessing) -> CosignatureOut:
    """Submit your cosignature on a checkpoint you verified (C2SP tlog-cosignature)."""
    with write() as db:
        cosignature = service.add_cosignature(db, who, body.checkpoint)
        return CosignatureOut(checkpoint_size=cosignature.checkpoint_size,
                              witness_name=cosignature.witness_name,
                              timestamp=cosignature.timestamp)


tiles_router = APIRouter(prefix="/ledger", tags=["ledger"])


@tiles_router.get("/checkpoint", response_class=PlainTextResponse, responses=documented(404))
def checkpoint_file(db: ReadDB) -> PlainTextResponse:
    """The latest checkpoint as a C2SP signed note (tlog-tiles `<prefix>/checkpoint`)."""
    return PlainTextResponse(service.served_note(db, _latest(db)),
                             headers={"Cache-Control": "no-cache, max-age=5"})


@tiles_router.get("/tile/{path:path}", responses=documented(404))
def tile_file(path: str, db: ReadDB) -> Response:
    """A hash tile or entry bundle (C2SP tlog-tiles), immutable once served."""
    try:
        level, index, width = parse_path("tile/" + path)
    except TileError as exc:
        raise NotFound(str(exc)) from None
    latest = service.latest_checkpoint(db)
    size = latest.size if latest is not None else 0
    # An entry bundle has the shape of the level-0 tile at the same index.
    exists = is_tile_of(size, Tile(level or 0, index, width))
    if not exists:
        raise NotFound(f"tile/{path}: not part of the latest checkpoint (size {size})")
    data = (publish.bundle_bytes(db, index, width) if level is None
            else publish.tile_bytes(db, Tile(level, index, width)))
    return Response(data, media_type="application/octet-stream",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})
