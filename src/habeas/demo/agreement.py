"""Chapter 1 (February 2025): the USA–SLV agreement signed, CECOT described, a user per role."""

from __future__ import annotations

import random
import tomllib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.agreements import service as agreements
from habeas.auth import service as auth
from habeas.auth.models import Role, User
from habeas.auth.principal import Principal, principal_for
from habeas.errors import Conflict, ErrorCode
from habeas.facilities import service as facilities
from habeas.facilities.schemas import FacilityFile
from habeas.ledger.models import Event

from .story import ACTOR, story

DEMO_PROFILE = "bilateral-fee-2025"
DEMO_PASSWORD = "cecot-demo-2025"  # noqa: S105 - demo only; printed by `make demo`

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
    with story(session, DEMO_SET_UP):
        return [_sign_agreement(session), _describe_facility(session),
                *_add_users(session, seed)]


def _sign_agreement(session: Session) -> str:
    doc = agreements.load_profile(DEMO_PROFILE)
    outcome = agreements.register(session, doc, actor=ACTOR)
    return f"agreement {doc.agreement.ref}: {outcome}"


def _describe_facility(session: Session) -> str:
    report = facilities.load_facility(session, cecot_layout(), actor=ACTOR)
    return (f"facility {report.facility}: layout "
            + (f"{report.buildings_added} buildings, {report.cells_added} cells added"
               if report.cells_added else "unchanged"))


def _add_users(session: Session, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo ids, not secrets
    done: list[str] = []
    for demo_user in DEMO_USERS:
        # Drawn for every user, added or not, so each keeps its id whatever is loaded.
        user_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if session.scalar(select(User.id).where(User.username == demo_user.username)):
            done.append(f"user {demo_user.username}: unchanged")
            continue
        auth.add_user(session, username=demo_user.username, display_name=demo_user.display_name,
                      role=demo_user.role, party_code=demo_user.party, password=DEMO_PASSWORD,
                      actor=ACTOR, user_id=user_id)
        done.append(f"user {demo_user.username}: added")
    return done


def principal(session: Session, username: str) -> Principal:
    """principal: the demo user USERNAME acting through the API (with a token)."""
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, "load() adds the demo users first"
    return principal_for(user, "token")
