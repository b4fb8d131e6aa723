"""Builders of test data, in the domain's words."""

from __future__ import annotations

from sqlalchemy import Engine

from habeas import demo
from habeas.agreements import service as agreements
from habeas.auth import service as auth
from habeas.auth.models import Role, User
from habeas.db import unit_of_work

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
        return auth.issue_token(session, user, name="tests", actor="test")[1]
