"""One person, one nomination: the same person under a new `external_ref` (issue 17).

The sending state's reference is its own filing number, not the person: the same
man was nominated again under a new reference and flown while already held. A
person is known by their name and date of birth *and* a conviction case they
serve (court and case number): two people may share a name and a birthday, not
a conviction as well. Names compare by the locator's key (accents, case and
spacing aside), case numbers by their letters and digits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from habeas.locator.normalise import identifier_key, name_key
from habeas.nominations.models import NominationRecord

# A nomination that holds (or held) the person: accepted, flown, in custody.
TAKEN = ("accepted", "in_transit", "in_custody", "return_required")
# A nomination that no longer speaks for the person: turned down or taken back.
CLOSED = ("rejected", "withdrawn")


@dataclass(frozen=True)
class Identity:
    """Identity is who a nomination is about: name and birth date keys, and its cases."""

    family: str
    given: str
    born: date
    cases: frozenset[tuple[str, str]]

    def same_person(self, other: Identity) -> bool:
        """same_person: same name, same date of birth and at least one conviction in common."""
        return (self.family, self.given, self.born) == (other.family, other.given,
                                                       other.born) \
            and bool(self.cases & other.cases)


def identity(family_name: str, given_names: str, date_of_birth: date,
             data: dict[str, Any]) -> Identity:
    """identity: the keys of a nomination's person and of each conviction's case."""
    cases = frozenset((name_key(str(c.get("court", ""))),
                       identifier_key(str(c.get("case_number", ""))))
                      for c in data.get("convictions", []))
    return Identity(name_key(family_name), name_key(given_names), date_of_birth, cases)


def of(record: NominationRecord) -> Identity:
    return identity(record.family_name, record.given_names, record.date_of_birth, record.data)


def others_of(session: Session, record: NominationRecord,
              statuses: Iterable[str] = TAKEN) -> list[NominationRecord]:
    """others_of: the other nominations of RECORD's person, under any reference or agreement,
    whose status is one of STATUSES (first received first)."""
    me = of(record)
    candidates = session.scalars(select(NominationRecord).where(
        NominationRecord.public_id != record.public_id,
        NominationRecord.date_of_birth == record.date_of_birth,
        NominationRecord.status.in_(list(statuses)))
        .order_by(NominationRecord.received_seq))
    return [other for other in candidates if of(other).same_person(me)]


def duplicates(session: Session, *where: ColumnElement[bool]
               ) -> list[tuple[NominationRecord, NominationRecord]]:
    """duplicates: each open nomination (WHERE says which may be named) paired with an
    earlier open nomination of the same person — nominated twice, or while in custody."""
    open_ = NominationRecord.status.not_in(CLOSED)
    # Only birthdays shared by two open nominations are read (the rest cannot repeat).
    shared = select(NominationRecord.date_of_birth).where(open_).group_by(
        NominationRecord.date_of_birth).having(func.count() > 1)
    rows = list(session.scalars(select(NominationRecord).where(
        open_, NominationRecord.date_of_birth.in_(shared))
        .order_by(NominationRecord.received_seq)))
    visible = set(session.scalars(select(NominationRecord.public_id).where(
        open_, NominationRecord.date_of_birth.in_(shared), *where))) if where else None
    by_birth: dict[date, list[tuple[NominationRecord, Identity]]] = {}
    pairs = []
    for record in rows:
        me = of(record)
        earlier = by_birth.setdefault(record.date_of_birth, [])
        first = next((other for other, them in earlier if them.same_person(me)), None)
        if first is not None and (visible is None or record.public_id in visible):
            pairs.append((record, first))
        earlier.append((record, me))
    return pairs
