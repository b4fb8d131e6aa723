"""Sending one message: email over SMTP, or a webhook signed with HMAC-SHA256.

Webhook requests (ADR 0016) are `POST` with a JSON body and three headers:

    X-Habeas-Timestamp: <unix seconds when sent>
    X-Habeas-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
    Idempotency-Key: <the row's key, the same on every retry>

A receiver recomputes the signature over the raw body with its secret, refuses a
timestamp more than five minutes off (a replayed request), and drops a key it has
seen (delivery is at least once). Any 2xx is a delivery; anything else, a refused
connection or no answer within the timeout is a failure to retry. Redirects are not
followed, and the reply's body is never read into the record.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import smtplib
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from habeas import __version__
from habeas.ledger.leaf import canonical_json
from habeas.notify import tokens
from habeas.notify.models import Notification
from habeas.notify.templates import Message, revoke_url
from habeas.timing import same_secret

SIGNATURE_HEADER = "X-Habeas-Signature"
TIMESTAMP_HEADER = "X-Habeas-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_S = 300
ERROR_CHARS = 300


class DeliveryError(Exception):
    """DeliveryError: this attempt failed, for a short reason worth recording."""


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return text[:ERROR_CHARS]


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    timeout_s: float = 30.0
    starttls: bool = False
    username: str | None = None
    password: str | None = None


def email_message(smtp: Smtp, row: Notification, message: Message) -> EmailMessage:
    """email_message: ROW's message as an email. Message-ID is derived from the idempotency
    key, so a retry after a lost reply is the same message to the reader's mail program."""
    mail = EmailMessage()
    mail["From"] = smtp.sender
    mail["To"] = row.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    domain = smtp.sender.rpartition("@")[2].rstrip(">").strip() or "habeas.invalid"
    mail["Message-ID"] = f"<{row.idempotency_key.replace(':', '.')}@{domain}>"
    mail["X-Habeas-Idempotency-Key"] = row.idempotency_key
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    mail.set_content(message.text)
    mail["Content-Language"] = row.locale  # after set_content, which resets Content-*
    return mail


def send_email(smtp: Smtp, row: Notification, message: Message) -> None:
    """send_email hands the message to the SMTP server (a 250 reply is a delivery)."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.send_message(email_message(smtp, row, message))
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(_short(exc)) from None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """sign is the X-Habeas-Signature value: HMAC-SHA256 over "<timestamp>.<body>"."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float,
           tolerance_s: int = TOLERANCE_S) -> bool:
    """verify is what a receiver does: the signature matches and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_s:
        return False
    return same_secret(signature, sign(secret, sent, body))


def webhook_body(row: Notification, message: Message, base_url: str) -> bytes:
    """webhook_body: the row's message and its facts as canonical JSON (RFC 8785). For a
    subscriber the facts are the locator's fields and nothing else."""
    doc: dict[str, Any] = {
        "id": row.id, "idempotency_key": row.idempotency_key, "kind": row.kind,
        "reason": row.reason, "locale": row.locale, "subject": message.subject,
        "text": message.text, "facts": row.params}
    if row.subscription_id is not None:
        doc["revoke_url"] = revoke_url(base_url, row.subscription_id)
        if row.reason == "confirm":
            doc["confirm_code"] = tokens.confirm_code(row.subscription_id)
    return canonical_json(doc)


@dataclass(frozen=True)
class Webhooks:
    timeout_s: float = 10.0
    allow_private: bool = False


def _check_host(host: str, port: int, allow_private: bool) -> None:
    # Resolved just before connecting: a name that points inside our network is refused.
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise DeliveryError(_short(exc)) from None
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise DeliveryError(f"refused: {host} resolves to a non-public address")


def post_webhook(hooks: Webhooks, url: str, body: bytes, *, secret: str, key: str,
                 timestamp: int) -> None:
    """post_webhook POSTs BODY to URL, signed; a 2xx reply is a delivery."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    _check_host(host, port, hooks.allow_private)
    connection: http.client.HTTPConnection = (
        http.client.HTTPSConnection(host, port, timeout=hooks.timeout_s) if secure
        else http.client.HTTPConnection(host, port, timeout=hooks.timeout_s))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json", "User-Agent": f"habeas/{__version__}",
               TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body),
               IDEMPOTENCY_HEADER: key}
    try:
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    except TimeoutError:
        raise DeliveryError(f"no answer within {hooks.timeout_s:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(_short(exc)) from None
    finally:
        connection.close()
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")
