"""Settings, read from the environment (prefix ``HABEAS_``) once per process."""

from __future__ import annotations

import ipaddress
import json
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set; `habeas --help` prints these."""

    model_config = SettingsConfigDict(env_prefix="HABEAS_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./habeas.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
    )
    data_dir: Path = Field(
        default=Path("./.habeas"),
        description="where the log's keys, checkpoints and exports are kept")
    log_origin: str = Field(
        default="habeas.invalid/custody-ledger",
        description="the ledger's name: its checkpoints' origin line and its signing key's "
        "name (a schema-less URL)",
    )
    host: str = Field(default="127.0.0.1", description="address `habeas serve` listens on")
    port: int = Field(default=8000, description="port `habeas serve` listens on")
    session_hours: int = Field(default=8, description="browser session lifetime in hours")
    session_idle_minutes: int = Field(
        default=30, ge=1, description="a browser session left this long without a page ends")
    # Login throttling and lockout (ADR 0018).
    login_lock_after: int = Field(
        default=5, ge=1, description="consecutive failed logins that lock a user name")
    login_lock_minutes: int = Field(
        default=15, ge=1, description="the first lock's length; each further lock doubles it")
    login_lock_max_minutes: int = Field(
        default=24 * 60, ge=1, description="the longest a lock lasts")
    login_client_limit: int = Field(
        default=20, ge=1, description="failed logins per client address per window")
    login_client_window_s: int = Field(
        default=600, ge=1, description="the window of HABEAS_LOGIN_CLIENT_LIMIT, in seconds")
    cookie_secure: bool = Field(
        default=False, description="mark cookies Secure (set when served over HTTPS)"
    )
    locator_rate_limit: int = Field(
        default=30, ge=0,
        description="public locator searches per address per window (0: off, for "
        "benchmarks only)",
    )
    locator_rate_window_s: int = Field(
        default=600, ge=1, description="the locator's rate-limit window in seconds"
    )
    import_chunk: int = Field(
        default=500, ge=1, le=100_000,
        description="rows per transaction in `habeas nominations import`: a crash loses at "
        "most the chunk in flight; a bigger chunk holds the write lock longer")
    # Notifications (habeas.notify, ADR 0016).
    public_url: str = Field(
        default="", description="the site's address in links sent by mail (default "
        "http://HOST:PORT)")
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for notifications")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="the SMTP server's port")
    smtp_starttls: bool = Field(default=False, description="upgrade SMTP with STARTTLS")
    smtp_username: str | None = Field(default=None, description="SMTP login, if needed")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    mail_from: str = Field(default="habeas <notifications@habeas.invalid>",
                           description="the From: of notification mail")
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="seconds to wait for a "
                                     "webhook's answer")
    webhook_allow_private: bool = Field(
        default=False, description="let webhooks reach loopback and private addresses "
        "(tests and closed networks only)")
    notify_worker: bool = Field(default=True,
                                description="`habeas serve` also delivers notifications")
    notify_poll_s: float = Field(default=5.0, gt=0, description="seconds the notification "
                                  "worker waits, when idle, before it looks again")
    mail_sink: bool = Field(default=False, description="`habeas serve` runs a local mail "
                            "sink and delivers mail there (the demo; never in production)")
    mail_sink_port: int = Field(default=8025, ge=0, le=65535,
                                description="the mail sink's port (0: any free port)")
    insecure_fast_password_hashing: bool = Field(
        default=False, description="hash passwords with argon2's cheapest parameters "
        "(the test suite only; never in production)")
    subscribe_rate_limit: int = Field(
        default=10, ge=0, description="subscription requests per address per window (0: off)")
    subscribe_rate_window_s: int = Field(
        default=3600, ge=1, description="the window of HABEAS_SUBSCRIBE_RATE_LIMIT, in seconds")
    # Request edges (issue 17).
    trusted_proxies: str = Field(
        default="", description="addresses or networks (comma-separated) of the reverse "
        "proxies whose X-Forwarded-For names the client; default none: the TCP peer is the "
        "client, so a forged header cannot beat the rate limits or the login throttle")
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024,
        description="the largest request body read, in bytes (larger: 413)")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in proxy_list(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @property
    def proxies(self) -> list[str]:
        """proxies: the trusted proxies' addresses and networks, as a list."""
        return proxy_list(self.trusted_proxies)

    # The two clocks (DESIGN.md §12.2): occurred_at is a claim, recorded_at a fact.
    clock_skew_seconds: int = Field(
        default=300, ge=0, le=3600,
        description="how far an act's claimed time may lie ahead of the server's clock")
    late_window_hours: int = Field(
        default=72, ge=1, description="an act recorded later than this after its claimed "
        "time needs a late_reason and is listed by the integrity report")
    late_windows: dict[str, int] = Field(
        default_factory=dict, description="per event type, its own late window in hours "
        '(JSON, e.g. {"intake.recorded": 24})')

    def late_window_for(self, event_type: str) -> int:
        """late_window_for: the late window of EVENT_TYPE in hours (its own, else the default)."""
        return self.late_windows.get(event_type, self.late_window_hours)


def proxy_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """get_settings returns the process-wide settings."""
    return Settings()


def environment_help(settings: type[BaseSettings] = Settings, width: int = 76) -> str:
    """environment_help: every field of SETTINGS as its environment variable, default and
    description — `habeas --help` prints it, so the list cannot drift from the settings.

    No blank line: the CLI prints it as one unwrapped block (click's ``\\b``).
    """
    prefix = str(settings.model_config.get("env_prefix", ""))
    lines = [f"Environment (one variable per setting, {prefix}NAME; unset: the default):"]
    for name, field in settings.model_fields.items():
        if not field.description:
            raise ValueError(f"{settings.__name__}.{name} has no description for --help")
        head = f"  {prefix}{name.upper()}"
        default = _shown_default(field)
        if default is not None:
            head += f"  [default: {default}]"
        lines.append(head)
        lines.extend(textwrap.wrap(field.description, width=width,
                                   initial_indent="      ", subsequent_indent="      "))
    return "\n".join(lines)


def _shown_default(field: FieldInfo) -> str | None:
    """_shown_default: FIELD's default as an operator would type it (None: unset)."""
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value)
    if value == "":
        return '""'
    return str(value)


ENVIRONMENT_HELP = environment_help()
