"""Which database engine a URL names, where SQLite keeps it, and the PostgreSQL client
tools (pg_dump, pg_restore, psql) a backup and a restore run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url

from habeas.errors import DomainError, ErrorCode, Unavailable

EngineName = Literal["sqlite", "postgresql"]


def engine_kind(url: str) -> EngineName:
    """engine_kind names the database engine of a SQLAlchemy URL."""
    name = make_url(url).get_backend_name()
    if name in ("sqlite", "postgresql"):
        return name  # type: ignore[return-value]
    raise DomainError(f"HABEAS_DATABASE_URL: backup supports sqlite and postgresql, not {name}")


def sqlite_file(url: str) -> Path:
    """sqlite_file is the database file of a sqlite:///PATH URL."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise DomainError("HABEAS_DATABASE_URL: an in-memory SQLite database cannot be backed up"
                          " or restored")
    return Path(database)


def _libpq_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """libpq turns a SQLAlchemy PostgreSQL URL into a libpq conninfo string and environment.

    The query parameters (host=/run/postgresql for a Unix socket, sslmode, …) are
    libpq keywords already; the password goes in PGPASSWORD, never on a command line.
    """
    parsed = make_url(url)
    params: dict[str, str] = {}
    if parsed.host:
        params["host"] = parsed.host
    if parsed.port:
        params["port"] = str(parsed.port)
    if parsed.username:
        params["user"] = parsed.username
    if parsed.database:
        params["dbname"] = parsed.database
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return " ".join(f"{k}={_libpq_value(v)}" for k, v in params.items()), env


def client_tool(name: str) -> str:
    """client_tool is the path of the PostgreSQL client program NAME."""
    found = shutil.which(name)
    if found is None:
        raise Unavailable(f"{name} not found on PATH: install the PostgreSQL client tools",
                          code=ErrorCode.INTERNAL_ERROR)
    return found


def run_tool(args: list[str], env: dict[str, str]) -> None:
    """run_tool runs a client program, its first line of complaint the error if it fails."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise Unavailable(f"{Path(args[0]).name}: {lines[0] if lines else 'failed'}",
                          code=ErrorCode.INTERNAL_ERROR)
