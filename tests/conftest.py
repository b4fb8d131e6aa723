"""Test fixtures: every database test runs on SQLite; the tests where the engine matters
run on PostgreSQL too (docs/testing.md).

The rule: a test runs on SQLite only, unless it (or its class or module) is marked
`@pytest.mark.both_engines` — the write path, concurrency, migrations, replay, backup,
crash safety, the SQL-heavy queries and the fuzzer are. HABEAS_TEST_ENGINES=both runs
every database test on both engines anyway (to check the rule itself).

The schema is migrated once per engine per session (`alembic upgrade head`, as warehouse
does). SQLite: each test gets a copy of a template file (milliseconds) — the empty
migrated schema, or the demo, the lived demo or the locator's world, each built once
through the services (the stories once per run, by whichever xdist worker needs one first:
`shared_template`). PostgreSQL: the worker's one database, into which the template's
events are replayed (which exercises replay there), emptied by DELETE after each test.
PostgreSQL is found at HABEAS_TEST_PG_URL, or 127.0.0.1:5432 as postgres, or the local
Unix socket as the current user. If none answers, the PostgreSQL half is skipped with a
loud reason — unless HABEAS_REQUIRE_PG=1 (set by `make test` wherever PostgreSQL is
installed), when it fails.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

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

# Coverage is not traced on the PostgreSQL repeats (tests/coverage_scope.py).
pytest_plugins = ("tests.coverage_scope",)

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
    # Passwords hashed with argon2's cheapest parameters: the hashes the tests make and
    # check are real argon2id, just not costly (production never sets this; the
    # setting's own tests are in tests/auth/test_service.py).
    patch.setenv("HABEAS_INSECURE_FAST_PASSWORD_HASHING", "true")
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


BOTH_ENGINES = "both_engines"
ENGINES = ("sqlite", "postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked heavy (tens of seconds each) are dealt out first, one worker after
    another: xdist's worksteal gives each worker an equal, contiguous share of the list, and
    a heavy test left for last keeps one core busy while the other waits (longest first:
    the classic rule for finishing parallel work together). The rest keep their order."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    heavy = [item for item in items if item.get_closest_marker("heavy")]
    if workers < 2 or not heavy:
        return
    light = iter([item for item in items if not item.get_closest_marker("heavy")])
    size = -(-len(items) // workers)
    shares = [heavy[k::workers] for k in range(workers)]
    for share in shares:
        share.extend(itertools.islice(light, max(size - len(share), 0)))
    shares[-1].extend(light)
    items[:] = [item for share in shares for item in share]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A database test runs on SQLite; one marked both_engines runs on PostgreSQL as well
    (tests/conftest.py's docstring; docs/testing.md says which and why)."""
    if "migrated" not in metafunc.fixturenames:
        return
    both = (metafunc.definition.get_closest_marker(BOTH_ENGINES) is not None
            or os.environ.get("HABEAS_TEST_ENGINES") == "both")
    metafunc.parametrize("migrated", ENGINES if both else ENGINES[:1], indirect=True,
                         scope="session")


