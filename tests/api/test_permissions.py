"""The permission matrix: every route × every role (and anonymous), as DESIGN.md §2 says.

A route that is neither listed as public nor guarded by `require(action)` (or,
for pages, listed in PAGE_ACTIONS) fails this test: new routes must declare
who may use them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from starlette.routing import Mount

from habeas.app import create_app
from habeas.auth.models import Role
from habeas.auth.permissions import PERMISSIONS, Action, allowed
from habeas.db import make_engine
from habeas.demo import DEMO_USERS
from habeas.web.common import FORM_ACTIONS
from habeas.web.routes import PAGE_ACTIONS, PUBLIC_PAGES
from tests.api.conftest import bearer
from tests.conftest import fresh_database
from tests.factories import a_token

PUBLIC = {
    ("GET", "/healthz"), ("GET", "/api/v1/constants"), ("GET", "/openapi.json"),
    ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
    # The ledger is published: proofs, checkpoints and tiles hold no personal data.
    ("GET", "/api/v1/ledger/checkpoint"), ("GET", "/api/v1/ledger/proof/inclusion"),
    ("GET", "/api/v1/ledger/proof/consistency"), ("GET", "/ledger/checkpoint"),
    ("GET", "/ledger/tile/{path:path}"), ("GET", "/ledger/tile/{path}"),  # router, OpenAPI
    # The public locator: families and anyone, no login (DESIGN.md §2, §9).
    ("GET", "/api/v1/locate"),
    # Subscriptions: anyone may ask, confirm with the code sent, and revoke (DESIGN.md §9).
    ("POST", "/api/v1/subscriptions"), ("POST", "/api/v1/subscriptions/confirm"),
    ("POST", "/api/v1/subscriptions/revoke"),
}
ANY_AUTHENTICATED = {("GET", "/api/v1/me")}
ROLE_OF = {u.username: u.role for u in DEMO_USERS}


def _action(dependant: Any) -> Action | None:
    for dep in dependant.dependencies:
        action = getattr(dep.call, "action", None)
        if action is not None:
            return action  # type: ignore[no-any-return]
        nested = _action(dep)
        if nested is not None:
            return nested
    return None


def _walk(routes: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    # FastAPI >= 0.160 keeps included routers as nodes instead of copying their routes.
    found: list[tuple[str, Any]] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found += _walk(included.routes, prefix + route.include_context.prefix)
        elif not isinstance(route, Mount):
            found.append((prefix + route.path, route))
    return found


def routes() -> list[tuple[str, str, Action | None]]:
    app = create_app(create_engine("sqlite://"))
    found = []
    for path, route in _walk(app.routes):
        for method in sorted(getattr(route, "methods", None) or []):
            if method != "HEAD":
                action = _action(route.dependant) if isinstance(route, APIRoute) else None
                found.append((method, path, action))
    return found


ALL_ROUTES = routes()
GUARDED = [(m, p, a) for m, p, a in ALL_ROUTES if a is not None]


@contextmanager
def database_of_its_own(migrated: tuple[str, str], folder: Path, template: Engine,
                        request: pytest.FixtureRequest) -> Iterator[str]:
    """database_of_its_own: a copy of TEMPLATE that outlives one test. SQLite: a file copy,
    as for a test; PostgreSQL: a database of its own (the worker's one database is each
    test's, emptied after it), migrated, the template's events replayed into it, dropped
    afterwards."""
    if migrated[0] == "sqlite":
        with fresh_database(migrated, folder, template) as url:
            yield url
        return
    from habeas.migrate import upgrade
    from habeas.replay import rebuild

    admin = create_engine(request.getfixturevalue("postgres_admin_url"),
                          isolation_level="AUTOCOMMIT")
    name = f"habeas_shared_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        rebuild(template, engine)
        yield url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class SharedApp:
    """SharedApp: one app on one copy of the demo, and a token per demo user."""

    client: TestClient
    tokens: dict[str, str]
    engine: Engine


@pytest.fixture(scope="module")
def shared_app(migrated: tuple[str, str], demo_template: Engine, request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedApp]:
    """shared_app serves a module's tests that only ask who may do what (or write nothing
    another test reads): one app and database for all of them, where each had its own."""
    with database_of_its_own(migrated, tmp_path_factory.mktemp("shared-app"), demo_template,
                             request) as url:
        engine = make_engine(url)
        with TestClient(create_app(engine), raise_server_exceptions=False) as client:
            yield SharedApp(client, {u.username: a_token(engine, u.username)
                                     for u in DEMO_USERS}, engine)
        engine.dispose()


@pytest.fixture
def shared(shared_app: SharedApp) -> SharedApp:
    """shared: the module's app, anonymous again (no session left by the test before)."""
    shared_app.client.cookies.clear()
    return shared_app


def test_every_route_declares_who_may_use_it() -> None:
    unlisted = [
        (m, p) for m, p, a in ALL_ROUTES
        if a is None and (m, p) not in PUBLIC | ANY_AUTHENTICATED
        and not (m == "GET" and p in PAGE_ACTIONS) and not (m == "POST" and p in FORM_ACTIONS)
        and p not in PUBLIC_PAGES
    ]
    assert unlisted == [], f"routes without a permission: {unlisted}"


def test_the_matrix_covers_the_guarded_api() -> None:
    assert len(GUARDED) >= 10


def test_every_action_has_a_permission_entry() -> None:
    assert set(PERMISSIONS) == set(Action)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "no-such-id", path)


