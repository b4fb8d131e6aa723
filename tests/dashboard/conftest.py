"""A lived demo on both engines, for the dashboards and the search: the demo lived to the
end of July 2025 (people housed, released, returned; invoices paid; an integrity run
recorded), plus a second agreement whose sending state is Costa Rica with its officer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from habeas import demo as scenario
from habeas.agreements import service as agreements
from habeas.api.app import create_app
from habeas.auth import service as auth
from habeas.auth.models import Role
from habeas.db import make_engine, unit_of_work
from habeas.demo import DEMO_PASSWORD
from habeas.migrate import upgrade
from habeas.replay import rebuild
from tests.conftest import fresh_database

OTHER = "cr.officer"


def _second_agreement(session: Session) -> None:
    text = agreements.profile_text("bilateral-fee-2025").replace(
        'ref = "USA-SLV-2025"', 'ref = "CRI-SLV-2025"').replace(
        'sending_party = "USA"', 'sending_party = "CRI"').replace(
        'currency = "USD"', 'currency = "CRC"')
    agreements.register(session, agreements.parse_agreement(text, "test"), actor="test")
    auth.add_user(session, username=OTHER, display_name="Costa Rican officer",
                  role=Role.SENDING, party_code="CRI", password=DEMO_PASSWORD, actor="test")


@pytest.fixture(scope="module")
def lived_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('lived') / 'lived.db'}")
    upgrade(engine)
    with unit_of_work(engine) as s:
        scenario.load(s)
        scenario.nominate(s)
        scenario.transfer(s)
        scenario.simulate(s, until=date(2025, 7, 31))
        _second_agreement(s)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def lived(migrated: tuple[str, str], lived_template: Engine,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    """lived: the lived demo replayed into this engine, and a client of it (reads only)."""
    with fresh_database(migrated, tmp_path_factory.mktemp("lived-db")) as url:
        engine = make_engine(url)
        rebuild(lived_template, engine)
        with TestClient(create_app(engine), raise_server_exceptions=True) as client:
            yield client, engine
        engine.dispose()


def log_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    login = client.get("/login")
    csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                "csrf": csrf})
