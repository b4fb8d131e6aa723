"""Custody use cases: import the domestic population, take a transferee in (intake), read.

Domestic (non-agreement) prisoners share the cells, so they are part of the
population every capacity and separation check counts (DESIGN.md §7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.auth.principal import Principal
from habeas.custody import records
from habeas.custody.models import Alert, IntakeRecord, Prisoner
from habeas.custody.projections import IntakeRecorded, PopulationAdmitted
from habeas.custody.schemas import DomesticPrisoner, IntakeIn
from habeas.custody.sentencing import release_for
from habeas.errors import Conflict, ErrorCode, NotFound, field_error
from habeas.events import NewEvent, record, record_many
from habeas.facilities import assign
from habeas.facilities.housing import (
    cell_key,
    housing_state,
    is_minor,
    split_key,
)
from habeas.facilities.rules import SEPARATION_NUMBER
from habeas.nominations.service import Row, random_chars
from habeas.validation import all_problems


def new_prisoner_id(rng: Callable[[int], str] | None = None) -> str:
    """new_prisoner_id: an opaque id for a domestic prisoner (the ledger's `subject`)."""
    return "P" + (rng or random_chars)(11)


@dataclass
class AdmissionResult:
    line: int
    local_ref: str | None
    outcome: str  # admitted | unchanged | invalid
    public_id: str | None = None
    cell: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "local_ref": self.local_ref, "outcome": self.outcome,
                "public_id": self.public_id, "cell": self.cell, "errors": self.errors}


def _same(existing: Prisoner, row: DomesticPrisoner) -> bool:
    return (existing.family_name, existing.given_names, existing.date_of_birth, existing.sex,
            existing.legal_status, existing.affiliation_group) == (
        row.family_name, row.given_names, row.date_of_birth, row.sex, row.legal_status,
        row.affiliation.group)


def import_population(session: Session, facility_code: str, rows: Iterable[Row], *,
                      actor: str, on: date, id_source: Callable[[int], str] | None = None,
                      party: str | None = None) -> list[AdmissionResult]:
    """import_population admits a chunk of domestic prisoners in the caller's transaction.

    A bad row is reported with the field and the problem and the others still
    import; a row naming a cell is checked against every separation rule; rows
    without a cell are placed together by the assignment engine; a local_ref
    already held with the same facts is `unchanged`.
    """
    state = housing_state(session, facility_code, on)
    # The prison's own population is its state's to record (None: the operator's CLI).
    from habeas.facilities.service import require_operator

    require_operator(state.facility, party, act="importing the population")
    custodian = state.facility.country
    results: list[AdmissionResult] = []
    valid: list[tuple[AdmissionResult, DomesticPrisoner]] = []
    seen: set[str] = set()
    for row in rows:
        result = AdmissionResult(row.line, _ref(row.data), "invalid", errors=list(row.errors))
        results.append(result)
        if result.errors:
            continue
        try:
            prisoner = DomesticPrisoner.model_validate(row.data)
        except ValidationError as exc:
            result.errors = [{"field": p["field"], "message": p["problem"]}
                             for p in all_problems(exc)]
            continue
        if prisoner.local_ref in seen:
            result.errors = [{"field": "local_ref", "message": "repeated in this file"}]
            continue
        seen.add(prisoner.local_ref)
        valid.append((result, prisoner))

    known = {p.local_ref: p for p in session.scalars(select(Prisoner).where(
        Prisoner.facility_code == facility_code, Prisoner.legal_custodian == custodian,
        Prisoner.local_ref.in_([p.local_ref for _, p in valid])))} if valid else {}
    cells = {c.key: c for c in state.cells}
    to_place: list[tuple[AdmissionResult, DomesticPrisoner, assign.Person]] = []
    admitted: list[tuple[AdmissionResult, DomesticPrisoner, assign.Person, str]] = []
    for result, prisoner in valid:
        existing = known.get(prisoner.local_ref)
        if existing is not None:
            if _same(existing, prisoner):
                result.outcome, result.public_id = "unchanged", existing.public_id
                result.cell = f"{existing.building_code}/{existing.cell_code}"
            else:
                result.errors = [{"field": "local_ref", "message": "already held with different "
                                  "facts; correct the record instead", "code": "conflict"}]
            continue
        person = assign.Person(id=new_prisoner_id(id_source), sex=prisoner.sex,
                               status=prisoner.legal_status, group=prisoner.affiliation.group,
                               minor=is_minor(prisoner.date_of_birth, prisoner.admitted_on))
        if person.minor:
            result.errors = [_sep_error("minor", "date_of_birth",
                                        "a minor on admission: minors are never admitted")]
            continue
        if prisoner.cell is None:
            if prisoner.building is not None and not any(
                    c.building == f"{facility_code}/{prisoner.building}" for c in cells.values()):
                result.errors = [{"field": "building", "message": f"no building "
                                  f"{prisoner.building} in {facility_code}"}]
                continue
            to_place.append((result, prisoner, person))
            continue
        assert prisoner.building is not None  # a cell needs its building (schema)
        key = cell_key(facility_code, prisoner.building, prisoner.cell)
        target = cells.get(key)
        if target is None:
            result.errors = [{"field": "cell", "message": f"no cell {prisoner.building}/"
                              f"{prisoner.cell} in {facility_code}"}]
            continue
        violations = assign.check_placement(person, target, list(cells.values()), state.rules)
        if violations:
            v = violations[0]
            result.errors = [_sep_error(v.constraint.value, "cell", v.message)]
            continue
        cells[key] = _with(target, person)
        admitted.append((result, prisoner, person, key))

    # One engine run per requested building (None: anywhere), the group placed at once.
    by_building: dict[str | None, list[tuple[AdmissionResult, DomesticPrisoner,
                                             assign.Person]]] = {}
    for item in to_place:
        by_building.setdefault(item[1].building, []).append(item)
    for building, group in sorted(by_building.items(), key=lambda kv: kv[0] or ""):
        plan = assign.assign([p for _, _, p in group], _only_in(cells, facility_code, building),
                             state.rules)
        blocked = {u.person: u for u in plan.unplaced}
        for result, prisoner, person in group:
            placed = plan.placements.get(person.id)
            if placed is not None:
                admitted.append((result, prisoner, person, placed))
                cells[placed] = _with(cells[placed], person)
            else:
                u = blocked[person.id]
                result.errors = [_sep_error(u.constraint.value, "cell", u.reason)]

    events = []
    for result, prisoner, person, key in sorted(admitted, key=lambda a: a[0].line):
        building, cell = split_key(key)
        result.outcome, result.public_id, result.cell = "admitted", person.id, f"{building}/{cell}"
        events.append(NewEvent(
            type="population.admitted", actor=actor, party=custodian, subject=person.id,
            facility=facility_code, payload=PopulationAdmitted(
                public_id=person.id, facility_code=facility_code, custodian=custodian,
                prisoner=prisoner, building=building, cell=cell)))
    record_many(session, events)
    return results


