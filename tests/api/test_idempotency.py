"""Idempotency-Key on every POST under /api/v1 (issue 10, ADR 0019).

A retried POST with the same key and body gets the first response back, byte for
byte, without anything being run again; the same key with another request is
refused with 422 naming the header. Every POST route is checked, from the app's
own route table, so a new route is covered without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas import replay
from habeas.api.idempotency import HEADER, KEY_LIFETIME, request_digest
from habeas.auth.models import User
from habeas.auth.permissions import allowed
from habeas.db import read_session, unit_of_work, utcnow
from habeas.facilities.models import Facility
from habeas.idempotency import IdempotencyKey
from tests.api import test_permissions
from tests.api.conftest import bearer
from tests.api.test_permissions import ALL_ROUTES, ROLE_OF, SharedApp, _concrete
from tests.factories import counsel_of_record, event_count
from tests.screening.factories import nomination
from tests.transfers.factories import (
    DEPARTS,
    LANDS,
    accepted_people,
    approved,
    handed_over,
)

# the write path: idempotency keys under races (unique constraints) (docs/testing.md)
pytestmark = pytest.mark.both_engines

# The app and database the route test's cases share (found by pytest in this namespace).
shared_app, shared = test_permissions.shared_app, test_permissions.shared

POST_ROUTES = [(p, a) for m, p, a in ALL_ROUTES if m == "POST" and p.startswith("/api/v1/")]


def _who_may(action: Any) -> str | None:
    """_who_may is a demo user allowed ACTION, or None for a public route."""
    if action is None:
        return None
    return next(u for u, role in ROLE_OF.items() if allowed(role, action))


def _post(client: TestClient, url: str, body: Any, key: str, token: str | None
          ) -> Any:
    headers = {HEADER: key, **(bearer(token) if token else {})}
    return client.post(url, json=body, headers=headers)


def _assert_header_error(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == HEADER
    assert error["message"].startswith(f"{HEADER}: ")


def test_every_api_post_route_is_checked() -> None:
    assert len(POST_ROUTES) >= 50
    assert ("/api/v1/nominations", "nominations.create") in [
        (p, a.value if a else None) for p, a in POST_ROUTES]


@pytest.mark.parametrize(("path", "action"), POST_ROUTES, ids=[p for p, _ in POST_ROUTES])
def test_every_post_route_honours_the_key(shared: SharedApp, path: str, action: Any) -> None:
    """A key already used on a route answers for it: a different body is 422 and runs
    nothing; the same body is the stored response, replayed without running anything.
    The routes share one app and database: each route's key is its own (keys are unique
    per principal), and nothing is run."""
    client, tokens, engine = shared.client, shared.tokens, shared.engine
    key = f"k-{POST_ROUTES.index((path, action))}"
    username = _who_may(action)
    url = _concrete(path)
    with read_session(engine) as s:
        principal = ("anonymous" if username is None else
                     "user:" + s.scalars(select(User.id).where(
                         User.username == username)).one())
    with unit_of_work(engine) as s:
        s.add(IdempotencyKey(
            principal=principal, key=key, method="POST", path=url,
            request_sha256=request_digest("POST", url, b"", b'{"first":"request"}'),
            status=201, body='{"stored":true}', content_type="application/json",
            location=None, created_at=utcnow()))
    before = event_count(engine)
    token = tokens[username] if username else None
    other = _post(client, url, {"second": "request"}, key, token)
    _assert_header_error(other, 422)
    assert other.json()["error"]["code"] == "validation_failed"
    same = client.post(url, content=b'{"first":"request"}', headers={
        HEADER: key, "Content-Type": "application/json",
        **(bearer(token) if token else {})})
    assert same.status_code == 201 and same.content == b'{"stored":true}'
    assert same.headers["Idempotent-Replayed"] == "true"
    assert event_count(engine) == before


def _nominate(engine: Engine) -> tuple[str, Any, Any]:
    return ("/api/v1/nominations?as_of=2025-03-01",
            nomination(external_ref="IDEM-1").model_dump(mode="json"),
            nomination(external_ref="IDEM-2").model_dump(mode="json"))


def _hold(engine: Engine) -> tuple[str, Any, Any]:
    # Counsel registers an order only for a client of record (DESIGN.md §12.1).
    counsel_of_record(engine, accepted_people(engine, "IDEM-H1")[0])
    order = {"hold_ref": "1:25-cv-09999", "court": "U.S. District Court for D. Md.",
             "kind": "withholding_of_removal", "issued": "2019-10-10", "expires": None,
             "scope": {"external_ref": "IDEM-H1"}, "bars_removal_to": ["SLV"]}
    return "/api/v1/holds", order, {**order, "hold_ref": "1:25-cv-09998"}


def _plan(engine: Engine) -> tuple[str, Any, Any]:
    people = accepted_people(engine, "IDEM-P1", "IDEM-P2")
    leg = {"mode": "flight", "carrier": "GlobalX", "number": "GXA 1", "origin": "HRL",
           "destination": "SAL", "departs_at": DEPARTS, "arrives_at": LANDS}
    return ("/api/v1/transfers", {"legs": [leg], "people": people[:1]},
            {"legs": [leg], "people": people})


def _depart(engine: Engine) -> tuple[str, Any, Any]:
    manifest = approved(engine, accepted_people(engine, "IDEM-D1"))
    return (f"/api/v1/transfers/{manifest}/depart", {"departed_at": DEPARTS},
            {"departed_at": "2025-04-10T14:00:00+00:00"})


def _invoice(engine: Engine) -> tuple[str, Any, Any]:
    return ("/api/v1/billing/invoices", {"agreement_ref": "USA-SLV-2025", "period": "2025-04"},
            {"agreement_ref": "USA-SLV-2025", "period": "2025-05"})


def _inspection(engine: Engine) -> tuple[str, Any, Any]:
    with read_session(engine) as s:
        facility = s.scalars(select(Facility.code)).first()
    body = {"facility_code": facility, "visited_on": "2025-05-02", "announced": False,
            "areas": ["kitchen"], "inspectors": ["A. Monitor"], "summary": "A visit."}
    return "/api/v1/inspections", body, {**body, "summary": "Another visit."}


def _grievance(engine: Engine) -> tuple[str, Any, Any]:
    person = accepted_people(engine, "IDEM-G1")[0]
    handed_over(engine, [person])
    counsel_of_record(engine, person)
    body = {"public_id": person, "filed_by": {"role": "counsel", "name": "A. Lawyer"},
            "category": "food", "text": "No food for two days.",
            "alleges_ill_treatment": False}
    return "/api/v1/grievances", body, {**body, "text": "No water either."}


MAIN_ROUTES: dict[str, tuple[Callable[[Engine], tuple[str, Any, Any]], str]] = {
    "nominations import/create": (_nominate, "us.officer"),
    "holds register": (_hold, "counsel"),
    "manifests plan": (_plan, "sv.warden"),
    "manifests depart": (_depart, "us.officer"),
    "invoices issue": (_invoice, "sv.warden"),
    "inspections": (_inspection, "monitor"),
    "grievances": (_grievance, "counsel"),
}


@pytest.mark.parametrize("name", list(MAIN_ROUTES))
def test_a_retry_is_answered_without_running_twice(
        client: TestClient, tokens: dict[str, str], engine: Engine, name: str) -> None:
    setup, username = MAIN_ROUTES[name]
    url, body, other = setup(engine)
    token = tokens[username]
    key = name.replace(" ", "-").replace("/", ".")
    before = event_count(engine)
    first = _post(client, url, body, key, token)
    assert 200 <= first.status_code < 300, first.text
    assert "Idempotent-Replayed" not in first.headers
    done = event_count(engine)
    assert done > before

    again = _post(client, url, body, key, token)
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert event_count(engine) == done

    mismatch = _post(client, url, other, key, token)
    _assert_header_error(mismatch, 422)
    assert event_count(engine) == done
    assert replay.check(engine).clean


def test_keys_are_scoped_to_the_principal(client: TestClient, tokens: dict[str, str],
                                          engine: Engine) -> None:
    url, body, _ = _hold(engine)
    first = _post(client, url, body, "shared", tokens["counsel"])
    assert first.status_code == 201
    # Another user with the same key is another request: it runs (and finds the order).
    second = _post(client, url, body, "shared", tokens["us.officer"])
    assert "Idempotent-Replayed" not in second.headers


def test_a_failed_request_is_not_stored(client: TestClient, tokens: dict[str, str],
                                        engine: Engine) -> None:
    url, body, _ = _hold(engine)
    bad = _post(client, url, {**body, "kind": "memo"}, "retry-me", tokens["counsel"])
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "kind"
    fixed = _post(client, url, body, "retry-me", tokens["counsel"])
    assert fixed.status_code == 201, fixed.text


def test_without_the_header_nothing_changes(client: TestClient, tokens: dict[str, str],
                                            engine: Engine) -> None:
    url, body, _ = _hold(engine)
    counsel = bearer(tokens["counsel"])
    assert client.post(url, json=body, headers=counsel).status_code == 201
    again = client.post(url, json=body, headers=counsel)
    assert again.json()["outcome"] == "unchanged" and "Idempotent-Replayed" not in again.headers
    with read_session(engine) as s:
        assert s.scalars(select(IdempotencyKey)).all() == []


@pytest.mark.parametrize("key", ["", "a b", "x" * 201, "quote\"d", "comma,key", "é"])
def test_a_malformed_key_is_422_naming_the_header(client: TestClient, tokens: dict[str, str],
                                                  engine: Engine, key: str) -> None:
    url, body, _ = _hold(engine)
    response = client.post(url, json=body, headers={
        HEADER.encode(): key.encode(), **bearer(tokens["counsel"])})
    _assert_header_error(response, 422)
    with read_session(engine) as s:
        assert s.scalars(select(IdempotencyKey)).all() == []


def test_an_expired_key_is_forgotten(client: TestClient, tokens: dict[str, str],
                                     engine: Engine) -> None:
    url, body, other = _hold(engine)
    assert _post(client, url, body, "old", tokens["counsel"]).status_code == 201
    with unit_of_work(engine) as s:
        row = s.scalars(select(IdempotencyKey)).one()
        row.created_at = utcnow() - KEY_LIFETIME - timedelta(minutes=1)
    # After 24 hours the key may be used again, for anything.
    fresh = _post(client, url, other, "old", tokens["counsel"])
    assert fresh.status_code == 201, fresh.text
    with read_session(engine) as s:
        assert [r.request_sha256 for r in s.scalars(select(IdempotencyKey))] != [
            row.request_sha256]


def test_a_concurrent_duplicate_is_409(client: TestClient, tokens: dict[str, str],
                                       engine: Engine) -> None:
    from habeas.api import idempotency

    url, body, _ = _hold(engine)
    seen: list[Any] = []
    original = idempotency.Pending.finish

    def finish_after_a_twin(self: Any, *args: Any) -> Any:
        # The twin arrives while the first still holds its unit of work open.
        if not seen:
            seen.append(_post(client, url, body, "twin", tokens["counsel"]))
        return original(self, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(idempotency.Pending, "finish", finish_after_a_twin)
        first = _post(client, url, body, "twin", tokens["counsel"])
    assert first.status_code == 201, first.text
    _assert_header_error(seen[0], 409)
    assert seen[0].json()["error"]["code"] == "conflict"
    replayed = _post(client, url, body, "twin", tokens["counsel"])
    assert replayed.content == first.content and replayed.headers["Idempotent-Replayed"]
