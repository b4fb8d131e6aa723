"""Chapter 5 (April 2025): the two flights — planned, approved, flown, handed over, taken in
and housed — with the court orders that take people off at the gates or in the air; and the
flights home that later chapters put on the agenda."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .story import Agenda, on_day, story, tick

# Two flights in April 2025, once the 30 days' notice served on 5 March have run. During
# the second a court order covering alleged Tren de Aragua members is issued (as on
# 15 March 2025, when planes were in the air).
FLIGHTS = (
    ("2025-04-10T13:00:00+00:00", "2025-04-10T17:30:00+00:00", "GXA 6143"),
    ("2025-04-12T13:00:00+00:00", "2025-04-12T17:30:00+00:00", "GXA 6145"),
)
IN_FLIGHT_ORDER = {
    "hold_ref": "1:25-cv-01101-TRO", "court": "U.S. District Court for D.C.", "kind": "tro",
    "issued": "2025-04-12", "expires": None, "scope": {"affiliation_group": "Tren de Aragua"},
    "bars_removal_to": "any"}
LAST_MINUTE_STAY = {
    "hold_ref": "4:25-cv-00412-STAY", "court": "U.S. Court of Appeals for the Fifth Circuit",
    "kind": "stay", "issued": "2025-04-10", "expires": None, "bars_removal_to": "any"}
OFFICERS = ("Deportation Officer R. Castillo (ICE ERO)", "Subinspector A. Portillo (DGCP)")
LEFT_AWAITING_INTAKE = 3

# Each flight is planned by the receiving state and approved by the sending state in the
# days before it leaves.
FLIGHT_PLANNED = (date(2025, 4, 7), date(2025, 4, 11))

DEMO_RETURNED = datetime(2025, 6, 27, 14, tzinfo=UTC)  # the man sent in error, flown back


def transfer(session: Session) -> list[str]:
    """transfer moves the accepted people in two flights: depart, arrive, hand over, take in,
    house. A court order issued during the second flight sends its people back."""
    from habeas.nominations.models import NominationRecord
    from habeas.transfers.models import Manifest

    if session.scalar(select(func.count()).select_from(Manifest)):
        return ["transfers: unchanged"]
    with story(session, on_day(FLIGHT_PLANNED[0], 10)):
        accepted = list(session.scalars(select(NominationRecord).where(
            NominationRecord.status == "accepted").order_by(NominationRecord.received_seq)))
        half = len(accepted) // 2
        return [_fly(session, number, flight, group, planned_on)
                for number, (flight, group, planned_on) in enumerate(
                    zip(FLIGHTS, (accepted[:half], accepted[half:]), FLIGHT_PLANNED,
                        strict=True), start=1)]


def _fly(session: Session, number: int, flight: tuple[str, str, str], group: list[Any],
         planned_on: date) -> str:
    """_fly: flight NUMBER with GROUP on board, from its planning to its people housed."""
    from habeas.facilities import housing
    from habeas.transfers import service as transfers

    leaves, lands, flight_number = flight
    departs, landed = datetime.fromisoformat(leaves), datetime.fromisoformat(lands)
    manifest = _plan_and_approve(session, number, flight, group, planned_on)
    if number == 1:
        _a_last_minute_stay(session, group[0], departs)
    tick(departs)
    boarded, removed = transfers.depart(session, manifest, departed_at=departs,
                                        actor="user:us.officer", party="USA")
    line = f"flight {flight_number} ({manifest}): {len(boarded)} boarded, {len(removed)} " \
           "taken off at the gates"
    if number == 2:
        line += _an_order_in_flight(session, departs)
    arrival = landed + timedelta(hours=2)
    tick(arrival)
    transfers.arrive(session, manifest, arrived_at=arrival, actor="user:sv.warden",
                     party="SLV")
    stopped = [e for e, _ in transfers.people_on(session, manifest)
               if e.status == "return_required"]
    entries = [e for e, _ in transfers.people_on(session, manifest)
               if e.status == "departed"]
    taken_in = entries[:-LEFT_AWAITING_INTAKE] if number == len(FLIGHTS) else entries
    _hand_over_and_take_in(session, manifest, arrival, entries, taken_in, stopped)
    if stopped:
        line += f"; {len(stopped)} flown back the next morning"
    report = housing.house(session, "CECOT", on=arrival.date(), actor="user:sv.warden")
    line += f"; {len(entries)} handed over, {len(report.placed)} housed"
    if report.unplaced:
        line += f", {len(report.unplaced)} not placed"
    return line


def _plan_and_approve(session: Session, number: int, flight: tuple[str, str, str],
                      group: list[Any], planned_on: date) -> str:
    """The receiving state plans the manifest (the flight, then the convoy to CECOT) and the
    sending state approves it the same afternoon; returns the manifest's id."""
    from habeas.transfers import service as transfers
    from habeas.transfers.schemas import ManifestIn

    leaves, lands, flight_number = flight
    landed = datetime.fromisoformat(lands)
    body = ManifestIn.model_validate({
        "legs": [{"mode": "flight", "carrier": "GlobalX Airlines (ICE Air)",
                  "number": flight_number, "origin": "Harlingen, TX (HRL)",
                  "destination": "San Salvador (SAL)", "departs_at": leaves,
                  "arrives_at": lands},
                 {"mode": "road", "carrier": "Dirección General de Centros Penales",
                  "number": f"convoy {number}", "origin": "San Salvador (SAL)",
                  "destination": "CECOT, Tecoluca",
                  "departs_at": (landed + timedelta(minutes=45)).isoformat(),
                  "arrives_at": (landed + timedelta(hours=2)).isoformat()}],
        "people": [r.public_id for r in group]})
    tick(on_day(planned_on, 10))
    manifest = transfers.plan(session, body, actor="user:sv.warden", party="SLV")
    tick(on_day(planned_on, 15))
    transfers.approve(session, manifest.id, actor="user:us.officer", party="USA")
    return manifest.id


