"""The read audit (Mandela Rule 9): who read which record, when, through what, and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from habeas.auth.models import ReadAudit
from habeas.auth.principal import Principal
from habeas.db import utcnow


def record_read(
    session: Session, who: Principal, *, kind: str, record_id: str, channel: str,
    purpose: str, now: datetime | None = None,
) -> None:
    """record_read appends who read which record, when, through what, and why."""
    session.add(ReadAudit(at=now or utcnow(), user_id=who.user_id, username=who.username,
                          role=who.role.value, record_kind=kind, record_id=record_id,
                          channel=channel, purpose=purpose[:200]))
