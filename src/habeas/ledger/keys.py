"""The log's signing key, kept in HABEAS_DATA_DIR/log.key with mode 0600."""

from __future__ import annotations

import os
from pathlib import Path

from habeas.config import get_settings
from habeas.errors import ErrorCode, Unavailable
from habeas.ledger.note import NoteError, Signer, generate_signer, parse_signer

KEY_FILE = "log.key"
VKEY_FILE = "log.vkey"


def key_path(data_dir: Path | None = None) -> Path:
    return (data_dir or get_settings().data_dir) / KEY_FILE


def ensure_log_key(data_dir: Path | None = None, origin: str | None = None) -> tuple[Signer, bool]:
    """ensure_log_key loads the log key, creating it (0600) if absent; True if it was created."""
    path = key_path(data_dir)
    if path.exists():
        return load_log_key(data_dir), False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    signer = generate_signer(origin or get_settings().log_origin)
    # O_EXCL: two concurrent `habeas init` runs never overwrite each other's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.skey + "\n")
    (path.parent / VKEY_FILE).write_text(signer.verifier.vkey + "\n")
    return signer, True


def load_log_key(data_dir: Path | None = None) -> Signer:
    """load_log_key reads the log's private key or says how to create it."""
    path = key_path(data_dir)
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise Unavailable(f"ledger: no log key at {path}; run `habeas init`",
                          code=ErrorCode.LOG_KEY_MISSING) from None
    try:
        return parse_signer(text)
    except NoteError as exc:
        raise Unavailable(f"ledger: {path}: {exc}", code=ErrorCode.LOG_KEY_MISSING) from None
