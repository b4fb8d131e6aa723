"""The demo scenario: a CECOT-like facility, the 2025 USA–SLV agreement, a user per role.

Deterministic for a given seed: the same seed gives the same ids and the same
scenario (only event salts, which must stay secret and random, differ).
Running it again on a loaded database changes nothing.

The story lives in time (DESIGN.md §12.2): every step runs on the injected clock
(habeas.clock.simulated), set to the moment each act happens, so an event's
`recorded_at` is the story's day, not the day the demo was loaded, and its
`occurred_at` is never later. Steps whose acts interleave over months (`simulate`)
put them on an agenda and run it in time order, so the clock only moves forward.
"""

from __future__ import annotations

import functools
import hashlib
import random
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas import projections
from habeas.agreements import service as agreements
from habeas.auth import service as auth
from habeas.auth.models import Role, User
from habeas.clock import SimulatedClock, active, simulated, utcnow
from habeas.errors import Conflict, ErrorCode
from habeas.facilities import service as facilities
from habeas.facilities.schemas import FacilityFile
from habeas.ledger import service as ledger
from habeas.ledger.models import Event
from habeas.ledger.note import ALG_COSIGNATURE_V1, Signer, cosign
from habeas.nominations.service import PUBLIC_ID_ALPHABET

# The other state and the monitor witness the log (DESIGN.md §6). Their keys would
# live on their own machines; the demo derives them from the seed so it can cosign.
DEMO_WITNESSES = (("us.officer", "usa.example/witness"), ("monitor", "monitor.example/witness"))

DEMO_PROFILE = "bilateral-fee-2025"
DEMO_PASSWORD = "cecot-demo-2025"  # noqa: S105 - demo only; printed by `make demo`
ACTOR = "system:demo"

# CECOT as publicly described: 8 modules × 32 cells of ~100 m², signed for 40,000.
CECOT_LAYOUT = resources.files("habeas.facilities") / "layouts" / "cecot.toml"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    party: str | None


DEMO_USERS = (
    DemoUser("admin", "System Administrator", Role.ADMIN, None),
    DemoUser("us.officer", "Dana Whitfield (U.S. Department of Justice)", Role.SENDING, "USA"),
    DemoUser("sv.warden", "Carlos Menjívar (Dirección General de Centros Penales)",
             Role.RECEIVING, "SLV"),
    DemoUser("counsel", "María Herrera, Esq. (counsel of record)", Role.COUNSEL, None),
    DemoUser("monitor", "Inés Duarte (independent monitor)", Role.MONITOR, None),
)


def _wall() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _story(session: Session, at: datetime) -> Iterator[SimulatedClock]:
    """_story: the story's clock, from AT — or from the last recorded event, if later, so
    that recording times follow the log's order across steps — never past the wall clock
    (nothing is recorded before it happens). Inside another step's story, that clock."""
    projections.install()  # every chapter of the story starts here
    clock = active()
    if clock is not None:
        clock.set(min(at, _wall()))
        yield clock
        return
    last = session.scalar(select(func.max(Event.recorded_at)))
    start = at if last is None else max(at, last)
    with simulated(min(start, _wall())) as clock:
        yield clock


def _tick(moment: datetime) -> None:
    """_tick moves the story's clock to MOMENT (never back, never past the wall clock)."""
    clock = active()
    assert clock is not None, "a demo step runs on its story clock"
    clock.set(min(moment, _wall()))


@dataclass
class _Agenda:
    """_Agenda: the story's acts, each at its moment, run in time order on its clock (acts
    at the same moment in the order they were put on the agenda)."""

    acts: list[tuple[datetime, int, Callable[[], object]]] = field(default_factory=list)

    def at(self, moment: datetime, act: Callable[[], object]) -> None:
        self.acts.append((moment, len(self.acts), act))

    def run(self) -> None:
        for moment, _, act in sorted(self.acts, key=lambda a: (a[0], a[1])):
            _tick(moment)
            act()
        self.acts.clear()


def _on(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour,
                                                                      minutes=minute)


# The agreement is signed, the facility described and the users set up before the
# first nominations (1 March 2025).
DEMO_SET_UP = datetime(2025, 2, 20, 9, tzinfo=UTC)


def cecot_layout() -> FacilityFile:
    """cecot_layout is the shipped CECOT facility file (facilities/layouts/cecot.toml)."""
    return facilities.parse_facility(tomllib.loads(CECOT_LAYOUT.read_text(encoding="utf-8")))


def load(session: Session, *, seed: int = 2025) -> list[str]:
    """load puts the demo scenario in the database and says what it did, step by step."""
    loaded = session.scalar(select(User.id).where(User.username == DEMO_USERS[0].username))
    last = session.scalar(select(func.max(Event.recorded_at)))
    if loaded is None and last is not None and last > DEMO_SET_UP:
        # Its 2025 story cannot be recorded in 2025 after the log has reached LAST: every
        # act would be out of causal order or late (DESIGN.md §12.2).
        raise Conflict(f"the demo lives its 2025 story in time, and this log already "
                       f"holds events recorded on {last:%Y-%m-%d}: load the demo into an "
                       "empty database first (habeas init; habeas demo), then register "
                       "other agreements", code=ErrorCode.CONFLICT)
    with _story(session, DEMO_SET_UP):
        return _load(session, seed)


