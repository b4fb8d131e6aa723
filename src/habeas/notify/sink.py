"""The demo's mail sink: a local SMTP server (aiosmtpd) that keeps what it receives in a
Maildir under HABEAS_DATA_DIR/mail-sink, shown on /notifications/mail.

It is started only by `habeas serve --mail-sink` (as `make demo` does), never by default:
a sink "delivers" everything, and a notification it took was told to nobody.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

SINK_DIR = "mail-sink"


def sink_dir(data_dir: Path) -> Path:
    return data_dir / SINK_DIR


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class MailSink:
    """MailSink is a running local SMTP server writing every message to DIRECTORY."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        for sub in ("tmp", "new", "cur"):  # a Maildir (mailbox.Maildir makes them only anew)
            (directory / sub).mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.host = host
        self.port = port or _free_port(host)
        self._controller = Controller(Mailbox(directory), hostname=host, port=self.port)

    def start(self) -> MailSink:
        global _running
        self._controller.start()
        _running = self
        return self

    def stop(self) -> None:
        global _running
        self._controller.stop()
        if _running is self:
            _running = None


_running: MailSink | None = None


def running() -> MailSink | None:
    """running is the sink this process runs, if any (the mail page says so)."""
    return _running


@dataclass(frozen=True)
class SunkMail:
    """SunkMail is one message the sink received."""

    key: str
    received_at: datetime
    sender: str
    to: str
    subject: str
    language: str
    idempotency_key: str
    text: str


def received(directory: Path, limit: int = 200) -> list[SunkMail]:
    """received: the messages in the sink, newest first (none if it never ran)."""
    if not (directory / "cur").is_dir():
        return []
    box = mailbox.Maildir(directory, create=False)
    # A Maildir message's date is when it was delivered (the file's time).
    dated = sorted(((box.get_message(key).get_date(), key) for key in box.iterkeys()), reverse=True)
    mails = []
    for when, key in dated[:limit]:
        parsed = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        mails.append(SunkMail(
            key=key, received_at=datetime.fromtimestamp(when, UTC),
            sender=str(parsed.get("From", "")), to=str(parsed.get("To", "")),
            subject=str(parsed.get("Subject", "")),
            language=str(parsed.get("Content-Language", "")),
            idempotency_key=str(parsed.get("X-Habeas-Idempotency-Key", "")), text=str(text)))
    return mails
