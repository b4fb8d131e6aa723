"""The public subscription pages over HTTP: forms guarded by a CSRF cookie, bad input named,
nothing said beyond the locator."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.app import create_app
from habeas.db import read_session
from habeas.locator.models import LocatorEntry
from habeas.notify import tokens
from tests.notify.conftest import admitted, rows


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


class TestSubscribePages:
    def test_a_forged_link_says_so_at_once(self, demo_engine: Engine) -> None:
        client = TestClient(create_app(demo_engine))
        page = client.get("/subscribe?token=forged")
        assert page.status_code == 404
        assert "no longer names anyone the locator shows" in page.text
        assert 'name="address"' not in page.text

    def test_the_form_names_the_person_as_the_result_did_until_the_locator_drops_them(
            self, demo_engine: Engine) -> None:
        from tests.locator.conftest import release

        person = admitted(demo_engine)
        with read_session(demo_engine) as s:
            entry = s.get(LocatorEntry, person)
            assert entry is not None
            name = entry.shown_name
        client = TestClient(create_app(demo_engine))
        link = f"/subscribe?token={tokens.subscribe_token(person)}&lang=en"
        form = client.get(link)
        assert form.status_code == 200
        assert f"About: <strong>{name}</strong>" in form.text
        # Released long before today: the locator no longer shows him, nor does this page.
        release(demo_engine, person, date(2025, 6, 1))
        gone = client.get(link)
        assert gone.status_code == 404 and name not in gone.text
        assert 'name="address"' not in gone.text

    def test_subscribe_and_stop_in_english(self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        client = TestClient(create_app(demo_engine))
        form = client.get(f"/subscribe?token={tokens.subscribe_token(person)}&lang=en")
        assert form.status_code == 200 and person not in form.text
        token = tokens.subscribe_token(person)
        forged = client.post("/subscribe", data={"token": token, "address": "a@example.org",
                                                 "csrf": "forged"})
        assert forged.status_code == 403 and rows(demo_engine, kind="subscription") == []
        sent = client.post("/subscribe", data={
            "token": token, "channel": "email", "address": "a@example.org", "locale": "en",
            "csrf": csrf_of(form.text)})
        assert sent.status_code == 202 and "We sent a code" in sent.text
        revoke = re.search(r'href="(/subscribe/revoke\?token=[^"&]+)', sent.text)
        assert revoke is not None
        stop = client.get(revoke.group(1))
        stopped = client.post("/subscribe/revoke", data={
            "token": revoke.group(1).split("=", 1)[1], "csrf": csrf_of(stop.text)})
        assert "The updates are stopped" in stopped.text
        [code] = rows(demo_engine, kind="subscription")
        assert code.status == "cancelled"  # revoked before the code went out: never sent

    def test_a_bad_address_is_named(self, demo_engine: Engine) -> None:
        person = admitted(demo_engine)
        client = TestClient(create_app(demo_engine))
        token = tokens.subscribe_token(person)
        form = client.get(f"/subscribe?token={token}")
        bad = client.post("/subscribe", data={"token": token, "channel": "webhook",
                                              "address": "ftp://example.org/x",
                                              "csrf": csrf_of(form.text)})
        assert bad.status_code == 422
        assert 'class="invalid" aria-invalid="true"' in bad.text
        assert "Check the address" in bad.text