@pytest.mark.parametrize(("method", "path", "action"), GUARDED,
                         ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_route_matrix(shared: SharedApp, method: str, path: str, action: Action) -> None:
    # Allowed users' empty bodies may write; no write changes who may use a route.
    client, tokens = shared.client, shared.tokens
    url = _concrete(path)
    anonymous = client.request(method, url, json={})
    assert anonymous.status_code == 401, (method, path)
    for username, token in tokens.items():
        response = client.request(method, url, json={}, headers=bearer(token))
        if allowed(ROLE_OF[username], action):
            assert response.status_code not in (401, 403), (username, method, path)
        else:
            assert response.status_code == 403, (username, method, path)
            assert response.json()["error"]["code"] == "forbidden"


def _log_in(client: TestClient, username: str) -> str:
    from habeas.demo import DEMO_PASSWORD

    client.cookies.clear()
    login = client.get("/login")
    csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf": csrf})
    home = client.get("/")
    return home.text.split('name="csrf" value="')[1].split('"')[0]


def _concrete_page(path: str) -> str:
    return path.replace("{seq}", "0").replace("{public_id}", "N0").replace(
        "{hold_ref}", "none").replace("{hold_ref:path}", "none").replace(
        "{code}", "NOWHERE").replace("{building}", "B0").replace("{cell}", "C0").replace(
        "{manifest_id}", "T0")


@pytest.mark.parametrize("page", sorted(PAGE_ACTIONS))
def test_page_matrix(shared: SharedApp, page: str) -> None:
    client = shared.client
    concrete = _concrete_page(page)
    # Anonymous: to the login page, which brings them back here afterwards.
    location = client.get(concrete, follow_redirects=False).headers["location"]
    assert location == ("/login" if page == "/" else "/login?next=" + quote(concrete, safe="/"))
    for user in DEMO_USERS:
        _log_in(client, user.username)
        response = client.get(concrete, follow_redirects=False)
        if allowed(user.role, PAGE_ACTIONS[page]):
            assert response.status_code != 403, (user.username, page)
            assert response.headers.get("location") != "/login", (user.username, page)
        else:
            assert response.status_code == 403, (user.username, page)


@pytest.mark.parametrize("form", sorted(p for p in FORM_ACTIONS if ":path" not in p))
def test_form_matrix(shared: SharedApp, form: str) -> None:
    client = shared.client
    concrete = _concrete_page(form)
    assert client.post(concrete, data={}, follow_redirects=False).status_code in (303, 422)
    for user in DEMO_USERS:
        csrf = _log_in(client, user.username)
        response = client.post(concrete, data={"csrf": csrf, "reason": "x"},
                               files={"file": ("x.txt", b"")} if "import" in form else None,
                               follow_redirects=False)
        if allowed(user.role, FORM_ACTIONS[form]):
            assert response.status_code != 403, (user.username, form, response.text[:200])
        else:
            assert response.status_code == 403, (user.username, form)
        forged = client.post(concrete, data={"csrf": "forged", "reason": "x"},
                             files={"file": ("x.txt", b"")} if "import" in form else None,
                             follow_redirects=False)
        assert forged.status_code == 403, (user.username, form, "CSRF")


def test_admin_only_actions_are_admin_only() -> None:
    for action in (Action.MANAGE_USERS, Action.READ_USERS):
        assert [r for r in Role if allowed(r, action)] == [Role.ADMIN]


# The owner dimension for counsel (DESIGN.md §12.1): the same role, for a person it is not
# counsel of record for, reads exactly as for a person who does not exist.
def _person_routes(public_id: str, external_ref: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/api/v1/people/{public_id}", None),
        ("POST", "/api/v1/grievances", {
            "public_id": public_id, "filed_by": {"role": "counsel", "name": "A. Lawyer"},
            "category": "legal_access", "text": "No legal call.",
            "alleges_ill_treatment": False}),
        ("POST", "/api/v1/holds", {
            "hold_ref": f"1:25-cv-{public_id}", "court": "D.D.C.", "kind": "stay",
            "issued": "2025-03-01", "expires": None, "scope": {"external_ref": external_ref},
            "bars_removal_to": "any"}),
    ]


def test_counsel_not_of_record_reads_as_nobody_and_of_record_acts(
        client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
    from tests.factories import counsel_of_record
    from tests.transfers.factories import accepted_people, handed_over

    [person] = accepted_people(engine, "OWNER-1")
    handed_over(engine, [person])
    counsel = bearer(tokens["counsel"])
    for (method, url, body), (_, nobody_url, nobody_body) in zip(
            _person_routes(person, "OWNER-1"), _person_routes("NOBODY0", "NOBODY-REF"),
            strict=True):
        response = client.request(method, url, json=body, headers=counsel)
        nobody = client.request(method, nobody_url, json=nobody_body, headers=counsel)
        assert (response.status_code, nobody.status_code) == (404, 404), (method, url)
        assert response.json()["error"]["code"] == nobody.json()["error"]["code"]
    log_in_as_counsel = _log_in(client, "counsel")
    assert client.get(f"/people/{person}").status_code == 404
    assert client.post(f"/people/{person}/grievances", data={
        "csrf": log_in_as_counsel, "filed_by_role": "counsel", "filed_by_name": "A. Lawyer",
        "category": "other", "text": "x"}).status_code == 404

    counsel_of_record(engine, person)
    for method, url, body in _person_routes(person, "OWNER-1"):
        response = client.request(method, url, json=body, headers=counsel)
        assert response.status_code in (200, 201), (method, url, response.text)
    assert client.get(f"/people/{person}").status_code == 200