def _a_last_minute_stay(session: Session, person: Any, departs: datetime) -> None:
    """An emergency stay for one man, registered minutes before wheels up."""
    from habeas.holds import service as holds

    tick(departs - timedelta(minutes=20))
    holds.register(session, holds.parse_hold({
        **LAST_MINUTE_STAY, "scope": {"external_ref": person.external_ref}}),
        actor="user:counsel", party=None, as_of=departs.date())


def _an_order_in_flight(session: Session, departs: datetime) -> str:
    """A court order issued while the plane is in the air, and registered then."""
    from habeas.holds import service as holds
    from habeas.nominations.models import NominationRecord

    tick(departs + timedelta(hours=1, minutes=30))
    holds.register(session, holds.parse_hold(IN_FLIGHT_ORDER), actor="user:counsel",
                   party=None, as_of=departs.date())
    sent_back = session.scalar(select(func.count()).select_from(NominationRecord).where(
        NominationRecord.status == "return_required")) or 0
    return f"; court order {IN_FLIGHT_ORDER['hold_ref']} issued in flight: " \
           f"{sent_back} marked return_required"


def _hand_over_and_take_in(session: Session, manifest: str, arrival: datetime,
                           entries: list[Any], taken_in: list[Any], stopped: list[Any]
                           ) -> None:
    """One at a time: each handed over a minute after the last, and taken in an hour after
    their handover — handover ≤ intake (DESIGN.md §12.2); those an order stopped are flown
    back the next morning, as the order requires."""
    from habeas.custody import service as custody
    from habeas.nominations.models import NominationRecord
    from habeas.transfers import service as transfers
    from habeas.transfers.schemas import HandoverPartIn

    agenda = Agenda()
    for i, entry in enumerate(entries):
        handed = arrival + timedelta(minutes=i + 5)
        part = HandoverPartIn(public_id=entry.public_id, handed_over_at=handed)
        # Each state records its own part of the handover (DESIGN.md §12.1).
        agenda.at(handed, functools.partial(
            transfers.hand_over, session, manifest, part, officer=OFFICERS[0],
            actor="user:us.officer", party="USA"))
        agenda.at(handed, functools.partial(
            transfers.hand_over, session, manifest, part, officer=OFFICERS[1],
            actor="user:sv.warden", party="SLV"))
    for i, entry in enumerate(taken_in):
        record = session.get_one(NominationRecord, entry.public_id)
        agenda.at(arrival + timedelta(minutes=i + 65), functools.partial(
            custody.record_intake, session, entry.public_id, _intake(record, i),
            officer="Subinspector A. Portillo", actor="user:sv.warden", party="SLV",
            at=arrival + timedelta(minutes=i + 65)))
    for entry in stopped:
        agenda.at(arrival + timedelta(hours=14), functools.partial(
            transfers.return_from_transit, session, manifest, entry.public_id,
            returned_at=arrival + timedelta(hours=14), officer=OFFICERS[0],
            actor="user:us.officer", party="USA"))
    agenda.run()


