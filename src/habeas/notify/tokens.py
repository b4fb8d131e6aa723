"""Secrets derived from one server key: subscribe tokens, confirmation codes, revocation
tokens, webhook signing secrets and the rate limit's client keys (ADR 0016).

The key is 32 random bytes in HABEAS_DATA_DIR/notify.key (mode 0600), like the log's
signing key; `habeas init` creates it. Nothing derived from it is stored in the
database, so a database copy holds no code that could confirm or revoke anything.

A subscribe token is the person's public id under AES-SIV (RFC 5297: deterministic
authenticated encryption), so it reveals nothing — not even the public id, which is
the ledger's published `subject` and would link a name to its events — and it cannot
be forged; `person_for` opens it without a database lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from habeas.config import get_settings
from habeas.timing import same_secret

KEY_FILE = "notify.key"
KEY_BYTES = 32
TOKEN_CONTEXT = b"habeas subscribe token v1"


def key_path(data_dir: Path | None = None) -> Path:
    return (data_dir or get_settings().data_dir) / KEY_FILE


def ensure_key(data_dir: Path | None = None) -> tuple[bytes, bool]:
    """ensure_key loads the notification key, creating it (0600) if absent; True if created."""
    path = key_path(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            # O_EXCL: two processes starting at once never overwrite each other's key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _read(path), False
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(KEY_BYTES) + "\n")
        return _read(path), True
    return _read(path), False


def _read(path: Path) -> bytes:
    return bytes.fromhex(path.read_text().strip())


def _key() -> bytes:
    return ensure_key()[0]


def _derive(label: str, message: str, size: int = 16) -> bytes:
    return hmac.new(_key(), f"{label}\0{message}".encode(), hashlib.sha256).digest()[:size]


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes | None:
    try:
        return base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except ValueError:  # binascii.Error is a ValueError
        return None


def _siv() -> AESSIV:
    # AES-256-SIV takes a 64-byte key: two HMAC-SHA256 outputs of the server key.
    return AESSIV(_derive("siv-1", "subscribe", 32) + _derive("siv-2", "subscribe", 32))


def subscribe_token(public_id: str) -> str:
    """subscribe_token is the opaque token a locator result carries for subscribing."""
    return _b32(_siv().encrypt(public_id.encode(), [TOKEN_CONTEXT]))


def person_for(token: str) -> str | None:
    """person_for is the public id inside TOKEN, or None if it is not one of ours."""
    raw = _unb32(token.strip()) if 0 < len(token) <= 200 else None
    if raw is None:
        return None
    try:
        return _siv().decrypt(raw, [TOKEN_CONTEXT]).decode()
    except (InvalidTag, UnicodeDecodeError, ValueError):
        return None


def _token(label: str, subscription_id: str) -> str:
    return f"{subscription_id}.{_b32(_derive(label, subscription_id))}"


def _check(label: str, token: str) -> str | None:
    subscription_id, _, _ = token.strip().partition(".")
    if not subscription_id or len(token) > 100:
        return None
    return subscription_id if same_secret(
        token.strip(), _token(label, subscription_id)) else None


def confirm_code(subscription_id: str) -> str:
    """confirm_code is the one-time code sent to a new subscription's address."""
    return _token("confirm", subscription_id)


def revoke_token(subscription_id: str) -> str:
    """revoke_token ends a subscription; given to the subscriber and in every message."""
    return _token("revoke", subscription_id)


def subscription_for_code(code: str) -> str | None:
    """subscription_for_code is the subscription CODE confirms, or None."""
    return _check("confirm", code)


def subscription_for_revoke(token: str) -> str | None:
    """subscription_for_revoke is the subscription TOKEN revokes, or None."""
    return _check("revoke", token)


def webhook_secret(subscription_id: str | None, address: str) -> str:
    """webhook_secret signs webhook deliveries: one per subscription (shown once to the
    subscriber), or one per receiving URL for a directory entry (`habeas notify secret`)."""
    label, message = ("webhook-subscription", subscription_id) if subscription_id \
        else ("webhook-address", address)
    return _b32(_derive(label, message, 32))


def client_key(client: str) -> str:
    """client_key is a keyed hash of a requesting address, for the rate limit."""
    return _derive("client", client).hex()
