"""The ledger's leaf format (DESIGN.md §6, ADR 0003): bytes in, bytes out, no database.

Every event is a leaf of the Merkle log (ledger/merkle.py). The leaf is the event's
envelope — who, what type, when claimed and when recorded, which party, subject and
facility, and the payload only as a salted digest — serialised as RFC 8785 (JCS)
canonical JSON. The write path (events.py) builds leaves from the events it records;
an auditor (ledger/verify.py, billing/reconcile.py, Go's sumdb/tlog) reads them with no
database. These bytes are a published format: every leaf ever recorded must hash the
same forever (tests/test_events.py, tests/ledger/, the conformance vectors).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import rfc8785

ENVELOPE_VERSION = 1  # the envelope's "v"
SALT_BYTES = 16  # the payload commitment's salt
SEQ_KEY = b'"seq":'  # in canonical JSON (sorted keys) followed by the digits and ","


class LeafFacts(Protocol):
    """LeafFacts is what a leaf is made of: the event table's public columns (an ORM row,
    a recorded event, an auditor's copy). `late_reason`, when the event has one, is read
    with getattr: leaves recorded before it existed carry no such key."""

    @property
    def v(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def party(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def facility(self) -> str | None: ...
    @property
    def payload_sha256(self) -> str: ...


def canonical_json(value: Any) -> bytes:
    """canonical_json is the RFC 8785 (JCS) serialisation used for payload commitments.

    Values made only of null, booleans, safe integers, strings and objects with
    ASCII keys take the fast path: for them JCS is exactly sorted-key compact
    JSON without ASCII escaping (RFC 8785 §3.2; property-tested against the
    rfc8785 package). Anything else — floats, non-ASCII keys, whose ordering
    is by UTF-16 code units — takes the package's path.
    """
    if _plain_json(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
    return bytes(rfc8785.dumps(value))


_SAFE_INT = 2**53


def _plain_json(value: Any) -> bool:
    # Iterative, pushing only containers: this runs for every payload recorded.
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            for key, item in node.items():
                if type(key) is not str or not key.isascii():
                    return False
                item_kind = type(item)
                if item_kind is dict or item_kind is list:
                    stack.append(item)
                elif not _plain_scalar(item, item_kind):
                    return False
        elif kind is list:
            for item in node:
                item_kind = type(item)
                if item_kind is dict or item_kind is list:
                    stack.append(item)
                elif not _plain_scalar(item, item_kind):
                    return False
        elif not _plain_scalar(node, kind):
            return False
    return True


def _plain_scalar(item: Any, kind: type) -> bool:
    if kind is str or kind is bool or item is None:
        return True
    return kind is int and -_SAFE_INT < item < _SAFE_INT


def payload_digest(salt: bytes, payload: Mapping[str, Any]) -> str:
    """payload_digest is hex SHA-256(salt ‖ JCS(payload)): a commitment that can be opened later.

    Disclosing payload and salt proves the payload; without the salt a guess
    of a low-entropy payload (a name, a date of birth) cannot be confirmed.
    """
    return hashlib.sha256(salt + canonical_json(payload)).hexdigest()


def format_time(moment: datetime) -> str:
    """format_time renders a UTC instant as RFC 3339 with microseconds and 'Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def envelope(event: LeafFacts) -> dict[str, Any]:
    """envelope is the ledger leaf's content: no personal data, only the payload's digest.

    `late_reason` is a key only when the event has one: every leaf recorded before
    it existed, and every act recorded in time, keeps its exact bytes, so verifiers
    (ours, Go's sumdb/tlog) check old leaves unchanged (DESIGN.md §12.2). It is in the
    leaf, not the salted payload, because it is about the record, not the person:
    why the state wrote it late is public accountability.
    """
    env = {
        "v": event.v,
        "seq": event.seq,
        "type": event.type,
        "occurred_at": format_time(event.occurred_at),
        "recorded_at": format_time(event.recorded_at),
        "actor": event.actor,
        "party": event.party,
        "subject": event.subject,
        "facility": event.facility,
        "payload_sha256": event.payload_sha256,
    }
    late_reason = getattr(event, "late_reason", None)
    if late_reason is not None:
        env["late_reason"] = late_reason
    return env


def canonical_envelope(env: Mapping[str, Any]) -> bytes:
    """canonical_envelope is RFC 8785 JCS of an envelope (ASCII keys, ints, strings, nulls)."""
    return canonical_json(dict(env))


def leaf_bytes(event: LeafFacts) -> bytes:
    """leaf_bytes is the exact byte string hashed into the Merkle log for EVENT."""
    return canonical_envelope(envelope(event))
