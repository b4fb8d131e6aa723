"""Builders of test data, in the domain's words."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from habeas import demo
from habeas.agreements import service as agreements
from habeas.auth import service as auth
from habeas.auth import tokens
from habeas.auth.models import Role, User
from habeas.db import unit_of_work
from habeas.errors import DomainError

PASSWORD = "correct horse battery"
# Events `habeas.demo.load` records: agreement and facility (4, with its layout), 5 users.
DEMO_EVENTS = 9


def with_agreement(engine: Engine, profile: str = "bilateral-fee-2025") -> None:
    with unit_of_work(engine) as session:
        agreements.register(session, agreements.load_profile(profile), actor="test")


def with_demo(engine: Engine, seed: int = 2025) -> list[str]:
    with unit_of_work(engine) as session:
        return demo.load(session, seed=seed)


def a_user(engine: Engine, username: str, role: Role, party: str | None = None,
           password: str = PASSWORD) -> User:
    with unit_of_work(engine) as session:
        return auth.add_user(session, username=username, display_name=username.title(),
                             role=role, party_code=party, password=password, actor="test")


def a_token(engine: Engine, username: str) -> str:
    from sqlalchemy import select

    with unit_of_work(engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return tokens.issue_token(session, user, name="tests", actor="test")[1]


def event_count(engine: Engine) -> int:
    """event_count: how many events the ledger holds."""
    from sqlalchemy import func, select

    from habeas.db import read_session
    from habeas.ledger.models import Event

    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Event)) or 0


def refused(engine: Engine, action: Callable[[Session], object], code: str) -> DomainError:
    """refused runs ACTION in a unit of work, expects a DomainError with CODE, and checks that
    nothing was recorded (bad input loses nothing and writes nothing)."""
    import pytest

    before = event_count(engine)
    with pytest.raises(DomainError) as caught, unit_of_work(engine) as s:
        action(s)
    assert caught.value.code == code, caught.value.message
    assert event_count(engine) == before
    return caught.value


def counsel_of_record(engine: Engine, public_id: str, username: str = "counsel",
                      case_number: str = "1:25-cv-00100") -> int:
    """counsel_of_record files USERNAME's appearance for PUBLIC_ID in a court case (the
    seq of `counsel.appeared`): from then on that counsel acts for the person."""
    from sqlalchemy import select

    from habeas.auth.principal import Principal
    from habeas.counsel import service as counsel
    from habeas.counsel.schemas import AppearanceIn, Basis

    with unit_of_work(engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        by = Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                       role=user.role, party_code=user.party_code, via="token")
        return counsel.appear(session, AppearanceIn(
            public_id=public_id, basis=Basis.COURT_CASE, court="U.S. District Court for D.C.",
            case_number=case_number), by=by).seq