def _only_in(cells: dict[str, assign.Cell], facility: str, building: str | None
             ) -> list[assign.Cell]:
    """_only_in: every cell, but only those of BUILDING open for placement. The others stay
    in view so that building- and facility-level separation still sees who is in them."""
    if building is None:
        return list(cells.values())
    inside = f"{facility}/{building}"
    return [c if c.building == inside else replace(c, active=False) for c in cells.values()]


def _with(cell: assign.Cell, person: assign.Person) -> assign.Cell:
    return replace(cell, occupants=(*cell.occupants, person))


def _sep_error(constraint: str, field_name: str, message: str) -> dict[str, str]:
    number = SEPARATION_NUMBER[constraint]
    return {"field": field_name, "message": f"{number}: {message}",
            "code": ErrorCode.SEPARATION_VIOLATION.value, "rule": number}


def _ref(data: Any) -> str | None:
    ref = data.get("local_ref") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) else None


def get_prisoner(session: Session, public_id: str, party: str | None = None) -> Prisoner:
    """get_prisoner; a sending state (PARTY) sees only the people in its legal custody."""
    prisoner = session.get(Prisoner, public_id)
    if prisoner is None or (party is not None and prisoner.legal_custodian != party):
        raise NotFound(f"person {public_id!r} not found")
    return prisoner


def get_file(session: Session, public_id: str, by: Principal) -> Prisoner:
    """get_file is the person file BY may open (DESIGN.md §12.1 last row): a sending state
    its own people, counsel only its clients of record — anyone else's reads as a person
    who does not exist."""
    from habeas.counsel import service as counsel

    counsel.require_client(session, by, public_id)
    return get_prisoner(session, public_id, by.scope)


