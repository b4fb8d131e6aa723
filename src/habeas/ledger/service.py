"""Ledger use cases: sign checkpoints (never two inconsistent ones), witnesses, cosignatures."""

from __future__ import annotations

import base64
import time
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.auth.models import Role
from habeas.auth.principal import Principal
from habeas.db import utcnow
from habeas.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, field_error
from habeas.events import NewEvent, log_size, record
from habeas.ledger import highwater, merkle, store
from habeas.ledger.models import Checkpoint, Cosignature, Witness
from habeas.ledger.note import (
    ALG_COSIGNATURE_V1,
    CheckpointBody,
    NoteError,
    Signer,
    parse_checkpoint,
    parse_verifier,
    sign_note,
    split_note,
    verify_cosignature,
)
from habeas.ledger.projections import WitnessRegistered

WITNESS_ROLES = frozenset({Role.SENDING, Role.MONITOR})
MAX_CLOCK_SKEW_S = 600


class InconsistentCheckpoint(DomainError):
    status = 409
    code = ErrorCode.INCONSISTENT_CHECKPOINT


def latest_checkpoint(session: Session) -> Checkpoint | None:
    """latest_checkpoint is the largest checkpoint the log has signed."""
    return session.scalars(select(Checkpoint).order_by(Checkpoint.size.desc())).first()


def get_checkpoint(session: Session, size: int) -> Checkpoint:
    checkpoint = session.get(Checkpoint, size)
    if checkpoint is None:
        raise NotFound(f"no checkpoint of size {size}")
    return checkpoint


def sign_checkpoint(session: Session, signer: Signer, *, now: datetime | None = None
                    ) -> Checkpoint:
    """sign_checkpoint signs the current tree head, refusing one inconsistent with the last.

    Before signing size n it proves, from the stored hashes, that the last
    signed tree (size m, root r) is a prefix of this one (RFC 9162 §2.1.4); a
    log whose stored hashes were rewritten fails here and signs nothing. The
    same holds for the high-water mark kept outside the database (a restored
    database's own checkpoint rows are old); once signed, the note becomes the
    mark when the transaction commits (ADR 0017).
    """
    size = log_size(session)
    root = store.root_at(session, size)
    last = latest_checkpoint(session)
    if last is not None:
        if size < last.size:
            raise InconsistentCheckpoint(
                f"ledger: the log has {size} leaves but checkpoint {last.size} was signed:"
                " refusing to sign a rolled-back log")
        if size == last.size:
            if root != last.root:
                raise InconsistentCheckpoint(
                    f"ledger: root of size {size} differs from the signed checkpoint:"
                    " refusing to sign a fork")
            # Nothing new is signed: an old checkpoint returned again never moves
            # the high-water mark back (highwater.remember only moves it forward).
            highwater.remember_after_commit(session, last.note)
            return last
        # Every tree extends the empty one; RFC 9162 §2.1.4 has no proof from size 0.
        proof = store.consistency(session, last.size, size) if last.size else []
        if last.size and not merkle.verify_consistency(last.size, size, last.root, root, proof):
            raise InconsistentCheckpoint(
                f"ledger: size {size} is not consistent with signed checkpoint {last.size}:"
                " refusing to sign")
    held = highwater.require_held(session, signer.verifier)
    body = CheckpointBody(signer.name, size, root)
    checkpoint = Checkpoint(size=size, root=root, note=sign_note(body.text, signer),
                            signed_at=now or utcnow())
    session.add(checkpoint)
    session.flush()
    # An accepted rollback (held.accepted_seq) lets the mark move back to this checkpoint.
    highwater.remember_after_commit(session, checkpoint.note,
                                    superseding=held.mark if held.accepted_seq else None)
    return checkpoint


def served_note(session: Session, checkpoint: Checkpoint) -> str:
    """served_note is the checkpoint with its witnesses' cosignature lines appended."""
    lines = session.scalars(select(Cosignature.line).where(
        Cosignature.checkpoint_size == checkpoint.size).order_by(Cosignature.witness_name))
    return checkpoint.note + "".join(lines)


def register_witness(session: Session, who: Principal, vkey: str) -> Witness:
    """register_witness binds a cosignature/v1 verifier key to a sending or monitor user."""
    if who.role not in WITNESS_ROLES:
        raise Forbidden(f"role {who.role.value} may not act as a witness")
    try:
        verifier = parse_verifier(vkey)
    except NoteError as exc:
        raise field_error("vkey", str(exc)) from None
    if verifier.alg != ALG_COSIGNATURE_V1:
        raise field_error("vkey", "a witness key must be a cosignature/v1 key (type 0x04)")
    existing = session.get(Witness, verifier.name)
    if existing is not None:
        if existing.vkey == verifier.vkey and existing.user_id == who.user_id:
            return existing
        raise Conflict(f"vkey: witness name {verifier.name!r} is registered already",
                       details={"field": "vkey"})
    record(session, NewEvent(type="witness.registered", actor=who.actor, party=who.party_code,
                             payload=WitnessRegistered(name=verifier.name, vkey=verifier.vkey,
                                                       user_id=who.user_id)))
    witness = session.get(Witness, verifier.name)
    assert witness is not None
    return witness


def add_cosignature(session: Session, who: Principal, signed: str,
                    *, now: float | None = None) -> Cosignature:
    """add_cosignature stores a witness's cosignature on a checkpoint the log signed."""
    try:
        body_text, signatures = split_note(signed)
        body = parse_checkpoint(body_text)
    except NoteError as exc:
        raise field_error("checkpoint", str(exc)) from None
    checkpoint = session.get(Checkpoint, body.size)
    if checkpoint is None or split_note(checkpoint.note)[0] != body_text:
        raise field_error("checkpoint", "not a checkpoint this log signed")
    witnesses = {w.name: w for w in session.scalars(
        select(Witness).where(Witness.user_id == who.user_id))}
    for sig in signatures:
        witness = witnesses.get(sig.name)
        if witness is None:
            continue
        timestamp = verify_cosignature(body_text, sig, parse_verifier(witness.vkey))
        if timestamp is None:
            raise field_error("checkpoint", f"cosignature by {sig.name} does not verify")
        if timestamp > (now or time.time()) + MAX_CLOCK_SKEW_S:
            raise field_error("checkpoint", f"cosignature by {sig.name} is dated in the future")
        already = session.scalar(select(Cosignature).where(
            Cosignature.checkpoint_size == body.size, Cosignature.witness_name == sig.name))
        if already is not None:
            return already
        cosignature = Cosignature(checkpoint_size=body.size, witness_name=sig.name,
                                  line=sig.line, timestamp=timestamp, received_at=utcnow())
        session.add(cosignature)
        session.flush()
        return cosignature
    raise field_error("checkpoint", "no cosignature by a witness key registered to you")


def witness_count(session: Session, size: int) -> int:
    return session.scalar(select(func.count()).select_from(Cosignature).where(
        Cosignature.checkpoint_size == size)) or 0


def root_b64(root: bytes) -> str:
    return base64.b64encode(root).decode()
