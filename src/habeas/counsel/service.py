"""Counsel-of-record use cases: appear, withdraw, and the one question every face asks —
is this counsel of record for this person? (DESIGN.md §12.1)

Counsel is a relationship, not a role that sees everyone: a counsel user reads, searches,
files grievances and registers person-scoped court orders only for the people it has
appeared for (CM/ECF lets counsel file only in the cases where they have appeared). For
anyone else the answer is the same 404 as for a person who does not exist, so counsel
learns nothing of people it does not represent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from habeas.auth.models import Role
from habeas.auth.principal import Principal
from habeas.counsel.models import Appearance
from habeas.counsel.projections import CounselAppeared, CounselWithdrew
from habeas.counsel.schemas import AppearanceIn, Basis
from habeas.errors import Conflict, ErrorCode, NotFound, field_error
from habeas.events import NewEvent, record

ACTIVE = "active"


@dataclass(frozen=True)
class Person:
    """Person is whoever a public id names: a nominated person or a person held."""

    public_id: str
    party: str | None  # the state whose people they are (sending state, legal custodian)
    facility: str | None


def person_not_found(public_id: str) -> str:
    """person_not_found is the one text for a person nobody may learn exists."""
    return f"person {public_id!r} not found"


def find_person(session: Session, public_id: str) -> Person | None:
    """find_person: the nominated or held person PUBLIC_ID, or None."""
    from habeas.custody.models import Prisoner
    from habeas.nominations.models import NominationRecord

    held = session.get(Prisoner, public_id)
    if held is not None:
        return Person(held.public_id, held.legal_custodian, held.facility_code)
    nominated = session.get(NominationRecord, public_id)
    if nominated is not None:
        return Person(nominated.public_id, nominated.sending_party, None)
    return None


def _resolve(session: Session, appearance: AppearanceIn) -> Person:
    from habeas.nominations.models import NominationRecord

    if appearance.public_id is not None:
        public_id = appearance.public_id.strip().upper()
    else:
        found = session.scalar(select(NominationRecord.public_id).where(
            NominationRecord.sending_party == (appearance.sending_party or "").upper(),
            NominationRecord.external_ref == appearance.external_ref))
        if found is None:
            raise NotFound(person_not_found(f"{appearance.sending_party} "
                                            f"{appearance.external_ref}"),
                           details={"field": "external_ref"})
        public_id = found
    person = find_person(session, public_id)
    if person is None:
        raise NotFound(person_not_found(public_id), details={"field": "public_id"})
    return person


def appear(session: Session, appearance: AppearanceIn, *, by: Principal) -> Appearance:
    """appear files BY's appearance as counsel of record for a person, citing the court
    case or the person's signed engagement (DESIGN.md §12.1)."""
    if by.role is not Role.COUNSEL:
        # The permission table lets only counsel here; the service says so itself too.
        raise NotFound(person_not_found(appearance.public_id or str(appearance.external_ref)))
    person = _resolve(session, appearance)
    if is_of_record(session, by, person.public_id):
        raise Conflict(f"you are already counsel of record for {person.public_id}",
                       code=ErrorCode.ALREADY_OF_RECORD, details={"field": "public_id"})
    court_case = appearance.basis is Basis.COURT_CASE
    event = record(session, NewEvent(
        type="counsel.appeared", actor=by.actor, party=person.party,
        subject=person.public_id, facility=person.facility,
        payload=CounselAppeared(
            public_id=person.public_id, counsel=by.username, counsel_name=by.display_name,
            basis=appearance.basis,
            court=appearance.court.strip() if court_case and appearance.court else None,
            case_number=(appearance.case_number.strip()
                         if court_case and appearance.case_number else None),
            engagement=(appearance.engagement.strip()
                        if not court_case and appearance.engagement else None))))
    return session.get_one(Appearance, event.seq)


