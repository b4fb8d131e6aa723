"""How ledger events change the witness table. The only writer of that table."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from habeas.events import EventFacts, projector
from habeas.ledger.models import Witness


class WitnessRegistered(BaseModel):
    name: str
    vkey: str
    user_id: str


@projector("witness.registered", WitnessRegistered)
def apply_witness_registered(session: Session, p: WitnessRegistered, event: EventFacts) -> None:
    session.add(Witness(name=p.name, vkey=p.vkey, user_id=p.user_id, registered_seq=event.seq))


class RollbackAccepted(BaseModel):
    """An operator accepted serving a log that no longer extends a checkpoint it signed
    (a restore from an older backup): the checkpoint given up and why (ADR 0017)."""

    from_size: int = Field(ge=0, description="size of the signed checkpoint given up")
    from_root: str = Field(description="its root hash, base64")
    to_size: int = Field(ge=0, description="the log's size when the rollback was accepted")
    reason: str = Field(min_length=1, max_length=2000)
    restored_from: str | None = Field(
        default=None, description="SHA-256 of the restored backup's manifest.json, if any")


@projector("ledger.rollback_accepted", RollbackAccepted)
def apply_rollback_accepted(session: Session, p: RollbackAccepted, event: EventFacts) -> None:
    """The event is the record; no table changes (highwater.accepted reads it from the log)."""
