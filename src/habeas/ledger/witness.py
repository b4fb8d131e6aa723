"""The witness's tool: verify the log grew append-only since the last cosigned checkpoint,
then cosign (C2SP tlog-cosignature). Runs on the witness's own machine; talks HTTP only."""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from habeas.ledger import merkle
from habeas.ledger.note import (
    CheckpointBody,
    NoteError,
    cosign,
    open_checkpoint,
    parse_signer,
    parse_verifier,
)

TIMEOUT_S = 30


class WitnessError(Exception):
    """WitnessError: the log misbehaved or the exchange failed; nothing was cosigned."""


def _request(url: str, token: str | None = None, body: dict[str, Any] | None = None) -> bytes:
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers,  # noqa: S310
                                     method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        raise WitnessError(f"{url}: HTTP {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise WitnessError(f"{url}: {exc}") from None


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def check_consistency(server: str, old: CheckpointBody, new: CheckpointBody) -> None:
    """check_consistency fetches and verifies the proof that OLD is a prefix of NEW."""
    if new.size < old.size:
        raise WitnessError(f"log rolled back: size {new.size} < last cosigned {old.size}")
    if new.size == old.size:
        if new.root != old.root:
            raise WitnessError(f"fork: two roots for size {new.size}")
        return
    raw = _request(f"{server}/api/v1/ledger/proof/consistency?from={old.size}&to={new.size}")
    proof = [_b64(h) for h in json.loads(raw)["proof"]]
    if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof):
        raise WitnessError(f"inconsistent: size {new.size} does not extend {old.size}")


def cosign_latest(server: str, log_vkey: str, witness_skey: str, token: str, state: Path,
                  now: int | None = None) -> str:
    """cosign_latest cosigns the server's latest checkpoint if it extends the last one seen."""
    server = server.rstrip("/")
    try:
        log = parse_verifier(log_vkey)
        witness = parse_signer(witness_skey)
        note = _request(f"{server}/ledger/checkpoint").decode()
        body = open_checkpoint(note, log, origin=log.name)
        if state.exists():
            check_consistency(server, open_checkpoint(state.read_text(), log), body)
        signature = cosign(body.text, witness, now if now is not None else int(time.time()))
    except NoteError as exc:
        raise WitnessError(str(exc)) from None
    cosigned = note + signature.line
    _request(f"{server}/api/v1/ledger/cosignatures", token, {"checkpoint": cosigned})
    state.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=state.parent, prefix=".witness-")
    with os.fdopen(fd, "w") as handle:
        handle.write(note)
    os.replace(tmp, state)
    return f"cosigned checkpoint size={body.size} as {witness.name}"