def _intake(record: Any, i: int) -> Any:
    """_intake: the Rule 7 admission record of the I-th person taken in from a flight."""
    from habeas.custody.schemas import IntakeIn

    document = record.data["person"]["documents"][0]
    affiliation = record.data.get("affiliation") or {}
    return IntakeIn.model_validate({
        "document_checked": f"{document['type']} {document['number']}",
        "visible_injuries": "bruising to both wrists (restraints)" if i % 9 == 0 else "",
        "ill_treatment_complaint": "says he was struck during the flight" if i % 23 == 0
        else "",
        "property": [{"description": "clothing bag", "quantity": 1}],
        "contacts": [{"name": k["name"], "relationship": k["relationship"],
                      "phone": k.get("phone"), "emergency": True,
                      "email": family_email(k["name"], record.public_id)}
                     for k in record.data.get("next_of_kin", [])],
        "language": record.data["person"]["language"],
        "medical_flags": ["hypertension"] if i % 11 == 0 else [],
        "security_level": "maximum",
        "affiliation": {"group": affiliation.get("group"),
                        "basis": affiliation.get("basis", "none"),
                        "source": "sending state's nomination"}
        if affiliation.get("group") else {}})


def family_email(name: str, public_id: str) -> str:
    """family_email: a fictitious address for a demo contact (the reserved .example domain),
    so the admission, transfer, illness and death notices have somewhere to go."""
    from habeas.locator.normalise import name_key

    tag = hashlib.sha256(public_id.encode()).hexdigest()[:4]
    return f"{name_key(name).replace(' ', '.')}.{tag}@family.example"


def home_on(person: Any) -> date:
    """home_on: the day a person whose release date has come is flown home. A sentence
    that ran out before the flight (the profile leaves MIN_REMAINING off) ends at the
    first flight home after intake."""
    released: date = person.release_date
    admitted: date = person.admitted_on
    return max(released, admitted + timedelta(days=3))


def fly_home(session: Session, agenda: Agenda, public_id: str, leaves: datetime,
             outcome: str) -> None:
    """fly_home: a return manifest for one person, planned the day before, approved,
    flown and receipted — each act on the agenda at its time."""
    from habeas.transfers import service as transfers
    from habeas.transfers.schemas import HandoverPartIn, ManifestIn

    body = ManifestIn.model_validate({"legs": [{
        "mode": "flight", "carrier": "GlobalX Airlines (ICE Air)", "number": "GXA 6200",
        "origin": "San Salvador (SAL)", "destination": "Harlingen, TX (HRL)",
        "departs_at": leaves.isoformat(),
        "arrives_at": (leaves + timedelta(hours=4)).isoformat()}],
        "people": [public_id]})
    manifest: dict[str, str] = {}

    def plan() -> None:
        manifest["id"] = transfers.plan_return(session, body, outcome=outcome,
                                               actor="user:sv.warden", party="SLV").id

    agenda.at(leaves - timedelta(hours=24), plan)
    agenda.at(leaves - timedelta(hours=20), lambda: transfers.approve(
        session, manifest["id"], actor="user:us.officer", party="USA"))
    agenda.at(leaves, lambda: transfers.depart(
        session, manifest["id"], departed_at=leaves, actor="user:us.officer", party="USA"))
    agenda.at(leaves + timedelta(hours=4), lambda: transfers.arrive(
        session, manifest["id"], arrived_at=leaves + timedelta(hours=4),
        actor="user:sv.warden", party="SLV"))
    # Each state records its own part of the handback: the escort hands, the sending
    # state's officer receipts (DESIGN.md §12.1).
    back = HandoverPartIn(public_id=public_id,
                          handed_over_at=leaves + timedelta(hours=4, minutes=20))
    agenda.at(back.handed_over_at, lambda: transfers.hand_back(
        session, manifest["id"], back, officer="Custodio R. Menjívar (DGCP escort)",
        actor="user:sv.warden", party="SLV"))
    agenda.at(back.handed_over_at, lambda: transfers.hand_back(
        session, manifest["id"], back, officer=OFFICERS[0],
        actor="user:us.officer", party="USA"))
