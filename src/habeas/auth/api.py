"""/api/v1/me, /users, /tokens, /auth/attempts — who you are, user administration, your API
tokens, the login-attempt log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict

from habeas.api.deps import ReadDB, Writer, current_principal, require
from habeas.api.errors import documented
from habeas.auth import audit, service, throttle, tokens
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.auth.schemas import IssuedToken, TokenIn, TokenOut, UserIn, UserOut

router = APIRouter(tags=["auth"])
Me = Annotated[Principal, Depends(current_principal)]
UserReader = Annotated[Principal, Depends(require(Action.READ_USERS))]
UserManager = Annotated[Principal, Depends(require(Action.MANAGE_USERS))]
TokenOwner = Annotated[Principal, Depends(require(Action.MANAGE_OWN_TOKENS))]


@router.get("/me", responses=documented(401))
def me(db: ReadDB, principal: Me) -> UserOut:
    """The user you are authenticated as."""
    return UserOut.model_validate(service.get_user(db, principal.user_id))


@router.get("/users", responses=documented(401, 403))
def list_users(db: ReadDB, _: UserReader) -> list[UserOut]:
    """Every user (admin only)."""
    return [UserOut.model_validate(u) for u in service.list_users(db)]


@router.post("/users", status_code=201, responses=documented(401, 403, 409, 422))
def add_user(body: UserIn, write: Writer, principal: UserManager) -> UserOut:
    """Add a user with one role; `sending` and `receiving` users need a party."""
    with write() as db:
        user = service.add_user(db, username=body.username, display_name=body.display_name,
                                role=body.role, party_code=body.party, password=body.password,
                                actor=principal.actor)
        return UserOut.model_validate(user)


@router.get("/users/{user_id}", responses=documented(401, 403, 404))
def get_user(user_id: str, write: Writer, principal: UserReader) -> UserOut:
    """One user's account record; the read is logged."""
    with write() as db:
        user = service.get_user(db, user_id)
        audit.record_read(db, principal, kind="user", record_id=user.id, channel="api",
                            purpose="user administration")
        return UserOut.model_validate(user)


@router.post("/users/{user_id}/unlock", status_code=204, responses=documented(401, 403, 404))
def unlock_user(user_id: str, write: Writer, principal: UserManager) -> Response:
    """Lift a user's login lockout (`user.unlocked`); earlier failed logins stop counting."""
    with write() as db:
        throttle.unlock_user(db, service.get_user(db, user_id), actor=principal.actor)
    return Response(status_code=204)


class LoginAttemptOut(BaseModel):
    """One row of the login-attempt log (ADR 0018); the client is a keyed hash."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    username: str
    client_key: str
    succeeded: bool
    outcome: str


@router.get("/auth/attempts", responses=documented(401, 403))
def login_attempts(
    db: ReadDB, _: UserReader,
    failed_only: Annotated[bool, Query(description="only refused attempts")] = True,
    username: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[LoginAttemptOut]:
    """Recent login attempts, newest first (admin only): failed ones unless asked."""
    return [LoginAttemptOut.model_validate(a) for a in throttle.recent_attempts(
        db, failed_only=failed_only, username=username, limit=limit)]


@router.get("/tokens", responses=documented(401, 403))
def list_tokens(db: ReadDB, principal: TokenOwner) -> list[TokenOut]:
    """Your API tokens (never their secrets)."""
    return [TokenOut.model_validate(t) for t in tokens.list_tokens(db, principal.user_id)]


@router.post("/tokens", status_code=201, responses=documented(401, 403, 422))
def issue_token(body: TokenIn, write: Writer, principal: TokenOwner) -> IssuedToken:
    """Issue yourself an API token; the secret is in this response only."""
    with write() as db:
        user = service.get_user(db, principal.user_id)
        token, secret = tokens.issue_token(db, user, name=body.name, actor=principal.actor,
                                            expires_at=body.expires_at)
        return IssuedToken(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", status_code=204, responses=documented(401, 403, 404))
def revoke_token(token_id: str, write: Writer, principal: TokenOwner) -> Response:
    """Revoke one of your tokens; it stops working at once."""
    with write() as db:
        tokens.revoke_token(db, principal, token_id)
    return Response(status_code=204)