def record_intake(session: Session, public_id: str, intake: IntakeIn, *, officer: str,
                  actor: str, party: str | None, at: datetime,
                  late_reason: str | None = None) -> IntakeRecord:
    """record_intake takes a handed-over person in: the admission record of Mandela Rule 7.

    Identity must be verified: the document checked is named, and when the
    sending state gave a biometric reference at handover the one captured here
    must match it. Minors are never admitted (Rule 11(d)).
    """
    from habeas.events import check_claim
    from habeas.transfers.models import ManifestPerson

    # Intake is the receiving state's act on a person of its agreement (DESIGN.md §12.1).
    prisoner = records.in_custody_of(session, public_id, party, act="recording intake",
                                     missing=f"person {public_id!r} has not been handed over")
    check_claim("intake.recorded", at, late_reason, field="at")
    if prisoner.status != "handed_over":
        raise Conflict(f"{public_id} is {prisoner.status.replace('_', ' ')}; intake is taken "
                       "once, after handover", code=ErrorCode.INVALID_TRANSITION)
    if is_minor(prisoner.date_of_birth, at.date()):
        raise Conflict(f"{SEPARATION_NUMBER['minor']}: {public_id} is a minor: minors are "
                       "never admitted", code=ErrorCode.SEPARATION_VIOLATION,
                       details={"rule": SEPARATION_NUMBER["minor"], "field": "date_of_birth"})
    handed_over_at, reference = session.execute(
        select(ManifestPerson.handed_over_at, ManifestPerson.biometric_reference_sha256).where(
            ManifestPerson.public_id == public_id, ManifestPerson.status == "handed_over")
    ).first() or (None, None)
    if handed_over_at is not None and at < handed_over_at:
        # Causal order (DESIGN.md §12.2): handover ≤ intake.
        raise field_error("at", f"before {public_id} was handed over "
                          f"({handed_over_at.isoformat()})", ErrorCode.OUT_OF_ORDER)
    match: bool | None = None
    if reference is not None:
        if intake.biometric_sha256 is None:
            raise field_error("biometric_sha256", "the sending state gave a biometric reference "
                              "at handover; capture the person's and enter its hash")
        if intake.biometric_sha256 != reference:
            raise Conflict("biometric_sha256: does not match the reference given at handover; "
                           "do not admit — verify who this is", code=ErrorCode.IDENTITY_MISMATCH,
                           details={"field": "biometric_sha256"})
        match = True
    event = record(session, NewEvent(
        type="intake.recorded", actor=actor, subject=public_id, facility=prisoner.facility_code,
        party=prisoner.legal_custodian, occurred_at=at, late_reason=late_reason,
        payload=IntakeRecorded(
            public_id=public_id, officer=officer, biometric_match=match, intake=intake)))
    if prisoner.kind == "transferee":
        # From admission on, everyone knows the day the sentence ends (DESIGN.md §5).
        dates = release_for(session, public_id)
        records.set_release_date(session, public_id, sentence_expiry=dates.sentence_expiry,
                                 release_date=dates.release_date,
                                 working=dates.steps + [f"error: {e.field}: {e.problem}"
                                                        for e in dates.errors], actor=actor,
                                 party=party)
    return session.get_one(IntakeRecord, event.seq)


def people_held(session: Session, *, scope: str | None, facility: str | None = None,
                status: str | None = None, limit: int = 100, offset: int = 0) -> list[Prisoner]:
    """people_held: the people held, by id, a page at a time; a state (SCOPE) sees only those
    in its legal custody."""
    query = select(Prisoner).order_by(Prisoner.public_id).limit(limit).offset(offset)
    if facility is not None:
        query = query.where(Prisoner.facility_code == facility)
    if status is not None:
        query = query.where(Prisoner.status == status)
    if scope is not None:
        query = query.where(Prisoner.legal_custodian == scope)
    return list(session.scalars(query))


def latest_intake(session: Session, public_id: str) -> IntakeRecord | None:
    return session.scalars(select(IntakeRecord).where(IntakeRecord.public_id == public_id)
                           .order_by(IntakeRecord.seq.desc())).first()


def waiting_for_intake(session: Session, facility_code: str, *, limit: int | None = None,
                       offset: int = 0) -> list[Prisoner]:
    """waiting_for_intake: the people handed over to the facility and not yet taken in;
    LIMIT from OFFSET."""
    return list(session.scalars(select(Prisoner).where(
        Prisoner.facility_code == facility_code, Prisoner.status == "handed_over")
        .order_by(Prisoner.public_id).limit(limit).offset(offset)))


def count_by_status(session: Session, facility_code: str) -> dict[str, int]:
    return {status: n for status, n in session.execute(
        select(Prisoner.status, func.count()).where(Prisoner.facility_code == facility_code)
        .group_by(Prisoner.status))}


def alerts_for(session: Session, party: str | None, limit: int = 50) -> list[Alert]:
    """alerts_for: a state's alerts, newest first; PARTY None (admin, monitor) sees every
    event's alert once, not once for each state it was filed for."""
    query = select(Alert).order_by(Alert.seq.desc()).limit(limit)
    if party is not None:
        query = query.where(Alert.party == party)
    else:
        query = query.where(Alert.id.in_(select(func.min(Alert.id)).group_by(Alert.seq)))
    return list(session.scalars(query))
