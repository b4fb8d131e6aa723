"""A backup folder read back: its manifest.json, and the dump checked against it (length and
SHA-256) before anything is touched; and what restoring it would give up of the log."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from habeas.errors import ValidationFailed
from habeas.ledger.highwater import Mark

from .engines import EngineName

FORMAT = "habeas-backup/1"
MANIFEST = "manifest.json"
DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1 << 20

Progress = Callable[[int], None]


class BadBackup(ValidationFailed):
    """BadBackup: PATH is not a usable backup (missing, not one, corrupt, wrong engine)."""


class Manifest(BaseModel):
    """Manifest is manifest.json: what a backup holds and how to check its dump."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["habeas-backup/1"]
    engine: EngineName
    created_at: datetime
    schema_revision: str | None
    log_size: int
    root: str  # base64 root hash of the log at log_size
    checkpoint_size: int | None
    checkpoint_root: str | None
    origin: str
    file: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Backup:
    """Backup is a checked backup folder: its manifest, the dump, the manifest's SHA-256."""

    path: Path
    manifest: Manifest
    digest: str

    @property
    def dump(self) -> Path:
        return self.path / self.manifest.file


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()


def open_backup(path: Path, progress: Progress | None = None) -> Backup:
    """open_backup reads PATH's manifest and checks the dump's length and SHA-256 against it."""
    if not path.exists():
        raise BadBackup(f"{path}: no such backup")
    if not path.is_dir() or not (path / MANIFEST).is_file():
        raise BadBackup(f"{path}: not a habeas backup (no {MANIFEST}; make one with"
                        " `habeas backup PATH`)")
    raw = (path / MANIFEST).read_bytes()
    try:
        manifest = Manifest.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise BadBackup(f"{path / MANIFEST}: {where}: {first['msg']}") from None
    if manifest.file != DUMP_FILES[manifest.engine]:
        raise BadBackup(f"{path / MANIFEST}: file: expected {DUMP_FILES[manifest.engine]!r}")
    found = Backup(path, manifest, hashlib.sha256(raw).hexdigest())
    try:
        length = found.dump.stat().st_size
    except FileNotFoundError:
        raise BadBackup(f"{found.dump}: missing; the backup is incomplete") from None
    if length != manifest.bytes:
        raise BadBackup(f"{found.dump}: {length} bytes where the manifest says"
                        f" {manifest.bytes}: the backup is truncated or corrupt; nothing was"
                        " changed")
    if sha256_file(found.dump, progress) != manifest.sha256:
        raise BadBackup(f"{found.dump}: SHA-256 does not match the manifest: the backup is"
                        " corrupt; nothing was changed")
    return found


def backup_shortfall(found: Backup, mark: Mark | None) -> str | None:
    """backup_shortfall says, from the manifest alone, whether restoring rolls the log back."""
    if mark is None:
        return None
    m = found.manifest
    if m.log_size < mark.size:
        return (f"the backup's log has {m.log_size} events but checkpoint {mark.size} was"
                " already signed")
    if m.log_size == mark.size and m.root != mark.root_b64:
        return f"the backup's log has a different root at size {mark.size}: it is a fork"
    return None
