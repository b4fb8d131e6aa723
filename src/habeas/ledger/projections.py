"""How ledger events change the witness table. The only writer of that table."""

from __future__ import annotations

from pydantic import BaseModel
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
