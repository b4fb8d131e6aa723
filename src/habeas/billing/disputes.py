"""Disputes: the sending state contests one invoice line with its reason; the receiving
state accepts (a credit note for what remains of the line) or rejects, with its own.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.billing.authority import acts_for, is_party
from habeas.billing.credit_notes import credit_note_event
from habeas.billing.lines import line_of, uncredited
from habeas.billing.models import CreditNote, Dispute, Invoice
from habeas.billing.projections import DisputeDecided, DisputeOpened
from habeas.billing.reads import get_dispute, invoice_by_number
from habeas.errors import Conflict, ErrorCode, NotFound, field_error
from habeas.events import NewEvent, lock_log, record, record_many


def open_dispute(session: Session, document: str, line: int, reason: str, *, actor: str,
                 party: str | None, today: date) -> Dispute:
    """open_dispute: the sending state contests one line of an invoice (DOCUMENT's number).

    A credit note's line is not disputed, nor a line already under (or after) dispute.
    """
    invoice = invoice_by_number(session, document)
    if invoice is None:
        note = session.scalar(select(CreditNote).where(CreditNote.number == document))
        if note is not None and is_party(session, note.invoice_seq, party):
            raise Conflict(f"document: {document} is a credit note; dispute the invoice "
                           "line it corrects", code=ErrorCode.NOT_DISPUTABLE,
                           details={"field": "document"})
        raise NotFound(f"invoice {document!r} not found")
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    acts_for(party, agreement, "sending", "disputing invoices",
             not_found=f"invoice {document!r} not found")
    if not reason.strip():
        raise field_error("reason", "a dispute gives its reason")
    line_of(invoice, line)
    lock_log(session)
    earlier = session.scalar(select(Dispute).where(
        Dispute.invoice_seq == invoice.seq, Dispute.line == line,
        Dispute.status.in_(("open", "accepted"))))
    if earlier is not None:
        raise Conflict(f"line: line {line} of {invoice.number} is already disputed "
                       f"({earlier.status})", code=ErrorCode.NOT_DISPUTABLE,
                       details={"field": "line"})
    event = record(session, NewEvent(
        type="dispute.opened", actor=actor, party=agreement.sending_party,
        payload=DisputeOpened(invoice_seq=invoice.seq, line=line, reason=reason,
                              opened_on=today)))
    return session.get_one(Dispute, event.seq)


def decide_dispute(session: Session, seq: int, *, accept: bool, reason: str, actor: str,
                   party: str | None, today: date) -> Dispute:
    """decide_dispute: the receiving state accepts (a credit note for what remains of the
    line) or rejects, with a reason."""
    return decide(session, seq, accept=accept, reason=reason, actor=actor, party=party,
                  today=today)[0]


def decide(session: Session, seq: int, *, accept: bool, reason: str, actor: str,
           party: str | None, today: date) -> tuple[Dispute, int]:
    """decide is decide_dispute with the seq of the last event it recorded: the decision's,
    or when accepted the credit note's after it (what a page shows as just recorded)."""
    dispute = get_dispute(session, seq)
    invoice = session.get_one(Invoice, dispute.invoice_seq)
    agreement = session.get_one(Agreement, invoice.agreement_ref)
    acts_for(party, agreement, "receiving", "deciding disputes",
             not_found=f"dispute {seq} not found")
    if not reason.strip():
        raise field_error("reason", "a decision gives its reason")
    lock_log(session)
    if dispute.status != "open":
        raise Conflict(f"dispute {seq} was {dispute.status} on {dispute.decided_on}",
                       code=ErrorCode.DISPUTE_DECIDED)
    batch = [NewEvent(type="dispute.decided", actor=actor, party=agreement.receiving_party,
                      payload=DisputeDecided(
                          dispute_seq=seq, decision="accepted" if accept else "rejected",
                          reason=reason, decided_on=today))]
    if accept:
        batch.append(credit_note_event(
            session, invoice, {dispute.line: uncredited(session, invoice, dispute.line)},
            f"dispute {seq} accepted: {reason}", actor=actor, today=today, dispute_seq=seq))
    recorded = record_many(session, batch)
    session.refresh(dispute)
    return dispute, recorded[-1].seq
