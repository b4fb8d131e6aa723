"""Settings, read from the environment (prefix ``HABEAS_``) once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set; `habeas --help` prints these."""

    model_config = SettingsConfigDict(env_prefix="HABEAS_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./habeas.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
    )
    data_dir: Path = Field(
        default=Path("./.habeas"), description="where keys and exports are kept"
    )
    log_origin: str = Field(
        default="habeas.invalid/custody-ledger",
        description="the ledger's origin line and signing key name (a schema-less URL)",
    )
    host: str = Field(default="127.0.0.1", description="address `habeas serve` listens on")
    port: int = Field(default=8000, description="port `habeas serve` listens on")
    session_hours: int = Field(default=8, description="browser session lifetime in hours")
    cookie_secure: bool = Field(
        default=False, description="mark cookies Secure (set when served over HTTPS)"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """get_settings returns the process-wide settings."""
    return Settings()


ENVIRONMENT_HELP = """Environment:
  HABEAS_DATABASE_URL  database (default sqlite:///./habeas.db; PostgreSQL:
                       postgresql+psycopg://USER@HOST:PORT/DB)
  HABEAS_DATA_DIR      keys and exports (default ./.habeas)
  HABEAS_LOG_ORIGIN    the ledger's name in its checkpoints
                       (default habeas.invalid/custody-ledger)
  HABEAS_HOST          address `habeas serve` listens on (default 127.0.0.1)
  HABEAS_PORT          port `habeas serve` listens on (default 8000)
  HABEAS_SESSION_HOURS browser session lifetime (default 8)
  HABEAS_COOKIE_SECURE Secure cookies, for HTTPS deployments (default false)"""
