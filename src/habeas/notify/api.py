"""/api/v1 — public subscriptions (no login) and the staff view of the outbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import ErrorBody, documented, error_response
from habeas.api.params import Offset
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.config import get_settings
from habeas.db import utcnow
from habeas.locator.api import client_of
from habeas.notify import service, tokens
from habeas.notify.models import Subscription
from habeas.notify.schemas import (
    CodeIn,
    NotificationOut,
    NotificationsOut,
    RevokeIn,
    SubscribeIn,
    SubscribeOut,
    SubscriptionOut,
)

public = APIRouter(prefix="/subscriptions", tags=["subscriptions"])
router = APIRouter(prefix="/notifications", tags=["notifications"])
Reader = Annotated[Principal, Depends(require(Action.READ_NOTIFICATIONS))]
Retrier = Annotated[Principal, Depends(require(Action.RETRY_NOTIFICATIONS))]

SENT = "a confirmation code was sent to the address; nothing more is sent until it is used"


def subscribe_with(write: Writer, body: SubscribeIn, client: str) -> tuple[Subscription,
                                                                           str | None]:
    """subscribe_with runs a subscription request in one unit of work (API and page)."""
    settings = get_settings()
    with write() as db:
        found = service.subscribe(
            db, token=body.token, channel=body.channel, address=body.address,
            locale=body.locale, client=client, now=utcnow(),
            limit=settings.subscribe_rate_limit, window_s=settings.subscribe_rate_window_s,
            allow_private=settings.webhook_allow_private)
    secret = tokens.webhook_secret(found.id, found.address) if found.channel == "webhook" \
        else None
    return found, secret


@public.post("", status_code=202, response_model=SubscribeOut, responses={
    **documented(404, 422),
    429: {"model": ErrorBody, "description": "too many requests from this address; the "
          "Retry-After header says how many seconds to wait"}})
def subscribe(body: SubscribeIn, request: Request, write: Writer) -> Any:
    """Ask to be told when a person found by the locator changes status (transfer, release,
    escape, return to custody, death), by email or webhook. Public; rate-limited per
    address. Nothing but a confirmation code is sent until that code is given back; the
    updates say only what the locator shows."""
    try:
        found, secret = subscribe_with(write, body, client_of(request))
    except service.RateLimited as exc:
        return error_response(429, exc.code, exc.message, exc.details,
                              headers={"Retry-After": str(exc.retry_after)})
    return SubscribeOut(subscription_id=found.id, status=found.status,
                        revoke_token=tokens.revoke_token(found.id), webhook_secret=secret,
                        message=SENT)


@public.post("/confirm", responses=documented(404, 409, 422))
def confirm(body: CodeIn, write: Writer) -> SubscriptionOut:
    """Start a subscription with the code sent to its address (public; idempotent)."""
    with write() as db:
        found = service.confirm(db, body.code, now=utcnow())
        return SubscriptionOut(subscription_id=found.id, status=found.status)


@public.post("/revoke", responses=documented(404, 422))
def revoke(body: RevokeIn, write: Writer) -> SubscriptionOut:
    """End a subscription with its revocation token (public; idempotent)."""
    with write() as db:
        found = service.revoke(db, body.token, now=utcnow())
        return SubscriptionOut(subscription_id=found.id, status=found.status)


@router.get("", responses=documented(401, 403, 422))
def list_notifications(
    db: ReadDB, _: Reader,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead|cancelled)$")] = None,
    kind: Annotated[str | None, Query(pattern="^(mandatory|subscription)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> NotificationsOut:
    """The outbox, newest first: counts by status, and rows (status=dead: the dead letters).
    Never a message's text; a subscriber's address is masked."""
    return NotificationsOut(
        counts=service.counts(db),
        items=[service.shown_to_staff(row) for row in service.outbox(
            db, status=status, kind=kind, limit=limit, offset=offset)])


@router.post("/{notification_id}/retry", responses=documented(401, 403, 404, 409))
def retry(notification_id: str, write: Writer, principal: Retrier) -> NotificationOut:
    """Put a dead letter back in the queue for a new round of attempts."""
    with write() as db:
        row = service.retry(db, notification_id, actor=principal.actor, now=utcnow())
        return service.shown_to_staff(row)
