"""Who owns an act on an agreement's object (DESIGN.md §12.1), checked in the services.

Every write names the side of the agreement that owns it. The service (never the face)
checks the actor's party against it: a party of *another* agreement gets the same
404 as for an object that does not exist — it may not learn that it exists — and the
other side of the same agreement gets 403 `wrong_party`.
"""

from __future__ import annotations

from enum import StrEnum

from habeas.agreements.models import Agreement
from habeas.errors import ErrorCode, Forbidden, NotFound


class Side(StrEnum):
    """Side is one of the two states of an agreement."""

    SENDING = "sending"
    RECEIVING = "receiving"


def party_of(agreement: Agreement, side: Side) -> str:
    """party_of is the state on SIDE of AGREEMENT."""
    return agreement.sending_party if side is Side.SENDING else agreement.receiving_party


def is_party_to(agreement: Agreement, party: str | None) -> bool:
    """is_party_to: PARTY is one of AGREEMENT's two states."""
    return party is not None and party in (agreement.sending_party, agreement.receiving_party)


def require_side(agreement: Agreement, party: str | None, side: Side, *, act: str,
                 not_found: str) -> str:
    """require_side lets PARTY do ACT on an object of AGREEMENT only as SIDE; returns it.

    NOT_FOUND is the object's own not-found message, so a party of another agreement
    reads exactly what it would read for an object that does not exist.
    """
    if party is not None and not is_party_to(agreement, party):
        raise NotFound(not_found)
    owner = party_of(agreement, side)
    if party != owner:
        raise Forbidden(f"{act} belongs to the {side.value} state of {agreement.ref} "
                        f"({owner}), not to {party or 'a user acting for no state'}",
                        code=ErrorCode.WRONG_PARTY,
                        details={"agreement": agreement.ref, "owner": owner, "side": side.value})
    return owner


def require_party_to(agreement: Agreement, party: str | None, *, not_found: str) -> None:
    """require_party_to hides AGREEMENT's objects from the states of other agreements
    (None — monitors, the operator — passes; the permission table decides their roles)."""
    if party is not None and not is_party_to(agreement, party):
        raise NotFound(not_found)
