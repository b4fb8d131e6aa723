"""How counsel events change the appearance table. The only writer of that table."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from habeas.counsel.models import Appearance
from habeas.counsel.schemas import Basis
from habeas.events import EventFacts, projector, stage, staged


class CounselAppeared(BaseModel):
    public_id: str
    counsel: str
    counsel_name: str
    basis: Basis
    court: str | None = None
    case_number: str | None = None
    engagement: str | None = None


class CounselWithdrew(BaseModel):
    appearance_seq: int
    reason: str


@projector("counsel.appeared", CounselAppeared)
def apply_appeared(session: Session, p: CounselAppeared, event: EventFacts) -> None:
    stage(session, Appearance(
        seq=event.seq, public_id=p.public_id, counsel=p.counsel, counsel_name=p.counsel_name,
        basis=p.basis.value, court=p.court, case_number=p.case_number,
        engagement=p.engagement, appeared_at=event.occurred_at, status="active",
        withdrawn_at=None, withdrawal_reason=None), event.seq)


@projector("counsel.withdrew", CounselWithdrew)
def apply_withdrew(session: Session, p: CounselWithdrew, event: EventFacts) -> None:
    appearance = staged(session, Appearance, p.appearance_seq)
    assert appearance is not None, "the service checked the appearance exists"
    appearance.status = "withdrawn"
    appearance.withdrawn_at = event.occurred_at
    appearance.withdrawal_reason = p.reason