def _load(session: Session, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo ids, not secrets
    done: list[str] = []
    doc = agreements.load_profile(DEMO_PROFILE)
    outcome = agreements.register(session, doc, actor=ACTOR)
    done.append(f"agreement {doc.agreement.ref}: {outcome}")

    report = facilities.load_facility(session, cecot_layout(), actor=ACTOR)
    done.append(f"facility {report.facility}: layout "
                + (f"{report.buildings_added} buildings, {report.cells_added} cells added"
                   if report.cells_added else "unchanged"))

    for demo_user in DEMO_USERS:
        user_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if session.scalar(select(User.id).where(User.username == demo_user.username)):
            done.append(f"user {demo_user.username}: unchanged")
            continue
        auth.add_user(session, username=demo_user.username, display_name=demo_user.display_name,
                      role=demo_user.role, party_code=demo_user.party, password=DEMO_PASSWORD,
                      actor=ACTOR, user_id=user_id)
        done.append(f"user {demo_user.username}: added")
    return done


def _demo_witness_key(name: str, seed: int) -> Signer:
    return Signer(name, ALG_COSIGNATURE_V1,
                  hashlib.sha256(f"habeas-demo:{seed}:{name}".encode()).digest())


def witness(session: Session, log: Signer, *, seed: int = 2025,
            now: datetime | None = None) -> list[str]:
    """witness registers the demo witnesses, signs a checkpoint, and has both cosign it."""
    done = []
    witnesses = []
    for username, name in DEMO_WITNESSES:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None, "load() adds the demo users first"
        who = auth.principal_for(user, "token")
        key = _demo_witness_key(name, seed)
        ledger.register_witness(session, who, key.verifier.vkey)
        witnesses.append((who, key))
    checkpoint = ledger.sign_checkpoint(session, log, now=now)
    done.append(f"ledger checkpoint signed at size {checkpoint.size}")
    body = checkpoint.note[: checkpoint.note.index("\n\n") + 1]
    stamp = int((now or utcnow()).timestamp())
    for who, key in witnesses:
        line = cosign(body, key, stamp).line
        ledger.add_cosignature(session, who, checkpoint.note + line)
        done.append(f"checkpoint {checkpoint.size} cosigned by {key.name} ({who.username})")
    return done


DEMO_AS_OF = date(2025, 3, 1)
DEMO_ACCEPTED_ON = date(2025, 3, 5)
DEMO_NOMINATIONS = 400

# J.G.G. v. Trump: a class-wide order for Venezuelans; and the 2019 order that
# protected Kilmar Abrego García from removal to El Salvador.
DEMO_HOLDS = (
    {"hold_ref": "1:25-cv-00766-TRO", "court": "U.S. District Court for D.C.", "kind": "tro",
     "issued": "2025-02-28", "expires": None, "scope": {"nationality": "VEN"},
     "bars_removal_to": "any"},
    {"hold_ref": "PX-2019-WOR-0001", "court": "U.S. Immigration Court, Baltimore",
     "kind": "withholding_of_removal", "issued": "2019-10-10", "expires": None,
     "scope": {"external_ref": "US-2025-PROTECTED"}, "bars_removal_to": ["SLV"]},
)


def nominate(session: Session, *, seed: int = 2025) -> list[str]:
    """nominate has the sending state nominate 400 people, then registers the court orders."""
    with _story(session, _on(DEMO_AS_OF, 9)):
        return _nominate(session, seed)


def _nominate(session: Session, seed: int) -> list[str]:
    from habeas.agreements.models import Agreement
    from habeas.holds import service as holds
    from habeas.nominations import service as nominations
    from habeas.nominations.synthetic import nominations as synthetic
    from habeas.nominations.synthetic import protected_man

    agreement = session.get_one(Agreement, "USA-SLV-2025")
    rng = random.Random(seed + 1)  # noqa: S311 - reproducible demo ids, not secrets
    ids = "".join
    people = [*synthetic(DEMO_NOMINATIONS - 1, seed=seed, as_of=DEMO_AS_OF),
              protected_man(DEMO_AS_OF)]
    rows = [nominations.Row(i + 1, p) for i, p in enumerate(people)]
    results = nominations.import_rows(
        session, agreement, rows, as_of=DEMO_AS_OF, actor="user:us.officer",
        id_source=lambda n: ids(rng.choice(nominations.PUBLIC_ID_ALPHABET) for _ in range(n)))
    counts: dict[str, int] = {}
    for result in results:
        counts[result.decision] = counts.get(result.decision, 0) + 1
    done = [f"nominations: {len(results)} read: " + ", ".join(
        f"{k} {v}" for k, v in sorted(counts.items()))]
    _tick(_on(DEMO_AS_OF, 11))
    for order in DEMO_HOLDS:
        outcome, changed = holds.register(session, holds.parse_hold(order),
                                          actor="user:counsel", party=None, as_of=DEMO_AS_OF)
        done.append(f"court order {order['hold_ref']}: {outcome}, {changed} decision(s) changed")
    done.append(accept_up_to_quota(session, agreement))
    return done


def accept_up_to_quota(session: Session, agreement: Any) -> str:
    """accept_up_to_quota: the receiving state accepts eligible people until the quota is met,
    and the sending state serves each of them written notice the same day."""
    with _story(session, _on(DEMO_ACCEPTED_ON, 9)):
        return _accept_up_to_quota(session, agreement)


def _accept_up_to_quota(session: Session, agreement: Any) -> str:
    from habeas.nominations import decisions
    from habeas.nominations.models import NominationRecord

    waiting = list(session.scalars(
        select(NominationRecord).where(NominationRecord.decision == "eligible",
                                       NominationRecord.status == "nominated")
        .order_by(NominationRecord.received_seq)))
    already = session.scalar(select(func.count()).select_from(NominationRecord).where(
        NominationRecord.status == "accepted")) or 0
    room = max(0, (agreement.quota or len(waiting)) - already)
    for i, record in enumerate(waiting[:room]):
        _tick(_on(DEMO_ACCEPTED_ON, 9, i))
        decisions.accept(session, record, on=DEMO_ACCEPTED_ON, actor="user:sv.warden",
                         party=agreement.receiving_party)
        decisions.serve_notice(session, record, served_on=DEMO_ACCEPTED_ON,
                               language=record.data["person"]["language"], method="in_person",
                               acknowledged=True, actor="user:us.officer",
                               party=agreement.sending_party)
    taken = min(room, len(waiting))
    left = len(waiting) - taken
    return (f"acceptance: {taken} accepted and served notice"
            + (f"; {left} eligible left waiting: quota of {agreement.quota} reached" if left
               else ""))


DEMO_POPULATION_CHUNK = 5_000


def populate(session: Session, *, seed: int = 2025, count: int | None = None) -> list[str]:
    """populate admits CECOT's reported domestic population (14,532, June 2024), or COUNT."""
    with _story(session, _on(DEMO_AS_OF, 8)):
        return _populate(session, seed, count)


def _populate(session: Session, seed: int, count: int | None) -> list[str]:
    from habeas.custody import service as custody
    from habeas.custody.synthetic import population
    from habeas.nominations.service import Row

    rng = random.Random(seed + 2)  # noqa: S311 - reproducible demo ids, not secrets
    from habeas.custody.synthetic import CECOT_POPULATION_JUNE_2024

    rows = [Row(i + 1, p) for i, p in enumerate(population(
        CECOT_POPULATION_JUNE_2024 if count is None else count, seed=seed))]
    counts: dict[str, int] = {}
    for start in range(0, len(rows), DEMO_POPULATION_CHUNK):
        for result in custody.import_population(
                session, "CECOT", rows[start:start + DEMO_POPULATION_CHUNK],
                actor="user:sv.warden", on=DEMO_AS_OF,
                id_source=lambda n: "".join(rng.choice(PUBLIC_ID_ALPHABET) for _ in range(n))):
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
    summary = facilities.capacity(session, "CECOT")
    return [f"population: {len(rows):,} domestic prisoners read: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
            + (f"; {summary.space_now_m2:.2f} m² per person" if summary.space_now_m2 else "")]


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


def transfer(session: Session) -> list[str]:
    """transfer moves the accepted people in two flights: depart, arrive, hand over, take in,
    house. A court order issued during the second flight sends its people back."""
    from habeas.transfers.models import Manifest

    if session.scalar(select(func.count()).select_from(Manifest)):
        return ["transfers: unchanged"]
    with _story(session, _on(FLIGHT_PLANNED[0], 10)):
        return _transfer(session)


# Each flight is planned by the receiving state and approved by the sending state in the
# days before it leaves.
FLIGHT_PLANNED = (date(2025, 4, 7), date(2025, 4, 11))


def _transfer(session: Session) -> list[str]:
    from habeas.custody import service as custody
    from habeas.facilities import housing
    from habeas.holds import service as holds
    from habeas.nominations.models import NominationRecord
    from habeas.transfers import service as transfers
    from habeas.transfers.schemas import HandoverPartIn, ManifestIn

    accepted = list(session.scalars(select(NominationRecord).where(
        NominationRecord.status == "accepted").order_by(NominationRecord.received_seq)))
    half = len(accepted) // 2
    done = []
    for number, ((leaves, lands, flight), group, planned_on) in enumerate(
            zip(FLIGHTS, (accepted[:half], accepted[half:]), FLIGHT_PLANNED, strict=True),
            start=1):
        departs, landed = datetime.fromisoformat(leaves), datetime.fromisoformat(lands)
        body = ManifestIn.model_validate({
            "legs": [{"mode": "flight", "carrier": "GlobalX Airlines (ICE Air)",
                      "number": flight, "origin": "Harlingen, TX (HRL)",
                      "destination": "San Salvador (SAL)", "departs_at": leaves,
                      "arrives_at": lands},
                     {"mode": "road", "carrier": "Dirección General de Centros Penales",
                      "number": f"convoy {number}", "origin": "San Salvador (SAL)",
                      "destination": "CECOT, Tecoluca",
                      "departs_at": (landed + timedelta(minutes=45)).isoformat(),
                      "arrives_at": (landed + timedelta(hours=2)).isoformat()}],
            "people": [r.public_id for r in group]})
        _tick(_on(planned_on, 10))
        manifest = transfers.plan(session, body, actor="user:sv.warden", party="SLV")
        _tick(_on(planned_on, 15))
        transfers.approve(session, manifest.id, actor="user:us.officer", party="USA")
        if number == 1:
            # An emergency stay for one man, registered minutes before wheels up.
            _tick(departs - timedelta(minutes=20))
            holds.register(session, holds.parse_hold({
                **LAST_MINUTE_STAY, "scope": {"external_ref": group[0].external_ref}}),
                actor="user:counsel", party=None, as_of=departs.date())
        _tick(departs)
        boarded, removed = transfers.depart(session, manifest.id, departed_at=departs,
                                            actor="user:us.officer", party="USA")
        line = f"flight {flight} ({manifest.id}): {len(boarded)} boarded, {len(removed)} " \
               "taken off at the gates"
        if number == 2:
            # Issued while the plane is in the air, and registered then.
            _tick(departs + timedelta(hours=1, minutes=30))
            holds.register(session, holds.parse_hold(IN_FLIGHT_ORDER), actor="user:counsel",
                           party=None, as_of=departs.date())
            sent_back = session.scalar(select(func.count()).select_from(NominationRecord).where(
                NominationRecord.status == "return_required")) or 0
            line += f"; court order {IN_FLIGHT_ORDER['hold_ref']} issued in flight: " \
                    f"{sent_back} marked return_required"
        arrival = landed + timedelta(hours=2)
        _tick(arrival)
        transfers.arrive(session, manifest.id, arrived_at=arrival, actor="user:sv.warden",
                         party="SLV")
        stopped = [e for e, _ in transfers.people_on(session, manifest.id)
                   if e.status == "return_required"]
        entries = [e for e, _ in transfers.people_on(session, manifest.id)
                   if e.status == "departed"]
        taken_in = entries[:-LEFT_AWAITING_INTAKE] if number == len(FLIGHTS) else entries
        # One at a time: each handed over a minute after the last, and taken in an hour
        # after their handover — handover ≤ intake (DESIGN.md §12.2).
        agenda = _Agenda()
        for i, entry in enumerate(entries):
            handed = arrival + timedelta(minutes=i + 5)
            part = HandoverPartIn(public_id=entry.public_id, handed_over_at=handed)
            # Each state records its own part of the handover (DESIGN.md §12.1).
            agenda.at(handed, functools.partial(
                transfers.hand_over, session, manifest.id, part, officer=OFFICERS[0],
                actor="user:us.officer", party="USA"))
            agenda.at(handed, functools.partial(
                transfers.hand_over, session, manifest.id, part, officer=OFFICERS[1],
                actor="user:sv.warden", party="SLV"))
        for i, entry in enumerate(taken_in):
            record = session.get_one(NominationRecord, entry.public_id)
            agenda.at(arrival + timedelta(minutes=i + 65), functools.partial(
                custody.record_intake, session, entry.public_id, _intake(record, i),
                officer="Subinspector A. Portillo", actor="user:sv.warden", party="SLV",
                at=arrival + timedelta(minutes=i + 65)))
        for entry in stopped:  # flown back the next morning, as the order requires
            agenda.at(arrival + timedelta(hours=14), functools.partial(
                transfers.return_from_transit, session, manifest.id, entry.public_id,
                returned_at=arrival + timedelta(hours=14), officer=OFFICERS[0],
                actor="user:us.officer", party="USA"))
        agenda.run()
        if stopped:
            line += f"; {len(stopped)} flown back the next morning"
        report = housing.house(session, "CECOT", on=arrival.date(), actor="user:sv.warden")
        line += f"; {len(entries)} handed over, {len(report.placed)} housed"
        if report.unplaced:
            line += f", {len(report.unplaced)} not placed"
        done.append(line)
    return done


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


DEMO_CONSULATES = resources.files("habeas.notify") / "consulates" / "demo-slv.toml"


def consulates(session: Session) -> list[str]:
    """consulates registers the demo's consular posts in El Salvador (fictitious addresses),
    so that admissions of Hondurans and Guatemalans are notified (VCCR art. 36)."""
    with _story(session, _on(DEMO_ACCEPTED_ON, 16)):
        return _consulates(session)


def _consulates(session: Session) -> list[str]:
    from habeas.notify import service as notify
    from habeas.notify.schemas import ConsulateFile

    directory = ConsulateFile.model_validate(
        tomllib.loads(DEMO_CONSULATES.read_text(encoding="utf-8")))
    done = notify.load_consulates(session, directory, actor=ACTOR)
    changed = sum(1 for line in done if not line.endswith("unchanged"))
    return [f"consulates in SLV: {changed} of {len(done)} registered (fictitious .example "
            "addresses)" if changed else "consulates in SLV: unchanged"]


def family_email(name: str, public_id: str) -> str:
    """family_email: a fictitious address for a demo contact (the reserved .example domain),
    so the admission, transfer, illness and death notices have somewhere to go."""
    from habeas.locator.normalise import name_key

    tag = hashlib.sha256(public_id.encode()).hexdigest()[:4]
    return f"{name_key(name).replace(' ', '.')}.{tag}@family.example"


DEMO_RENEWAL = "Exchange of notes between the United States and El Salvador, 1 March 2026"
FAMILY_GAP_DAYS = (18, 40)  # days between family calls for those who get them


def simulate(session: Session, *, until: date, seed: int = 2025) -> list[str]:
    """simulate lives custody from the flights until UNTIL: family and legal contacts, moves,
    solitary (one episode prolonged without review), releases and returns at the end of the
    sentence, one death and its independent investigation, the term renewed, inspections.

    Every act goes on an agenda at its moment; the agenda runs in time order on the story
    clock, so each is recorded when it happens (DESIGN.md §12.2)."""
    from habeas.custody.models import Death
    from habeas.custody.models import Solitary as SolitaryRow

    if session.scalar(select(func.count()).select_from(Death)) or \
            session.scalar(select(func.count()).select_from(SolitaryRow)):
        return ["custody year: unchanged"]
    with _story(session, _on(date(2025, 4, 13), 8)):
        return _simulate(session, until, seed)


def _simulate(session: Session, until: date, seed: int) -> list[str]:
    from habeas.agreements.models import Agreement
    from habeas.custody import integrity, records
    from habeas.custody.models import Prisoner

    rng = random.Random(seed + 3)  # noqa: S311 - a reproducible scenario, not secrets
    agreement = session.get_one(Agreement, "USA-SLV-2025")
    agenda = _Agenda()
    done = []
    if until > date(2026, 3, 1):
        def renew() -> None:
            # A renewal is in force only once the other state accepts it (DESIGN.md §12.1).
            proposal = agreements.propose_renewal(
                session, agreement.ref, months=12, basis=DEMO_RENEWAL,
                actor="user:us.officer", party="USA")
            agreements.accept_change(session, agreement.ref, proposal.seq,
                                     actor="user:sv.warden", party="SLV")

        agenda.at(_on(date(2026, 3, 1)), renew)
        done.append("agreement renewed for 12 months (exchange of notes, March 2026)")
    people = list(session.scalars(select(Prisoner).where(
        Prisoner.kind == "transferee", Prisoner.status == "in_custody")
        .order_by(Prisoner.public_id)))
    # The episodes below happen to people held throughout (not released before UNTIL).
    stayers = [p for p in people if p.release_date is None or p.release_date > until]
    # Contacts stop early for every sixth person: one of them was sent in error.
    erroneous = next(p for i, p in enumerate(people) if i % 6 == 0 and p in stayers[10:])
    # Nobody has contacts once gone: released, returned, or dead (DEMO_DIED).
    gone = {p.public_id: _home_on(p) for p in people
            if p.release_date is not None and p.release_date <= until}
    gone[erroneous.public_id] = DEMO_RETURNED.date()
    gone[stayers[4].public_id] = DEMO_DIED.date()
    contacts = 0
    for i, person in enumerate(people):
        day = person.admitted_on + timedelta(days=rng.randrange(5, 20))
        # One in six is cut off from family after the first weeks (Rule 58 is then visible).
        stop = until if i % 6 else person.admitted_on + timedelta(days=60)
        if person.public_id in gone:
            stop = min(stop, gone[person.public_id] - timedelta(days=1))
        while day <= stop:
            agenda.at(_on(day, 10, i % 60), functools.partial(
                records.record_contact, session, person.public_id, kind="family",
                mode=rng.choice(("call", "call", "visit", "letter")), on=day,
                with_whom="family (next of kin on file)", actor="user:sv.warden",
                party="SLV"))
            contacts += 1
            day += timedelta(days=rng.randrange(*FAMILY_GAP_DAYS))
        on = person.admitted_on + timedelta(days=30)
        if i % 10 == 0 and on <= min(until, gone.get(person.public_id, until)):
            agenda.at(_on(on, 15, i % 60), functools.partial(
                records.record_contact, session, person.public_id, kind="legal",
                mode="video", on=on, with_whom="counsel of record", actor="user:sv.warden",
                party="SLV"))
            contacts += 1
    done.append(f"contacts: {contacts:,} family, legal and consular contacts recorded")
    done += _solitary_episodes(session, agenda, stayers[:4], until)
    done += _a_subscription(session, agenda, stayers[4], until)
    done += _a_death(session, agenda, stayers[4], until)
    done += _releases(session, agenda, until)
    done += _oversight(session, agenda, stayers[5:7], until)
    billed = _billing(session, agenda, erroneous, stayers[8:10], until)
    agenda.run()
    done += billed()
    _tick(_on(until, 23))
    today = integrity.report(session, until)
    seq = integrity.record_run(session, today, actor="user:monitor")
    done.append(f"integrity report for {until} recorded on the ledger (event {seq}): "
                f"{today.breaches} of {len(today.lines)} checks found a breach")
    return done


def _principal(session: Session, username: str) -> auth.Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, "load() adds the demo users first"
    return auth.principal_for(user, "token")


def _oversight(session: Session, agenda: _Agenda, people: list[Any], until: date
               ) -> list[str]:
    """An unannounced inspection with two findings — one answered, one not, now overdue —
    and a grievance alleging ill-treatment, which goes to the monitor (Mandela Rule 57)."""
    from habeas.oversight import service as oversight
    from habeas.oversight.schemas import FindingIn, FindingResponseIn, GrievanceIn, InspectionIn

    visit = date(2025, 6, 20)
    if until < date(2025, 7, 28):
        return []
    found: dict[str, Any] = {}

    def inspect() -> None:
        inspection = oversight.record_inspection(session, InspectionIn(
            facility_code="CECOT", visited_on=visit, announced=False,
            areas=["M8", "M1", "kitchen", "infirmary"],
            inspectors=["Inés Duarte", "Dr. Tomás Aguilar (medical)"],
            summary="Unannounced visit to the module holding transferees and a domestic "
                    "module. Cells hold 74 people on 80 bare metal bunks; no yard time seen."),
            actor="user:monitor", today=visit)
        found["crowding"] = oversight.record_finding(session, inspection.seq, FindingIn(
            text="1.35 m² of floor per person in the cells visited, under the ICRC's 3.4 m².",
            recommendation="Reduce occupancy to the standard-compliant capacity; publish a "
                           "plan.", severity="high", response_due=date(2025, 8, 1)),
            actor="user:monitor")
        oversight.record_finding(session, inspection.seq, FindingIn(
            text="Transferees have had no visits; several have had no family contact at all.",
            recommendation="Allow family calls at least weekly (Mandela Rule 58).",
            severity="medium", response_due=date(2025, 9, 30),
            people_concerned=[p.public_id for p in people]), actor="user:monitor")

    agenda.at(_on(visit, 18), inspect)
    # Counsel files only for a client of record (DESIGN.md §12.1): she appears first.
    from habeas.counsel import service as counsel
    from habeas.counsel.schemas import AppearanceIn

    agenda.at(_on(date(2025, 6, 24)), lambda: counsel.appear(session, AppearanceIn(
        public_id=people[0].public_id, basis="engagement",
        engagement="engagement letter signed by the client at CECOT"),
        by=_principal(session, "counsel")))
    agenda.at(_on(date(2025, 6, 25)), lambda: oversight.file_grievance(session, GrievanceIn(
        public_id=people[0].public_id,
        filed_by={"role": "counsel", "name": "María Herrera, Esq."},
        category="treatment_by_staff",
        text="My client says he was beaten with batons on arrival and denied medical care.",
        alleges_ill_treatment=True, concerns_staff=["Custodio J. Pérez"]),
        by=_principal(session, "counsel")))
    agenda.at(_on(date(2025, 7, 28)), lambda: oversight.respond_to_finding(
        session, found["crowding"].seq, FindingResponseIn(
            text="Module 8 will not take further arrivals until occupancy falls.",
            decision="partially", actions=["freeze arrivals to Module 8"],
            responded_on=date(2025, 7, 28)), by=_principal(session, "sv.warden"),
        today=date(2025, 7, 28)))
    return ["oversight: an unannounced inspection with 2 findings (1 answered, 1 overdue); "
            "a grievance alleging ill-treatment, routed to the monitor"]


def _solitary_episodes(session: Session, agenda: _Agenda, people: list[Any], until: date
                       ) -> list[str]:
    from habeas.custody import records

    lengths = (6, 11, 22, 19)  # the last two are prolonged (> 15 days, Mandela Rule 44)
    start = datetime(2025, 7, 1, 9, tzinfo=UTC)
    if (start + timedelta(days=30 * 3 + 19)).date() > until:
        return []
    for i, (person, days) in enumerate(zip(people, lengths, strict=True)):
        begins = start + timedelta(days=30 * i)
        ends = begins + timedelta(days=days)
        episode: dict[str, int] = {}

        def put(public_id: str = person.public_id, begins: datetime = begins,
                episode: dict[str, int] = episode) -> None:
            episode["seq"] = records.start_solitary(
                session, public_id, at=begins, authorised_by="Director, CECOT",
                reason="disciplinary: fight in the cell", actor="user:sv.warden",
                party="SLV")

        agenda.at(begins, put)
        agenda.at(ends, functools.partial(records.end_solitary, session, person.public_id,
                                          at=ends, actor="user:sv.warden",
                                          party="SLV"))
        if days == 22:
            def review(episode: dict[str, int] = episode) -> None:
                records.review_solitary(
                    session, episode["seq"], reviewer="Inés Duarte (independent monitor)",
                    outcome="prolonged beyond Rule 44; ended on review", actor="user:monitor")

            agenda.at(ends + timedelta(hours=2), review)
    return ["solitary: 4 episodes, 2 prolonged (one independently reviewed, one not)"]


DEMO_SUBSCRIBER = "alertas@derechos-humanos.example"  # fictitious, like every demo address
DEMO_SUBSCRIBED = datetime(2025, 5, 2, 16, tzinfo=UTC)


def _a_subscription(session: Session, agenda: _Agenda, person: Any, until: date
                    ) -> list[str]:
    """A human-rights group finds a man in the locator and subscribes to his status changes
    (VINE-style): asked, confirmed with the code sent to its address."""
    from habeas.notify import service as notify

    def subscribe() -> None:
        # As the public API does it (notify.subscribe, notify.confirm), less the token and
        # the code, which need the server's key: the demo loads without one.
        now = utcnow()
        found = notify.request(session, public_id=person.public_id, channel="email",
                               address=DEMO_SUBSCRIBER, locale="es", client_key="demo",
                               now=now)
        notify.activate(session, found, now=now)

    agenda.at(min(DEMO_SUBSCRIBED, _on(until, 9)), subscribe)
    return [f"a subscription to {person.public_id}'s status changes, confirmed"]


DEMO_DIED = datetime(2025, 9, 14, 3, 40, tzinfo=UTC)
DEMO_RETURNED = datetime(2025, 6, 27, 14, tzinfo=UTC)  # the man sent in error, flown back


def _a_death(session: Session, agenda: _Agenda, person: Any, until: date) -> list[str]:
    from habeas.custody import records

    died = DEMO_DIED
    if date(2025, 9, 16) > until:  # the death and its investigation, two days later
        return []
    agenda.at(died + timedelta(hours=2), functools.partial(
        records.record_death, session, person.public_id, died_at=died,
        place=f"CECOT {person.building_code}/{person.cell_code}",
        circumstances="found unresponsive at the morning count", actor="user:sv.warden",
        party="SLV"))
    agenda.at(_on(date(2025, 9, 16)), functools.partial(
        records.record_death_investigation, session, person.public_id,
        body="Fiscalía General de la República", reference="FGR-UDV-2025-0914",
        opened_on=date(2025, 9, 16), actor="user:sv.warden", party="SLV"))
    return ["one death in custody (14 September 2025), investigated by the Fiscalía General"]


def _releases(session: Session, agenda: _Agenda, until: date) -> list[str]:
    """Everyone whose release date has come is flown home and receipted — but the latest,
    whose date fell in the last days, is still waiting (the report shows it)."""
    from habeas.custody.models import Prisoner

    due = list(session.scalars(select(Prisoner).where(
        Prisoner.kind == "transferee", Prisoner.status == "in_custody",
        Prisoner.release_date.is_not(None), Prisoner.release_date <= until)
        .order_by(Prisoner.release_date, Prisoner.public_id)))
    # Those whose flight home would leave after UNTIL are still held on UNTIL: the story
    # does not record what has not happened yet.
    waiting = [p for p in due if p.release_date and ((until - p.release_date).days < 4
                                                     or _home_on(p) > until)]
    going = [p for p in due if p not in waiting]
    for person in going:
        _fly_home(session, agenda, person.public_id, _on(_home_on(person), 14), "released")
    return [f"releases: {len(going)} released at the end of their sentence and handed back; "
            f"{len(waiting)} due in the last days still held"]


def _home_on(person: Any) -> date:
    """_home_on: the day a person whose release date has come is flown home. A sentence
    that ran out before the flight (the profile leaves MIN_REMAINING off) ends at the
    first flight home after intake."""
    released: date = person.release_date
    admitted: date = person.admitted_on
    return max(released, admitted + timedelta(days=3))


def _fly_home(session: Session, agenda: _Agenda, public_id: str, leaves: datetime,
              outcome: str) -> None:
    """_fly_home: a return manifest for one person, planned the day before, approved,
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


DEMO_BILLING_MONTHS = 12  # the agreement's first year: April 2025 to March 2026
DEMO_OVERDUE = "2026-02"  # the invoice the sending state has not paid


def _billing(session: Session, agenda: _Agenda, erroneous: Any, patients: list[Any],
             until: date) -> Callable[[], list[str]]:
    """A year of invoices: issued on the 3rd of the next month, paid about three weeks
    later — except February 2026's, overdue. An erroneous transfer is declared in June
    2025 (credited on the next invoice); medical pass-through charges in August, one
    disputed and credited, one custody line disputed and rejected (hospital days are
    custody days, DESIGN.md §8). Returns what to say once the agenda has run."""
    from habeas.billing import charges, issuing, payments
    from habeas.custody import records

    ref = "USA-SLV-2025"
    issued: list[Any] = []
    month = date(2025, 4, 1)
    for _ in range(DEMO_BILLING_MONTHS):
        after = (month + timedelta(days=32)).replace(day=1)
        today = after + timedelta(days=2)
        if today > until:
            break
        period = month.strftime("%Y-%m")
        if period == "2025-06":
            declared = datetime(2025, 6, 18, 15, tzinfo=UTC)
            agenda.at(declared, functools.partial(
                records.declare_erroneous_transfer, session, erroneous.public_id,
                actor="user:us.officer", party="USA",
                reason="Protected by a 2019 withholding-of-removal order barring return to "
                       "El Salvador; sent by administrative error", at=declared))
            _fly_home(session, agenda, erroneous.public_id, DEMO_RETURNED, "returned")
        if period == "2025-08":
            # Serious illness: the family and the consulate are told (Mandela Rules 68-69).
            taken_ill = datetime(2025, 8, 11, 23, tzinfo=UTC)
            agenda.at(taken_ill + timedelta(minutes=30), functools.partial(
                records.record_medical_emergency, session, patients[0].public_id,
                at=taken_ill, nature="illness",
                treated_at="Hospital Nacional Rosales, San Salvador",
                details="acute appendicitis; emergency appendectomy", actor="user:sv.warden",
                party="SLV"))
            for person, amount, what in ((patients[0], 85_000, "emergency appendectomy"),
                                         (patients[1], 42_000, "tuberculosis treatment")):
                agenda.at(_on(date(2025, 8, 12), 17), functools.partial(
                    charges.record_charge, session, ref, person.public_id, kind="medical",
                    incurred_on=date(2025, 8, 12), amount_minor=amount,
                    description=f"{what}, Hospital Nacional Rosales",
                    reference=f"HNR-2025-{amount}", actor="user:sv.warden", party="SLV"))
        invoices: dict[str, Any] = {}

        def issue(period: str = period, today: date = today,
                  invoices: dict[str, Any] = invoices) -> None:
            invoices["issued"] = issuing.issue_invoice(session, ref, period,
                                                       actor="user:sv.warden", party="SLV",
                                                       today=today)
            issued.append(invoices["issued"])

        agenda.at(_on(today), issue)
        if period == "2025-08":
            _disputes(session, agenda, invoices, patients, today + timedelta(days=6))
        if period != DEMO_OVERDUE and today + timedelta(days=21) <= until:
            paid_on = today + timedelta(days=21)

            def pay(paid_on: date = paid_on, invoices: dict[str, Any] = invoices) -> None:
                invoice = invoices["issued"]
                session.refresh(invoice)
                payments.record_payment(session, invoice.seq, invoice.balance_minor,
                                        paid_on=paid_on, reference=f"Fedwire {invoice.number}",
                                        actor="user:us.officer", party="USA")

            agenda.at(_on(paid_on, 16), pay)
        month = after

    def summary() -> list[str]:
        if not issued:
            return []
        total = sum(i.total_minor for i in issued)
        return [f"billing: {len(issued)} monthly invoices ({issued[0].number} to "
                f"{issued[-1].number}), US${total / 100:,.2f} invoiced; one erroneous "
                f"transfer credited; one disputed line credited, one rejected; "
                f"{DEMO_OVERDUE} overdue"]

    return summary


def _disputes(session: Session, agenda: _Agenda, invoices: dict[str, Any],
              patients: list[Any], on: date) -> None:
    from habeas.billing import disputes

    opened: dict[str, Any] = {}

    def open_both() -> None:
        invoice = invoices["issued"]
        medical = next(x for x in invoice.lines if x["kind"] == "medical"
                       and x["public_id"] == patients[0].public_id)
        custody = next(x for x in invoice.lines if x["kind"] == "custody"
                       and x["public_id"] == patients[1].public_id)
        opened["paid"] = disputes.open_dispute(
            session, invoice.number, medical["line"], actor="user:us.officer", party="USA",
            reason="Already paid directly by the ICE Health Service Corps (receipt "
                   "IHSC-2025-117)", today=on)
        opened["days"] = disputes.open_dispute(
            session, invoice.number, custody["line"], actor="user:us.officer", party="USA",
            reason="Ten days in Hospital Nacional Rosales are not days at CECOT", today=on)

    def decide_both() -> None:
        disputes.decide_dispute(session, opened["paid"].seq, accept=True,
                                actor="user:sv.warden", party="SLV",
                                reason="Confirmed: IHSC paid the hospital directly",
                                today=on + timedelta(days=4))
        disputes.decide_dispute(session, opened["days"].seq, accept=False,
                                actor="user:sv.warden", party="SLV",
                                today=on + timedelta(days=4),
                                reason="Days in hospital outside the facility are custody "
                                       "days under the agreement")

    agenda.at(_on(on), open_both)
    agenda.at(_on(on + timedelta(days=4)), decide_both)