def _pg_database(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _settle(engine: Engine) -> None:
    """_settle writes a SQLite template's WAL back into its file, so a copy of the file alone
    is the whole database."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """exclusive holds an exclusive lock on the file LOCK (fcntl: released by the kernel
    if the holder dies, so a crashed worker never leaves the others waiting)."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_template(path: Path, build: Callable[[Engine], Any],
                    parent: Path | None) -> Any:
    """_write_template writes into PATH a copy of PARENT (or the migrated schema) with what
    BUILD adds, settled into the one file; returns what BUILD returned."""
    if parent is not None:
        shutil.copyfile(parent, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        if parent is None:
            upgrade(engine)
        notes = build(engine)
        _settle(engine)
    finally:
        engine.dispose()
    return notes


def shared_template(tmp_path_factory: pytest.TempPathFactory, name: str,
                    build: Callable[[Engine], Any], parent: Path | None = None
                    ) -> tuple[Path, Any]:
    """shared_template: a SQLite file of this worker's own holding the migrated schema (or a
    copy of the template PARENT) with what BUILD writes into it, and what BUILD returned
    (JSON: seqs, ids). Under xdist the story is built once per run, by the first worker
    that asks, under a file lock beside the workers' temporary folders (the pattern
    pytest-xdist documents); the others copy its file, which costs milliseconds where the
    story costs CPU-seconds. BUILD must depend only on the database (not on the worker's
    HABEAS_DATA_DIR: keys, the mail sink)."""
    own = tmp_path_factory.mktemp(name) / f"{name}.db"
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return own, _write_template(own, build, parent)
    shared = tmp_path_factory.getbasetemp().parent / "templates" / f"{name}.db"
    shared.parent.mkdir(exist_ok=True)
    notes_file = shared.with_suffix(".json")
    with exclusive(shared.with_suffix(".lock")):
        if not shared.is_file():
            # Built under another name and renamed: a worker that dies mid-build leaves no
            # half a template for the next to take.
            partial = shared.with_suffix(".partial")
            partial.unlink(missing_ok=True)  # what a worker that died mid-build left
            notes_file.write_text(json.dumps(_write_template(partial, build, parent)))
            partial.rename(shared)
    shutil.copyfile(shared, own)
    return own, json.loads(notes_file.read_text())


@pytest.fixture(scope="session")
def migrated(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """migrated is (kind, url) of a database migrated to head once per session (SQLite: the
    template file each test copies; PostgreSQL: the worker's database, emptied after each
    test)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        _settle(engine)
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
    """_empty_postgres deletes every row and restarts the sequences: ~0.1 s, where TRUNCATE
    (new files for every table, flushed) took 1-2 s, and a database per test longer still
    on a busy machine (DROP DATABASE waits for a checkpoint)."""
    with engine.begin() as conn:
        # Bypass the append-only triggers (and the foreign keys' triggers): this is the
        # test harness resetting, not a rewrite.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))
        sequences = conn.execute(text(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename)"
            " FROM pg_sequences WHERE schemaname = current_schema()")).scalars().all()
        for sequence in sequences:
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
        conn.execute(text("INSERT INTO log_head (id, size) VALUES (1, 0)"))


@contextmanager
def fresh_database(migrated: tuple[str, str], folder: Path,
                   template: Engine | None = None) -> Iterator[str]:
    """fresh_database: the URL of a database of the caller's own — empty and migrated, or
    holding what the SQLite TEMPLATE holds. SQLite: a copy of the template file in FOLDER
    (milliseconds); PostgreSQL: the session's database, the template's events replayed into
    it (which exercises replay there), emptied afterwards."""
    kind, source = migrated
    if kind == "sqlite":
        target = folder / "habeas.db"
        if template is not None:
            assert template.url.database is not None
            _settle(template)
            source = template.url.database
        shutil.copyfile(source, target)
        yield f"sqlite:///{target}"
        return
    engine = make_engine(source)
    try:
        if template is not None:
            from habeas.replay import rebuild

            rebuild(template, engine)
        yield source
    finally:
        try:
            _empty_postgres(engine)
        finally:
            engine.dispose()


# The fixtures that give a test a database already holding a story, and the session
# template each is copied from: a test that asks for one gets its `database_url`/`engine`
# made from that template (a copy, milliseconds) instead of empty.
SEEDED = {"world": "world_template", "demo_engine": "demo_template"}


@pytest.fixture
def database_url(request: pytest.FixtureRequest, migrated: tuple[str, str],
                 tmp_path: Path) -> Iterator[str]:
    """database_url is a database of the test's own: freshly migrated and empty, or holding
    the demo (or the locator's world) when the test asks for demo_engine (or world)."""
    template: Engine | None = None
    for fixture, template_fixture in SEEDED.items():
        if fixture in request.fixturenames:
            value = request.getfixturevalue(template_fixture)
            template = value if isinstance(value, Engine) else value[0]
            break
    with fresh_database(migrated, tmp_path, template) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """engine is an engine on the test's own database, disposed after the test."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """demo_template is a SQLite database holding the demo scenario, built once per run."""
    from tests.factories import with_demo

    path, _ = shared_template(tmp_path_factory, "demo", with_demo)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """demo_engine is the test's own database holding the demo: a copy of demo_template
    (on PostgreSQL, of the demo replayed there once per session)."""
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


def live_to_july(engine: Engine) -> None:
    """live_to_july: the demo lived to the end of July 2025, and the second agreement."""
    from habeas import demo as scenario

    with unit_of_work(engine) as s:
        scenario.load(s)
        scenario.nominate(s)
        scenario.transfer(s)
        scenario.simulate(s, until=date(2025, 7, 31))
        second_agreement(s)


@pytest.fixture(scope="session")
def lived_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """lived_template: SQLite, the demo lived to the end of July 2025 (people housed,
    released and returned, a grievance, invoices, an integrity run recorded), plus the
    second agreement; built once per run."""
    path, _ = shared_template(tmp_path_factory, "lived", live_to_july)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def lived(migrated: tuple[str, str], lived_template: Engine,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    """lived: a copy of the lived demo on this engine and a client of it, shared by a
    module's tests (which read, or count what their writes change)."""
    from habeas.app import create_app

    with fresh_database(migrated, tmp_path_factory.mktemp("lived-db"), lived_template) as url:
        engine = make_engine(url)
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
