"""Which state may do what to a bill (DESIGN.md §12.1): the receiving state issues,
credits, decides disputes and records charges; the sending state pays and disputes. A state
that is no party to the agreement learns nothing of it, not even that the object exists.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from habeas.agreements.authority import Side, require_side
from habeas.agreements.models import Agreement
from habeas.billing.models import Invoice


def acts_for(party: str | None, agreement: Agreement, side: Literal["sending", "receiving"],
             what: str, *, not_found: str | None = None) -> None:
    """acts_for refuses PARTY unless it is AGREEMENT's SIDE, doing WHAT."""
    # None: a caller without a party (the CLI operator); otherwise the state must own the
    # act (DESIGN.md §12.1). A state that is no party to the agreement learns nothing of
    # it, not even that the object exists: NOT_FOUND, the object's own 404 text.
    if party is None:
        return
    require_side(agreement, party, Side(side), act=what,
                 not_found=not_found or f"agreement {agreement.ref!r} not found")


def is_party(session: Session, invoice_seq: int, party: str | None) -> bool:
    """is_party: PARTY (None: no state) may know of the invoice INVOICE_SEQ."""
    agreement = session.get_one(Agreement, session.get_one(Invoice, invoice_seq).agreement_ref)
    return party is None or party in (agreement.sending_party, agreement.receiving_party)
