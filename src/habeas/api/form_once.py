"""A page's form posted once (ADR 0019): a one-time key rendered into the form, stored in
the idempotency table as an API client's Idempotency-Key is (habeas.api.idempotency).

The page renders a new key each time; posting the same rendering again (a double click, a
resent request) finds what the first posting recorded instead of recording it again. The
key row is written in the transaction that records the event: both are committed, or
neither. Keys share the API's scope (the user) and lifetime, under their own prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from habeas.api.idempotency import KEY_LIFETIME, key_problem, request_digest
from habeas.db import utcnow
from habeas.errors import Conflict, field_error
from habeas.i18n import N_
from habeas.idempotency import IdempotencyKey

# A form's one-time key, stored as an Idempotency-Key is under this prefix.
FORM_KEY_PREFIX = "form:"


@dataclass(frozen=True)
class FormOnce:
    """FormOnce is one posting of a form that carries a one-time key: the key as stored,
    and what "the same posting" is (its fields)."""

    principal: str
    key: str
    path: str
    digest: str

    @classmethod
    def of(cls, user_id: str, form_key: str, path: str, fields: dict[str, str]
           ) -> FormOnce | None:
        """of is USER_ID's posting of FORM_KEY to PATH, or None when the form sent no key
        (a script, not the page); a malformed key is refused, as the page would never
        send it."""
        if not form_key:
            return None
        key = FORM_KEY_PREFIX + form_key
        if key_problem([key]) is not None:
            raise field_error("form_key", N_("the form is out of date: reload the page"))
        body = "&".join(f"{k}={v}" for k, v in sorted(fields.items())).encode()
        return cls(f"user:{user_id}", key, path, request_digest("POST", path, b"", body))

    def done(self, db: Session) -> int | None:
        """done is the ledger event this key's posting already recorded, or None. The same
        key with other fields is not a double click but a reused page: refused, and the page
        shown again carries a new key."""
        row = db.get(IdempotencyKey, (self.principal, self.key))
        if row is None or row.created_at <= utcnow() - KEY_LIFETIME:
            return None
        if row.request_sha256 != self.digest:
            raise Conflict(N_("this form was already used to record a payment; check the "
                              "payments received, then fill in the form again"))
        return int(row.body)

    def remember(self, db: Session, seq: int, location: str) -> None:
        """remember stores that this posting recorded event SEQ, in the transaction that
        recorded it: both are committed, or neither."""
        now = utcnow()
        db.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at
                                                <= now - KEY_LIFETIME))
        db.add(IdempotencyKey(principal=self.principal, key=self.key, method="POST",
                              path=self.path[:500], request_sha256=self.digest, status=303,
                              body=str(seq), content_type=None, location=location,
                              created_at=now))
