"""Who is asking: the principal every face resolves and every use case is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from habeas.auth.models import Role, User


@dataclass(frozen=True)
class Principal:
    """Principal is who is asking: the user, role and party, and how they proved it."""

    user_id: str
    username: str
    display_name: str
    role: Role
    party_code: str | None
    via: str  # "session" or "token"
    csrf_token: str | None = None
    # For a session: when it was last seen (the idle timeout counts from here).
    seen_at: datetime | None = None

    @property
    def scope(self) -> str | None:
        """scope is the party whose people alone this principal may see: a sending user's
        own state (DESIGN.md §2); None for roles that see every party's."""
        return self.party_code if self.role is Role.SENDING else None

    @property
    def actor(self) -> str:
        """actor is how this principal is named in an event envelope."""
        return f"user:{self.username}"


def principal_for(user: User, via: str, csrf_token: str | None = None,
                  seen_at: datetime | None = None) -> Principal:
    return Principal(user.id, user.username, user.display_name, user.role, user.party_code,
                     via, csrf_token, seen_at)
