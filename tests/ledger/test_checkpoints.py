"""Checkpoints: the log never signs two inconsistent ones; witnesses cosign over the API."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from habeas.app import create_app
from habeas.db import read_session, unit_of_work
from habeas.events import record_many
from habeas.ledger import merkle, service, store
from habeas.ledger.note import (
    ALG_COSIGNATURE_V1,
    cosign,
    generate_signer,
    open_checkpoint,
    split_note,
)
from habeas.ledger.service import InconsistentCheckpoint
from tests.api.conftest import bearer
from tests.factories import DEMO_EVENTS, a_token
from tests.ledger.conftest import Ledger, reprotect, unprotect
from tests.ledger.test_store import facilities

# the write path: signing checkpoints over the log's head (docs/testing.md)
pytestmark = pytest.mark.both_engines


class TestSigning:
    def test_checkpoint_is_a_signed_note_over_the_current_root(self, ledger: Ledger) -> None:
        with read_session(ledger.engine) as s:
            latest = service.latest_checkpoint(s)
            assert latest is not None
            body = open_checkpoint(latest.note, ledger.signer.verifier)
            assert (body.size, body.root) == (latest.size, store.root_at(s, latest.size))
            assert body.origin == "habeas.invalid/custody-ledger"

    def test_signing_again_without_new_events_returns_the_same_checkpoint(
            self, ledger: Ledger) -> None:
        assert ledger.checkpoint() == ledger.checkpoint() == DEMO_EVENTS

    def test_refuses_to_sign_over_rewritten_hashes(self, ledger: Ledger) -> None:
        with unit_of_work(ledger.engine) as s:
            record_many(s, facilities(0, 3))
        unprotect(ledger.engine, "ledger_hash")
        with ledger.engine.begin() as conn:  # rewrite the stored root of the signed 8 leaves
            conn.execute(text("UPDATE ledger_hash SET hash = :h WHERE idx = :i"),
                         {"h": b"\x00" * 32, "i": merkle.stored_hash_index(3, 0)})
        reprotect(ledger.engine, "ledger_hash")
        with pytest.raises(InconsistentCheckpoint, match="not consistent"):
            ledger.checkpoint()

    def test_refuses_to_sign_a_rolled_back_log(self, ledger: Ledger) -> None:
        unprotect(ledger.engine, "event")
        with ledger.engine.begin() as conn:
            conn.execute(text("UPDATE log_head SET size = 5"))
        reprotect(ledger.engine, "event")
        with pytest.raises(InconsistentCheckpoint, match="rolled-back"):
            ledger.checkpoint()


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger.engine), raise_server_exceptions=False) as test_client:
        yield test_client


class TestWitnesses:
    def test_a_monitor_registers_a_key_and_cosigns(self, ledger: Ledger,
                                                   client: TestClient) -> None:
        token = a_token(ledger.engine, "monitor")
        witness = generate_signer("monitor.example/w1", ALG_COSIGNATURE_V1)
        registered = client.post("/api/v1/ledger/witnesses", headers=bearer(token),
                                 json={"vkey": witness.verifier.vkey})
        assert registered.status_code == 201, registered.text
        note = client.get("/ledger/checkpoint").text
        body_text, _ = split_note(note)
        line = cosign(body_text, witness, timestamp=1_790_000_000).line
        accepted = client.post("/api/v1/ledger/cosignatures", headers=bearer(token),
                               json={"checkpoint": note + line})
        assert accepted.status_code == 201, accepted.text
        served = client.get("/api/v1/ledger/checkpoint").json()
        assert served["cosignatures"] == 1 and served["note"].endswith(line)

    def test_bad_cosignatures_get_a_json_error_naming_the_problem(
            self, ledger: Ledger, client: TestClient) -> None:
        token = a_token(ledger.engine, "us.officer")
        witness = generate_signer("usa.example/w", ALG_COSIGNATURE_V1)
        client.post("/api/v1/ledger/witnesses", headers=bearer(token),
                    json={"vkey": witness.verifier.vkey})
        note = client.get("/ledger/checkpoint").text
        body_text, _ = split_note(note)
        good = cosign(body_text, witness, timestamp=1_790_000_000)
        raw = bytearray(base64.b64decode(good.line.split(" ")[2]))
        raw[-1] ^= 1  # one bit of the Ed25519 signature
        forged = f"— {good.name} {base64.b64encode(bytes(raw)).decode()}\n"
        cases = [
            (note + forged, "does not verify"),
            (note + cosign(body_text, generate_signer("x/y", ALG_COSIGNATURE_V1), 1).line,
             "no cosignature by a witness key registered to you"),
            (note.replace(f"\n{DEMO_EVENTS}\n", f"\n{DEMO_EVENTS + 1}\n") + good.line,
             "not a checkpoint this log signed"),
            ("garbage", "checkpoint"),
        ]
        for submitted, problem in cases:
            response = client.post("/api/v1/ledger/cosignatures", headers=bearer(token),
                                   json={"checkpoint": submitted})
            assert response.status_code == 422, (problem, response.text)
            error = response.json()["error"]
            assert error["code"] == "validation_failed" and problem in error["message"]

    def test_only_sending_and_monitor_users_witness(self, ledger: Ledger,
                                                    client: TestClient) -> None:
        witness = generate_signer("w/x", ALG_COSIGNATURE_V1)
        response = client.post("/api/v1/ledger/witnesses",
                               headers=bearer(a_token(ledger.engine, "sv.warden")),
                               json={"vkey": witness.verifier.vkey})
        assert response.status_code == 403

    def test_a_plain_signing_key_is_not_a_witness_key(self, ledger: Ledger,
                                                      client: TestClient) -> None:
        response = client.post("/api/v1/ledger/witnesses",
                               headers=bearer(a_token(ledger.engine, "monitor")),
                               json={"vkey": generate_signer("w/plain").verifier.vkey})
        assert response.status_code == 422
        assert "cosignature/v1" in response.json()["error"]["message"]


class TestSigningOverHttp:
    def test_an_admin_signs_a_checkpoint_of_the_grown_log(self, ledger: Ledger,
                                                          client: TestClient) -> None:
        grow_by = facilities(0, 4)
        with unit_of_work(ledger.engine) as s:
            record_many(s, grow_by)
        response = client.post("/api/v1/ledger/checkpoints",
                               headers=bearer(a_token(ledger.engine, "admin")))
        assert response.status_code == 201, response.text
        assert response.json()["size"] == DEMO_EVENTS + 4 + 1  # the demo, 4 facilities, the token

    def test_without_its_key_the_server_says_so(self, ledger: Ledger,
                                                client: TestClient) -> None:
        (ledger.data_dir / "log.key").unlink()
        response = client.post("/api/v1/ledger/checkpoints",
                               headers=bearer(a_token(ledger.engine, "admin")))
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "log_key_missing"


class TestProofsOverHttp:
    def test_inclusion_and_consistency_proofs_verify(self, ledger: Ledger,
                                                     client: TestClient) -> None:
        def b(s: str) -> bytes:
            return base64.b64decode(s)

        proof = client.get("/api/v1/ledger/proof/inclusion?seq=5").json()
        assert proof["size"] == DEMO_EVENTS
        assert merkle.verify_inclusion(5, DEMO_EVENTS, b(proof["leaf_hash"]),
                                       [b(h) for h in proof["proof"]], b(proof["root"]))
        consistency = client.get(
            f"/api/v1/ledger/proof/consistency?from=3&to={DEMO_EVENTS}").json()
        assert merkle.verify_consistency(3, DEMO_EVENTS, b(consistency["root1"]),
                                         b(consistency["root2"]),
                                         [b(h) for h in consistency["proof"]])
        too_big = client.get(f"/api/v1/ledger/proof/inclusion?seq={DEMO_EVENTS}")
        assert too_big.status_code == 422 and too_big.json()["error"]["details"]["field"] == "seq"
        assert client.get("/api/v1/ledger/proof/consistency?from=3&to=99").status_code == 422

    def test_tiles_are_served_for_the_checkpoint_only(self, client: TestClient) -> None:
        n = DEMO_EVENTS
        assert len(client.get(f"/ledger/tile/0/000.p/{n}").content) == n * 32
        assert client.get(f"/ledger/tile/entries/000.p/{n}").status_code == 200
        assert client.get(f"/ledger/tile/0/000.p/{n + 1}").status_code == 404
        assert client.get("/ledger/tile/0/bogus").status_code == 404
