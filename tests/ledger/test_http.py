"""End to end over HTTP: a witness cosigns with its own tool; a verifier checks the live server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from habeas.app import create_app
from habeas.ledger.note import ALG_COSIGNATURE_V1, generate_signer
from habeas.ledger.witness import cosign_latest
from tests.api.conftest import bearer
from tests.factories import DEMO_EVENTS, a_token
from tests.ledger.conftest import Ledger
from tests.ledger.test_verify import grow
from tests.servers import running_server


def habeas(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "habeas", *args], capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "200"})


def test_witness_cosigns_and_verifier_checks_the_live_server(ledger: Ledger,
                                                             tmp_path: Path) -> None:
    token = a_token(ledger.engine, "monitor")
    witness = generate_signer("monitor.example/w1", ALG_COSIGNATURE_V1)
    with TestClient(create_app(ledger.engine)) as client:
        assert client.post("/api/v1/ledger/witnesses", headers=bearer(token),
                           json={"vkey": witness.verifier.vkey}).status_code == 201
    state = tmp_path / "witness-state"
    with running_server(ledger.engine) as url:
        first = cosign_latest(url, ledger.signer.verifier.vkey, witness.skey, token, state)
        assert first == f"cosigned checkpoint size={DEMO_EVENTS} as monitor.example/w1"
        grow(ledger, 0, 300)  # the demo + token + witness registration + 300
        ledger.checkpoint()
        second = cosign_latest(url, ledger.signer.verifier.vkey, witness.skey, token, state)
        assert second == f"cosigned checkpoint size={DEMO_EVENTS + 302} as monitor.example/w1"

        result = habeas("ledger", "verify", f"{url}/ledger", "--key",
                        ledger.signer.verifier.vkey, "--witness", witness.verifier.vkey,
                        "--min-witnesses", "1", "--state", str(tmp_path / "verifier"))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"OK size={DEMO_EVENTS + 302} root=")
        assert "witnesses=monitor.example/w1" in result.stdout

        stranger = generate_signer(ledger.signer.name)
        refused = habeas("ledger", "verify", f"{url}/ledger", "--key",
                         stranger.verifier.vkey)
        assert refused.returncode == 1
        assert "not signed by the expected key" in refused.stderr
