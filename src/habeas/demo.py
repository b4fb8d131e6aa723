"""The demo scenario: a CECOT-like facility, the 2025 USA–SLV agreement, a user per role.

Deterministic for a given seed: the same seed gives the same ids and the same
scenario (only event salts, which must stay secret and random, differ).
Running it again on a loaded database changes nothing.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements import service as agreements
from habeas.auth import service as auth
from habeas.auth.models import Role, User
from habeas.db import utcnow
from habeas.facilities import service as facilities
from habeas.facilities.models import Building
from habeas.facilities.schemas import BuildingIn, CellIn
from habeas.ledger import service as ledger
from habeas.ledger.note import ALG_COSIGNATURE_V1, Signer, cosign

# The other state and the monitor witness the log (DESIGN.md §6). Their keys would
# live on their own machines; the demo derives them from the seed so it can cosign.
DEMO_WITNESSES = (("us.officer", "usa.example/witness"), ("monitor", "monitor.example/witness"))

DEMO_PROFILE = "bilateral-fee-2025"
DEMO_PASSWORD = "cecot-demo-2025"  # noqa: S105 - demo only; printed by `make demo`
ACTOR = "system:demo"

# CECOT as publicly described: 8 buildings × 32 cells of ~100 m², signed for 40,000.
BUILDINGS = 8
CELLS_PER_BUILDING = 32
CELL_AREA_M2 = 100.0


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


def cecot_layout(signed_capacity: int) -> list[BuildingIn]:
    """cecot_layout spreads SIGNED_CAPACITY over 256 cells as evenly as whole people allow."""
    cells = BUILDINGS * CELLS_PER_BUILDING
    base, extra = divmod(signed_capacity, cells)
    buildings = []
    for b in range(BUILDINGS):
        cell_list = []
        for c in range(CELLS_PER_BUILDING):
            places = base + (1 if b * CELLS_PER_BUILDING + c < extra else 0)
            cell_list.append(CellIn(code=f"{b + 1}-{c + 1:02d}", area_m2=CELL_AREA_M2,
                                    cna=places, working_capacity=places, max_capacity=places))
        buildings.append(BuildingIn(code=f"M{b + 1}", name=f"Módulo {b + 1}", cells=cell_list))
    return buildings


def load(session: Session, *, seed: int = 2025) -> list[str]:
    """load puts the demo scenario in the database and says what it did, step by step."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo ids, not secrets
    done: list[str] = []
    doc = agreements.load_profile(DEMO_PROFILE)
    outcome = agreements.register(session, doc, actor=ACTOR)
    done.append(f"agreement {doc.agreement.ref}: {outcome}")

    code = doc.facility.code
    if session.scalar(select(Building.code).where(Building.facility_code == code)) is None:
        facilities.add_buildings(session, code, cecot_layout(doc.facility.signed_capacity),
                                 actor=ACTOR)
        done.append(f"facility {code}: {BUILDINGS} buildings × {CELLS_PER_BUILDING} cells added")
    else:
        done.append(f"facility {code}: layout unchanged")

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
