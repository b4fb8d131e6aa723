"""A person's timeline: every ledger event about them, in order, a page at a time.

Most events name the person as their `subject`. A few concern them without naming
them, because they are about many people at once: the steps of a manifest that
listed them (`transfer.planned` … `transfer.arrived`) and the court orders that bind
them — their scope matches the nomination, and it is their issuing state's
(`hold.registered`, `hold.lifted`). Those are found through the manifests and orders
(few per person), never by reading every event.

Each entry says whether the latest signed checkpoint already includes it (DESIGN.md
§6): an event is provable once a checkpoint of a larger size is signed. And it keeps the
two clocks apart (DESIGN.md §12.2): what the act claims (`occurred_at`), when the log
recorded it (`recorded_at`), and whether it was entered late, with the reason given —
readers rely on it to see backdating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from habeas.config import get_settings
from habeas.holds.models import HoldRecord
from habeas.holds.reads import as_hold
from habeas.i18n import N_
from habeas.ledger import service as ledger
from habeas.ledger.models import Event
from habeas.nominations.models import NominationRecord
from habeas.nominations.schemas import Nomination
from habeas.transfers.models import ManifestPerson

PER_PAGE = 100
# Steps of a manifest that name it in their payload, not the people on it.
MANIFEST_STEPS = ("transfer.approved", "transfer.departed", "transfer.arrived",
                  "transfer.cancelled")


# Why an event that does not name the person concerns them; translated where shown.
MANIFEST = N_("manifest %(ref)s")
COURT_ORDER = N_("court order %(ref)s")


@dataclass(frozen=True)
class Via:
    """Via is why an event concerns a person it does not name: WHY (MANIFEST or COURT_ORDER,
    a message with a %(ref)s) and the manifest's or order's REF."""

    why: str
    ref: str

    def __str__(self) -> str:
        return self.why % {"ref": self.ref}


@dataclass(frozen=True)
class Entry:
    """Entry is one event of the timeline, with why it concerns the person when the event
    does not name them ("manifest T12", "court order STAY-1"), and its inclusion.

    Its two clocks: OCCURRED_AT is the actor's claim, RECORDED_AT the log's fact. SHIFTED:
    the claim lies further before the recording than the clock skew allows for; LATE: past
    the event type's late window (a late entry, listed by the integrity report), with the
    LATE_REASON the actor gave (None for entries from before reasons were asked)."""

    seq: int
    type: str
    occurred_at: datetime
    actor: str
    party: str | None
    via: Via | None
    included: bool
    recorded_at: datetime | None = None
    late_reason: str | None = None
    shifted: bool = False
    late: bool = False


@dataclass(frozen=True)
class Page:
    """Page is one page of a timeline: its entries, where it stands, and the checkpoint the
    inclusion marks were read against (None: no checkpoint signed yet)."""

    entries: list[Entry]
    number: int
    pages: int
    total: int
    checkpoint_size: int | None


def _manifest_seqs(session: Session, public_id: str) -> dict[int, Via]:
    ids = list(session.scalars(select(ManifestPerson.manifest_id).where(
        ManifestPerson.public_id == public_id)))
    if not ids:
        return {}
    # A manifest is named after the event that planned it: "T" + its seq.
    found = {int(i[1:]): Via(MANIFEST, i) for i in ids if i[1:].isdigit()}
    steps = session.execute(select(Event.seq, Event.payload["manifest_id"].as_string()).where(
        Event.type.in_(MANIFEST_STEPS),
        Event.payload["manifest_id"].as_string().in_(ids)))
    found.update({seq: Via(MANIFEST, manifest_id) for seq, manifest_id in steps})
    return found


def _hold_seqs(session: Session, public_id: str, data: dict[str, Any] | None
               ) -> dict[int, Via]:
    if not data:
        return {}
    try:
        nomination = Nomination.model_validate(data)
    except ValidationError:
        return {}
    # An order binds its issuing state's people only: Costa Rica's "X" is not the US "X".
    sending_party = session.scalar(select(NominationRecord.sending_party).where(
        NominationRecord.public_id == public_id))
    matched = {r.hold_ref: r.registered_seq for r in session.scalars(select(HoldRecord))
               if as_hold(r).binds(nomination, sending_party)}
    if not matched:
        return {}
    found = {seq: Via(COURT_ORDER, ref) for ref, seq in matched.items()}
    lifts = session.execute(select(Event.seq, Event.payload["hold_ref"].as_string()).where(
        Event.type == "hold.lifted", Event.payload["hold_ref"].as_string().in_(list(matched))))
    found.update({seq: Via(COURT_ORDER, ref) for seq, ref in lifts})
    return found


def related(session: Session, public_id: str, nomination: dict[str, Any] | None
            ) -> dict[int, Via]:
    """related: the events that concern PUBLIC_ID without naming them, by seq, each with
    why — the manifests that listed them and the court orders that bind their
    NOMINATION (its stored data; None for a domestic prisoner)."""
    return {**_manifest_seqs(session, public_id), **_hold_seqs(session, public_id, nomination)}


def pages_for(total: int, per_page: int = PER_PAGE) -> int:
    """pages_for: how many pages TOTAL entries fill (at least one, empty or not)."""
    return max(1, -(-total // per_page))


def timeline(session: Session, public_id: str, nomination: dict[str, Any] | None, *,
             page: int = 1, per_page: int = PER_PAGE) -> Page:
    """timeline: page PAGE (from 1; past the end means the last) of every event about
    PUBLIC_ID in sequence order, at most PER_PAGE rows read."""
    via = related(session, public_id, nomination)
    about = or_(Event.subject == public_id, Event.seq.in_(list(via))) if via \
        else Event.subject == public_id
    total = session.scalar(select(func.count()).select_from(Event).where(about)) or 0
    pages = pages_for(total, per_page)
    number = min(max(page, 1), pages)
    latest = ledger.latest_checkpoint(session)
    size = latest.size if latest is not None else None
    rows = session.scalars(select(Event).where(about).order_by(Event.seq)
                           .offset((number - 1) * per_page).limit(per_page))
    entries = [Entry(e.seq, e.type, e.occurred_at, e.actor, e.party,
                     None if e.subject == public_id else via.get(e.seq),
                     size is not None and e.seq < size, **clocks(e)) for e in rows]
    return Page(entries, number, pages, total, size)


def clocks(event: Event) -> dict[str, Any]:
    """clocks: EVENT's two clocks as a timeline shows them (DESIGN.md §12.2) — when it was
    recorded, whether its claim lies before that by more than the clock skew (shifted) or
    by more than its type's late window (late, as the integrity report's late entries), and
    the late reason given."""
    settings = get_settings()
    gap = event.recorded_at - event.occurred_at
    return {"recorded_at": event.recorded_at, "late_reason": event.late_reason,
            "shifted": gap > timedelta(seconds=settings.clock_skew_seconds),
            "late": gap > timedelta(hours=settings.late_window_for(event.type))}
