"""The last chapter: the log signed, and cosigned by the other state and the monitor."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from habeas.clock import utcnow
from habeas.ledger import service as ledger
from habeas.ledger.note import ALG_COSIGNATURE_V1, Signer, cosign

from .agreement import principal

# The other state and the monitor witness the log (DESIGN.md §6). Their keys would
# live on their own machines; the demo derives them from the seed so it can cosign.
DEMO_WITNESSES = (("us.officer", "usa.example/witness"), ("monitor", "monitor.example/witness"))


def _demo_witness_key(name: str, seed: int) -> Signer:
    return Signer(name, ALG_COSIGNATURE_V1,
                  hashlib.sha256(f"habeas-demo:{seed}:{name}".encode()).digest())


def witness(session: Session, log: Signer, *, seed: int = 2025,
            now: datetime | None = None) -> list[str]:
    """witness registers the demo witnesses, signs a checkpoint, and has both cosign it."""
    done = []
    witnesses = []
    for username, name in DEMO_WITNESSES:
        who = principal(session, username)
        key = _demo_witness_key(name, seed)
        ledger.register_witness(session, who, key.verifier.vkey)
        witnesses.append((who, key))
    checkpoint = ledger.sign_checkpoint(session, log, now=now)
    done.append(f"ledger checkpoint signed at size {checkpoint.size}")
    body = checkpoint.note[: checkpoint.note.index("\n\n") + 1]
    stamp = int((now or utcnow()).timestamp())
    for who, key in witnesses:
        line = cosign(body, key, stamp).line
        ledger.add_cosignature(session, who, checkpoint.note + line)
        done.append(f"checkpoint {checkpoint.size} cosigned by {key.name} ({who.username})")
    return done
