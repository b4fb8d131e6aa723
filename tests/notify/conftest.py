"""Fixtures for notifications: a key in a temporary data dir, people in custody with
contacts, consulates and counsel, and real receivers — an SMTP server (aiosmtpd) and an
HTTP server that checks signatures — on free loopback ports."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine, select

from habeas.config import get_settings
from habeas.db import read_session, unit_of_work
from habeas.notify import channels, service
from habeas.notify.models import Notification
from habeas.notify.schemas import ConsulateFile
from habeas.notify.worker import Delivery
from tests.custody.test_intake import intake, take_in
from tests.transfers.factories import accepted_people, handed_over

BASE_URL = "http://habeas.test"
MOTHER = "ana.lopez@family.example"
COUNSEL = "mherrera@law.example"
CONSULATES = {"HND": "proteccion@consulado-hnd.example", "GTM": "asistencia@consulado-gtm.example"}


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """data_dir: the notification key (and mail sink) in a temporary HABEAS_DATA_DIR; webhooks
    may reach loopback, where the test receivers listen."""
    folder = tmp_path / "data"
    monkeypatch.setenv("HABEAS_DATA_DIR", str(folder))
    monkeypatch.setenv("HABEAS_WEBHOOK_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_consulates(engine: Engine, **addresses: str) -> None:
    """with_consulates registers consular posts in El Salvador (by email unless a URL)."""
    entries = [{"nationality": n, "name": f"Consulate of {n}", "address": a,
                "channel": "webhook" if a.startswith("http") else "email",
                "locale": "es"} for n, a in (addresses or CONSULATES).items()]
    with unit_of_work(engine) as s:
        service.load_consulates(s, ConsulateFile.model_validate(
            {"host_country": "SLV", "consulate": entries}), actor="test", allow_private=True)


def admitted(engine: Engine, ref: str = "T-1", *, nationalities: tuple[str, ...] = ("HND",),
             counsel: bool = True, consulates: dict[str, str] | None = None,
             **intake_changes: Any) -> str:
    """admitted: one man flown, handed over and taken in, his mother's email on the intake
    record and counsel of record on the nomination. CONSULATES are registered just before
    intake (so the flight owes them nothing)."""
    [person] = accepted_people(engine, ref, **{
        "person.nationalities": list(nationalities),
        "counsel": {"name": "María Herrera", "email": COUNSEL} if counsel else None})
    handed_over(engine, [person])
    if consulates:
        with_consulates(engine, **consulates)
    take_in(engine, person, intake(**{
        "contacts": [{"name": "Ana López", "relationship": "mother", "email": MOTHER,
                      "emergency": True}], **intake_changes}))
    return person


def rows(engine: Engine, **where: Any) -> list[Notification]:
    """rows: the outbox, oldest first, filtered by column values."""
    with read_session(engine) as s:
        query = select(Notification).order_by(Notification.seq, Notification.id)
        for column, value in where.items():
            query = query.where(getattr(Notification, column) == value)
        return list(s.scalars(query))


class Clock:
    """Clock is an injected wall clock the tests move by hand (no sleeping)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    """clock: an hour ahead of the wall clock, so whatever a test records before it runs
    the worker is due."""
    return Clock(datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1))


# --- a real SMTP server ---------------------------------------------------------------


@dataclass
class Inbox:
    """Inbox keeps what the SMTP server accepted; REFUSE makes it answer 451."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        raw = envelope.content if isinstance(envelope.content, bytes) \
            else str(envelope.content).encode()
        parsed = message_from_bytes(raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, inbox)
    finally:
        controller.stop()


def delivery(smtp_port: int = 9, timeout_s: float = 2.0) -> Delivery:
    """delivery: the worker's way out — the test SMTP server, webhooks with a short timeout."""
    return Delivery(smtp=channels.Smtp(host="127.0.0.1", port=smtp_port,
                                       sender="habeas <notifications@habeas.test>",
                                       timeout_s=timeout_s),
                    webhooks=channels.Webhooks(timeout_s=timeout_s, allow_private=True),
                    base_url=BASE_URL)


# --- a real HTTP receiver ---------------------------------------------------------------


@dataclass
class Receiver:
    """Receiver is a webhook endpoint: it checks each call's signature with the secret it
    was given (and its timestamp against the test's clock) and keeps one copy per
    Idempotency-Key. MODE: ok | fail (500) | hang."""

    url: str
    secrets: list[str] = field(default_factory=list)
    mode: str = "ok"
    calls: int = 0
    bad_signatures: int = 0
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver(clock: Clock) -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hooks/habeas")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.calls += 1
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.mode == "hang":
                state.release.wait(10)  # no answer until the test ends
                return
            if state.mode == "fail":
                self._answer(500)
                return
            signature = self.headers.get(channels.SIGNATURE_HEADER, "")
            stamp = self.headers.get(channels.TIMESTAMP_HEADER, "")
            if not any(channels.verify(secret, stamp, body, signature,
                                       now=clock().timestamp())
                       for secret in state.secrets):
                state.bad_signatures += 1
                self._answer(401)
                return
            key = self.headers[channels.IDEMPOTENCY_HEADER]
            state.received.setdefault(key, json.loads(body))  # a copy is dropped
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
