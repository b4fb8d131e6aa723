"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

The schema is migrated once per engine per session (`alembic upgrade head`,
as warehouse does); each test then gets a fresh copy (SQLite: a copied file;
PostgreSQL: the tables emptied). PostgreSQL is found at HABEAS_TEST_PG_URL, or
127.0.0.1:5432 as postgres, or the local Unix socket as the current user. If
none answers, the PostgreSQL half is skipped with a loud reason — unless
HABEAS_REQUIRE_PG=1 (set by `make test` wherever PostgreSQL is installed),
when it fails.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import habeas.projections  # noqa: F401 - installs every projector, as each entry point does
from habeas.config import get_settings
from habeas.db import make_engine, unit_of_work
from habeas.ledger import service
from habeas.ledger.keys import ensure_log_key
from habeas.ledger.note import Signer
from habeas.migrate import upgrade
from habeas.models import metadata

PG_CANDIDATES = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg:///postgres?host=/var/run/postgresql",
)


def _find_postgres() -> str | None:
    candidates = [os.environ["HABEAS_TEST_PG_URL"]] if os.environ.get("HABEAS_TEST_PG_URL") \
        else list(PG_CANDIDATES)
    for url in candidates:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return url
        except Exception:  # noqa: S112 - any failure means "try the next candidate"
            continue
        finally:
            engine.dispose()
    return None


@pytest.fixture(scope="session", autouse=True)
def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keys, exports and the mail sink the tests write go to a temporary HABEAS_DATA_DIR,
    never into the checkout's ./.habeas; a test that needs its own still sets one."""
    folder = tmp_path_factory.mktemp("data")
    patch = pytest.MonkeyPatch()
    patch.setenv("HABEAS_DATA_DIR", str(folder))
    # Most fixtures record a 2025 story on today's wall clock: backfills, which the
    # 72-hour late window (DESIGN.md §12.2) would make each need a late_reason. They
    # get a window of ten years; the tests of the window itself (tests/test_clocks.py)
    # set it back with `late_window`, and the demo runs on its own simulated clock.
    patch.setenv("HABEAS_LATE_WINDOW_HOURS", str(24 * 366 * 10))
    get_settings.cache_clear()
    yield folder
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = _find_postgres()
    if url is None:
        reason = ("NO POSTGRESQL REACHABLE (tried HABEAS_TEST_PG_URL, 127.0.0.1:5432, the Unix"
                  " socket): the PostgreSQL half of the database tests is SKIPPED")
        if os.environ.get("HABEAS_REQUIRE_PG") == "1":
            pytest.fail(reason + ", but HABEAS_REQUIRE_PG=1")
        print(f"\n{'!' * 78}\n{reason}\n{'!' * 78}", file=sys.stderr)
        pytest.skip(reason)
    return url


def _pg_database(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """migrated is (kind, url) of a database migrated to head once per session."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield "sqlite", str(path)
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"habeas_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_database(admin_url, name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield "postgresql", url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_postgres(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        # Bypass the append-only triggers: this is the test harness resetting, not a rewrite.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO log_head (id, size) VALUES (1, 0)"))


@contextmanager
def fresh_database(migrated: tuple[str, str], folder: Path) -> Iterator[str]:
    """fresh_database: the URL of an empty migrated database (SQLite: a copy of the
    template in FOLDER; PostgreSQL: the session's database, emptied afterwards)."""
    kind, source = migrated
    if kind == "sqlite":
        target = folder / "habeas.db"
        shutil.copyfile(source, target)
        yield f"sqlite:///{target}"
        return
    yield source
    engine = make_engine(source)
    try:
        _empty_postgres(engine)
    finally:
        engine.dispose()


@pytest.fixture
def database_url(migrated: tuple[str, str], tmp_path: Path) -> Iterator[str]:
    """database_url is a freshly migrated, empty database for one test."""
    with fresh_database(migrated, tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """engine is an engine on a fresh database, disposed after the test."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """demo_template is a SQLite database holding the demo scenario, built once."""
    from tests.factories import with_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    with_demo(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def demo_engine(engine: Engine, demo_template: Engine) -> Engine:
    """demo_engine is a fresh database holding the demo, rebuilt from the template's events.

    Replaying the events (rather than re-running the demo) skips the
    deliberately slow password hashing and exercises replay on both engines.
    """
    from habeas.replay import rebuild

    rebuild(demo_template, engine)
    return engine


@dataclass
class Ledger:
    """Ledger is a demo database with a log key (in a temporary data dir) and a checkpoint."""

    engine: Engine
    signer: Signer
    data_dir: Path

    def checkpoint(self) -> int:
        with unit_of_work(self.engine) as s:
            return service.sign_checkpoint(s, self.signer).size


@pytest.fixture
def ledger(demo_engine: Engine, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    monkeypatch.setenv("HABEAS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    signer, _ = ensure_log_key()
    result = Ledger(demo_engine, signer, tmp_path / "data")
    result.checkpoint()
    yield result
    get_settings.cache_clear()


# --- a lived demo with a second agreement -----------------------------------------------

OTHER_OFFICER = "cr.officer"  # the sending officer of a second agreement (Costa Rica)


def second_agreement(session: Session) -> None:
    """second_agreement: Costa Rica sends to the same prison under its own agreement (in
    colones), with its own sending officer: a real party that is not the United States."""
    from habeas.agreements import service as agreements
    from habeas.auth import service as auth
    from habeas.auth.models import Role
    from habeas.demo import DEMO_PASSWORD

    text = agreements.profile_text("bilateral-fee-2025").replace(
        'ref = "USA-SLV-2025"', 'ref = "CRI-SLV-2025"').replace(
        'sending_party = "USA"', 'sending_party = "CRI"').replace(
        'currency = "USD"', 'currency = "CRC"')
    agreements.register(session, agreements.parse_agreement(text, "test"), actor="test")
    auth.add_user(session, username=OTHER_OFFICER, display_name="Costa Rican officer",
                  role=Role.SENDING, party_code="CRI", password=DEMO_PASSWORD, actor="test")


@pytest.fixture(scope="session")
def lived_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """lived_template: SQLite, the demo lived to the end of July 2025 (people housed,
    released and returned, a grievance, invoices, an integrity run recorded), plus the
    second agreement; built once."""
    from habeas import demo as scenario

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('lived') / 'lived.db'}")
    upgrade(engine)
    with unit_of_work(engine) as s:
        scenario.load(s)
        scenario.nominate(s)
        scenario.transfer(s)
        scenario.simulate(s, until=date(2025, 7, 31))
        second_agreement(s)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def lived(migrated: tuple[str, str], lived_template: Engine,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    """lived: the lived demo replayed into this engine and a client of it, shared by a
    module's tests (which read, or count what their writes change)."""
    from habeas.app import create_app
    from habeas.replay import rebuild

    with fresh_database(migrated, tmp_path_factory.mktemp("lived-db")) as url:
        engine = make_engine(url)
        rebuild(lived_template, engine)
        with TestClient(create_app(engine), raise_server_exceptions=False) as client:
            yield client, engine
        engine.dispose()


def log_in_as(client: TestClient, username: str) -> str:
    """log_in_as logs CLIENT in through the /login form; returns the page's CSRF token."""
    from habeas.demo import DEMO_PASSWORD

    client.cookies.clear()
    login = client.get("/login")
    csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                "csrf": csrf})
    return client.get("/").text.split('name="csrf" value="')[1].split('"')[0]
