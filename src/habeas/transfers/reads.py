"""Reading manifests for the pages and the API: what a manifest page shows, per reader.

The scope check is the service's (transfers.service.manifest_of): another agreement's
state reads a manifest as not found, here as in every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements.authority import Side, is_party_to
from habeas.custody.models import Prisoner
from habeas.holds.schemas import Hold
from habeas.nominations.models import NominationRecord
from habeas.transfers.models import Manifest, ManifestPerson
from habeas.transfers.service import ACTIVE, manifest_of, people_on, recorded_parts


@dataclass(frozen=True)
class ManifestView:
    """ManifestView: a manifest as one reader sees it. PARTY_TO: the reader's state is one
    of its agreement's two; SIDE: the side that state records its own parts for (a reader
    of no state of the agreement reads as the receiving side, and records none)."""

    manifest: Manifest
    party_to: bool
    side: Side


def manifest_view(session: Session, manifest_id: str, *, scope: str | None,
                  party: str | None) -> ManifestView:
    """manifest_view: the manifest a reader limited to SCOPE may see, for a reader of state
    PARTY (not found for another agreement's sending state)."""
    manifest, agreement = manifest_of(session, manifest_id, scope)
    return ManifestView(manifest, is_party_to(agreement, party),
                        Side.SENDING if party == agreement.sending_party else Side.RECEIVING)


def to_hand_over(session: Session, view: ManifestView, party: str | None
                 ) -> list[tuple[ManifestPerson, NominationRecord]]:
    """to_hand_over: everyone departed on the manifest whose part PARTY's state has not
    recorded yet (for a reader of no state: everyone departed)."""
    departed = people_on(session, view.manifest.id, status="departed")
    if party is None:
        return departed
    return [(e, n) for e, n in departed
            if view.side.value not in recorded_parts(session, view.manifest.id, e.public_id)]


def people_counts(session: Session, manifests: Sequence[str]) -> dict[str, dict[str, int]]:
    """people_counts: per manifest, how many people stand at each status (one query)."""
    counts: dict[str, dict[str, int]] = {m: {} for m in manifests}
    if manifests:
        for manifest, status, n in session.execute(
                select(ManifestPerson.manifest_id, ManifestPerson.status, func.count())
                .where(ManifestPerson.manifest_id.in_(manifests))
                .group_by(ManifestPerson.manifest_id, ManifestPerson.status)):
            counts[manifest][status] = n
    return counts


def awaiting_intake(session: Session, people: Sequence[str]) -> set[str]:
    """awaiting_intake: those of PEOPLE handed over to the facility and not yet taken in."""
    if not people:
        return set()
    return set(session.scalars(select(Prisoner.public_id).where(
        Prisoner.public_id.in_(people), Prisoner.status == "handed_over")))


def ready_to_plan(session: Session, party: str | None, *, limit: int
                  ) -> list[NominationRecord]:
    """ready_to_plan: accepted people on no active manifest, the earliest nominated first
    (PARTY's own, for a sending state); at most LIMIT."""
    listed = select(ManifestPerson.public_id).join(Manifest).where(
        ManifestPerson.status == "listed", Manifest.status.in_(ACTIVE))
    query = select(NominationRecord).where(NominationRecord.status == "accepted",
                                           NominationRecord.public_id.not_in(listed))
    if party is not None:
        query = query.where(NominationRecord.sending_party == party)
    return list(session.scalars(query.order_by(NominationRecord.received_seq).limit(limit)))


def custodians(session: Session, manifest_id: str, public_id: str) -> tuple[str, str]:
    """custodians: (legal, physical) custodian of PUBLIC_ID, on manifest MANIFEST_ID; one not
    yet taken in is still with the sending state's escort."""
    prisoner = session.get(Prisoner, public_id)
    if prisoner is not None:
        return prisoner.legal_custodian, prisoner.physical_custodian
    sending = manifest_of(session, manifest_id, None)[1].sending_party
    return sending, sending


@dataclass(frozen=True)
class Stopped:
    """Stopped: one person an order took off a manifest at its departure gates."""

    manifest_id: str
    departure_date: date
    external_ref: str


def stopped_by(session: Session, orders: Sequence[Hold], scope: str | None
               ) -> dict[str, list[Stopped]]:
    """stopped_by: per order, the people its departure gate took off a manifest (the gate's
    reason names the order: "barred by tro 1:25-cv-…"); a state sees only its own people."""
    query = (select(ManifestPerson.reason, Manifest.id, Manifest.departure_date,
                    NominationRecord.external_ref)
             .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
             .join(NominationRecord, NominationRecord.public_id == ManifestPerson.public_id)
             .where(ManifestPerson.status == "removed")
             .order_by(Manifest.departure_date, NominationRecord.external_ref))
    if scope is not None:
        query = query.where(NominationRecord.sending_party == scope)
    removed = session.execute(query).all() if orders else []
    return {h.hold_ref: [Stopped(m, day, ref) for reason, m, day, ref in removed
                         if f"{h.kind.value} {h.hold_ref}" in (reason or "")]
            for h in orders}