def withdraw(session: Session, seq: int, reason: str, *, by: Principal) -> Appearance:
    """withdraw ends BY's appearance SEQ; someone else's is not found."""
    appearance = session.get(Appearance, seq)
    if appearance is None or appearance.counsel != by.username:
        raise NotFound(f"appearance {seq} not found")
    reason = reason.strip()
    if not reason:
        raise field_error("reason", "say why counsel withdraws")
    if appearance.status != ACTIVE:
        raise Conflict(f"appearance {seq} was withdrawn on {appearance.withdrawn_at:%Y-%m-%d}",
                       code=ErrorCode.ALREADY_CLOSED)
    person = find_person(session, appearance.public_id)
    record(session, NewEvent(
        type="counsel.withdrew", actor=by.actor, subject=appearance.public_id,
        party=person.party if person else None, facility=person.facility if person else None,
        payload=CounselWithdrew(appearance_seq=seq, reason=reason)))
    return appearance


def _active(by: Principal) -> list[ColumnElement[bool]]:
    return [Appearance.counsel == by.username, Appearance.status == ACTIVE]


def is_of_record(session: Session, by: Principal, public_id: str) -> bool:
    """is_of_record: BY is counsel with an active appearance for PUBLIC_ID."""
    if by.role is not Role.COUNSEL:
        return False
    return session.scalar(select(Appearance.seq).where(
        Appearance.public_id == public_id, *_active(by)).limit(1)) is not None


def clients_of(session: Session, by: Principal) -> set[str]:
    """clients_of: the people BY is counsel of record for now (empty for other roles)."""
    if by.role is not Role.COUNSEL:
        return set()
    return set(session.scalars(select(Appearance.public_id).where(*_active(by))))


def cases_of(session: Session, by: Principal) -> list[Appearance]:
    """cases_of: BY's active appearances in court cases (class counsel names one)."""
    if by.role is not Role.COUNSEL:
        return []
    return list(session.scalars(select(Appearance).where(
        *_active(by), Appearance.basis == Basis.COURT_CASE.value)))


def require_client(session: Session, by: Principal, public_id: str, *,
                   not_found: str | None = None) -> None:
    """require_client: counsel may act on PUBLIC_ID only as its counsel of record; for
    anyone else's client counsel reads NOT_FOUND, as for a person who does not exist.
    Other roles pass (their own scope rules apply)."""
    if by.role is Role.COUNSEL and not is_of_record(session, by, public_id):
        raise NotFound(not_found or person_not_found(public_id))


def of_person(session: Session, public_id: str) -> list[Appearance]:
    """of_person: the person's counsel of record now, the earliest appearance first."""
    return list(session.scalars(select(Appearance).where(
        Appearance.public_id == public_id, Appearance.status == ACTIVE)
        .order_by(Appearance.seq)))


def list_appearances(session: Session, *, by: Principal, limit: int | None = None,
                     offset: int = 0) -> list[Appearance]:
    """list_appearances: counsel sees its own appearances, the newest first; monitors and
    the operator see every one."""
    query = select(Appearance).order_by(Appearance.seq.desc())
    if by.role is Role.COUNSEL:
        query = query.where(Appearance.counsel == by.username)
    return list(session.scalars(query.limit(limit).offset(offset)))


@dataclass(frozen=True)
class Client:
    """Client is one of counsel's clients as its home page lists them."""

    public_id: str
    name: str
    held: bool  # has a custody file to open


def client_names(session: Session, by: Principal) -> list[Client]:
    """client_names: BY's clients of record by name, with whether a file is open to them."""
    from habeas.custody.models import Prisoner
    from habeas.nominations.models import NominationRecord

    ids = sorted(clients_of(session, by))
    if not ids:
        return []
    held = {p.public_id: f"{p.given_names} {p.family_name}" for p in session.scalars(
        select(Prisoner).where(Prisoner.public_id.in_(ids)))}
    nominated = {n.public_id: f"{n.given_names} {n.family_name}" for n in session.scalars(
        select(NominationRecord).where(NominationRecord.public_id.in_(ids)))}
    return sorted((Client(i, held.get(i) or nominated.get(i, i), i in held) for i in ids),
                  key=lambda c: (c.name, c.public_id))
