"""The demo scenario: a CECOT-like facility, the 2025 USA–SLV agreement, a user per role.

Deterministic for a given seed: the same seed gives the same ids and the same
scenario (only event salts, which must stay secret and random, differ).
Running it again on a loaded database changes nothing.
"""

from __future__ import annotations

import hashlib
import random
import tomllib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements import service as agreements
from habeas.auth import service as auth
from habeas.auth.models import Role, User
from habeas.db import utcnow
from habeas.facilities import service as facilities
from habeas.facilities.schemas import FacilityFile
from habeas.ledger import service as ledger
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


def cecot_layout() -> FacilityFile:
    """cecot_layout is the shipped CECOT facility file (facilities/layouts/cecot.toml)."""
    return facilities.parse_facility(tomllib.loads(CECOT_LAYOUT.read_text(encoding="utf-8")))


def load(session: Session, *, seed: int = 2025) -> list[str]:
    """load puts the demo scenario in the database and says what it did, step by step."""
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
    for order in DEMO_HOLDS:
        outcome, changed = holds.register(session, holds.parse_hold(order),
                                          actor="user:counsel", party=None, as_of=DEMO_AS_OF)
        done.append(f"court order {order['hold_ref']}: {outcome}, {changed} decision(s) changed")
    done.append(accept_up_to_quota(session, agreement))
    return done


def accept_up_to_quota(session: Session, agreement: Any) -> str:
    """accept_up_to_quota: the receiving state accepts eligible people until the quota is met,
    and the sending state serves each of them written notice the same day."""
    from habeas.nominations import decisions
    from habeas.nominations.models import NominationRecord

    waiting = list(session.scalars(
        select(NominationRecord).where(NominationRecord.decision == "eligible",
                                       NominationRecord.status == "nominated")
        .order_by(NominationRecord.received_seq)))
    already = session.scalar(select(func.count()).select_from(NominationRecord).where(
        NominationRecord.status == "accepted")) or 0
    room = max(0, (agreement.quota or len(waiting)) - already)
    for record in waiting[:room]:
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


def populate(session: Session, *, seed: int = 2025) -> list[str]:
    """populate admits CECOT's reported domestic population (14,532, June 2024)."""
    from habeas.custody import service as custody
    from habeas.custody.synthetic import population
    from habeas.nominations.service import Row

    rng = random.Random(seed + 2)  # noqa: S311 - reproducible demo ids, not secrets
    rows = [Row(i + 1, p) for i, p in enumerate(population(seed=seed))]
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
            + f"; {summary.space_now_m2:.2f} m² per person"]


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
    from habeas.custody import service as custody
    from habeas.custody.schemas import IntakeIn
    from habeas.facilities import housing
    from habeas.holds import service as holds
    from habeas.nominations.models import NominationRecord
    from habeas.transfers import service as transfers
    from habeas.transfers.models import Manifest
    from habeas.transfers.schemas import HandoverIn, ManifestIn

    if session.scalar(select(func.count()).select_from(Manifest)):
        return ["transfers: unchanged"]
    accepted = list(session.scalars(select(NominationRecord).where(
        NominationRecord.status == "accepted").order_by(NominationRecord.received_seq)))
    half = len(accepted) // 2
    done = []
    for number, ((leaves, lands, flight), group) in enumerate(
            zip(FLIGHTS, (accepted[:half], accepted[half:]), strict=True), start=1):
        landed = datetime.fromisoformat(lands)
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
        manifest = transfers.plan(session, body, actor="user:sv.warden", party="SLV")
        transfers.approve(session, manifest.id, actor="user:us.officer", party="USA")
        if number == 1:
            # An emergency stay for one man, registered minutes before wheels up.
            holds.register(session, holds.parse_hold({
                **LAST_MINUTE_STAY, "scope": {"external_ref": group[0].external_ref}}),
                actor="user:counsel", party=None, as_of=date(2025, 4, 10))
        boarded, removed = transfers.depart(session, manifest.id,
                                            departed_at=datetime.fromisoformat(leaves),
                                            actor="user:us.officer", party="USA")
        line = f"flight {flight} ({manifest.id}): {len(boarded)} boarded, {len(removed)} " \
               "taken off at the gates"
        if number == 2:
            holds.register(session, holds.parse_hold(IN_FLIGHT_ORDER), actor="user:counsel",
                           party=None, as_of=date(2025, 4, 12))
            sent_back = session.scalar(select(func.count()).select_from(NominationRecord).where(
                NominationRecord.status == "return_required")) or 0
            line += f"; court order {IN_FLIGHT_ORDER['hold_ref']} issued in flight: " \
                    f"{sent_back} marked return_required"
        arrival = landed + timedelta(hours=2)
        transfers.arrive(session, manifest.id, arrived_at=arrival, actor="user:sv.warden",
                         party="SLV")
        entries = [e for e, _ in transfers.people_on(session, manifest.id)
                   if e.status == "departed"]
        for i, entry in enumerate(entries):
            transfers.hand_over(session, manifest.id, HandoverIn(
                public_id=entry.public_id, sending_officer=OFFICERS[0],
                receiving_officer=OFFICERS[1],
                handed_over_at=arrival + timedelta(minutes=2 * i + 5)), actor="user:sv.warden",
                party="SLV")
        waiting = custody.waiting_for_intake(session, "CECOT")
        if number == len(FLIGHTS):
            waiting = waiting[:-LEFT_AWAITING_INTAKE]
        for i, prisoner in enumerate(waiting):
            record = session.get_one(NominationRecord, prisoner.public_id)
            document = record.data["person"]["documents"][0]
            affiliation = record.data.get("affiliation") or {}
            custody.record_intake(session, prisoner.public_id, IntakeIn.model_validate({
                "document_checked": f"{document['type']} {document['number']}",
                "visible_injuries": "bruising to both wrists (restraints)" if i % 9 == 0 else "",
                "ill_treatment_complaint": "says he was struck during the flight" if i % 23 == 0
                else "",
                "property": [{"description": "clothing bag", "quantity": 1}],
                "contacts": [{"name": k["name"], "relationship": k["relationship"],
                              "phone": k.get("phone"), "emergency": True}
                             for k in record.data.get("next_of_kin", [])],
                "language": record.data["person"]["language"],
                "medical_flags": ["hypertension"] if i % 11 == 0 else [],
                "security_level": "maximum",
                "affiliation": {"group": affiliation.get("group"),
                                "basis": affiliation.get("basis", "none"),
                                "source": "sending state's nomination"}
                if affiliation.get("group") else {}}),
                officer="Subinspector A. Portillo", actor="user:sv.warden",
                at=arrival + timedelta(hours=1, minutes=i))
        report = housing.house(session, "CECOT", on=arrival.date(), actor="user:sv.warden")
        line += f"; {len(entries)} handed over, {len(report.placed)} housed"
        if report.unplaced:
            line += f", {len(report.unplaced)} not placed"
        done.append(line)
    return done
