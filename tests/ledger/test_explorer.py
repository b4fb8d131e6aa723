"""The ledger explorer's pages over HTTP: checkpoints a page at a time with each witness's
cosignature and its time, an event's inclusion state, and the verifier instructions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from habeas.app import create_app
from habeas.db import unit_of_work
from habeas.events import record_many
from habeas.ledger import reads
from habeas.ledger.note import ALG_COSIGNATURE_V1, cosign, generate_signer, split_note
from habeas.web import ledger as pages
from tests.api.conftest import bearer
from tests.factories import DEMO_EVENTS, a_token
from tests.ledger.conftest import Ledger
from tests.ledger.test_store import facilities
from tests.web.test_security import log_in as log_in_client


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger.engine), raise_server_exceptions=False) as test_client:
        yield test_client


def test_cosigned_time_is_the_cosignature_timestamp_in_utc() -> None:
    assert reads.cosigned_time(1_790_000_000) == datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC)


class TestCheckpoints:
    def test_each_checkpoint_shows_its_witnesses_and_when_they_cosigned(
            self, ledger: Ledger, client: TestClient) -> None:
        token = a_token(ledger.engine, "monitor")
        witness = generate_signer("monitor.example/w1", ALG_COSIGNATURE_V1)
        assert client.post("/api/v1/ledger/witnesses", headers=bearer(token),
                           json={"vkey": witness.verifier.vkey}).status_code == 201
        note = client.get("/ledger/checkpoint").text
        line = cosign(split_note(note)[0], witness, timestamp=1_790_000_000).line
        assert client.post("/api/v1/ledger/cosignatures", headers=bearer(token),
                           json={"checkpoint": note + line}).status_code == 201
        log_in_client(client, "monitor")
        page = client.get("/log").text
        assert "monitor.example/w1" in page and "Sep 21, 2026, 2:13:20\u202fPM UTC" in page
        event = client.get("/events/0").text
        assert "Cosigned by: monitor.example/w1 (Sep 21, 2026, 2:13:20\u202fPM UTC)" in event
        spanish = client.get("/events/0?lang=es").text
        assert "monitor.example/w1 (21 sept 2026, 14:13:20 UTC)" in spanish

    def test_checkpoints_come_a_page_at_a_time_newest_first(
            self, ledger: Ledger, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
        for start in (0, 3):
            with unit_of_work(ledger.engine) as s:
                record_many(s, facilities(100 + start, 3))
            ledger.checkpoint()
        monkeypatch.setattr(pages, "CHECKPOINTS_PER_PAGE", 2)
        log_in_client(client, "monitor")
        first = client.get("/log").text
        assert f"<td>{DEMO_EVENTS + 6}</td>" in first and f"<td>{DEMO_EVENTS + 3}</td>" in first
        assert f"<td>{DEMO_EVENTS}</td>" not in first
        assert f'href="/log?before={DEMO_EVENTS + 3}#checkpoints"' in first
        older = client.get(f"/log?before={DEMO_EVENTS + 3}").text
        assert f"<td>{DEMO_EVENTS}</td>" in older and "Older checkpoints" not in older
        assert "Newest checkpoints" in older


class TestEventPage:
    def test_an_event_after_the_latest_checkpoint_is_not_yet_included(
            self, ledger: Ledger, client: TestClient) -> None:
        with unit_of_work(ledger.engine) as s:
            record_many(s, facilities(200, 1))
        log_in_client(client, "monitor")
        included = client.get("/events/0").text
        assert "Included in the latest signed checkpoint" in included
        assert 'data-inclusion' in included
        pending = client.get(f"/events/{DEMO_EVENTS}").text
        assert "Not yet included: this event is newer than the latest signed checkpoint" \
            in pending and "data-inclusion" not in pending


class TestVerifyInstructions:
    def test_anyone_may_read_how_to_verify_the_log(self, ledger: Ledger,
                                                   client: TestClient) -> None:
        response = client.get("/ledger/verify-instructions")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert "content-disposition" not in response.headers
        vkey = ledger.signer.verifier.vkey
        assert f'habeas ledger verify http://testserver/ledger --key "{vkey}"' in response.text
        assert "Log origin (the checkpoint's first line): habeas.invalid/custody-ledger" \
            in response.text
        assert f"Latest signed checkpoint when you downloaded this: {DEMO_EVENTS} events" \
            in response.text
        assert "&#34;" not in response.text and "&lt;" not in response.text

    def test_the_instructions_download_as_a_markdown_file(self, client: TestClient) -> None:
        response = client.get("/ledger/verify-instructions?download=1")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/markdown")
        assert response.headers["content-disposition"] == \
            'attachment; filename="habeas-verify-the-ledger.md"'
        assert response.text.startswith("# Verifying the habeas custody ledger yourself")
