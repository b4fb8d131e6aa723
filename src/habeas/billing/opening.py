"""Opening an issued invoice to read it: the document as issued, the invoice's figures and
its disputes, for a reader who may see it (a sending state only its own agreements'). An
invoice names people and their days in custody, so every opening is recorded (Mandela
Rule 9), in the reader's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from habeas.auth import audit
from habeas.auth.principal import Principal
from habeas.billing.document import InvoiceDocument, issued_document
from habeas.billing.models import Dispute, Invoice
from habeas.billing.reads import disputes_of, get_invoice


@dataclass(frozen=True)
class OpenedInvoice:
    """OpenedInvoice is an issued invoice as its reader sees it."""

    doc: InvoiceDocument
    invoice: Invoice
    disputes: list[Dispute]


def open_invoice(session: Session, seq: int, reader: Principal, *, channel: str,
                 purpose: str) -> OpenedInvoice:
    """open_invoice is invoice SEQ for READER (not found if READER may not see it), the
    read recorded with its CHANNEL and PURPOSE."""
    doc = issued_document(session, seq, scope=reader.scope)
    opened = OpenedInvoice(doc, get_invoice(session, seq), disputes_of(session, seq))
    audit.record_read(session, reader, kind="invoice", record_id=str(seq), channel=channel,
                     purpose=purpose)
    return opened
