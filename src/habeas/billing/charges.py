"""Pass-through charges: a care or return cost the receiving state recorded for a
transferee, billed (capped) on the invoice of the month it was incurred in.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas import clock
from habeas.billing import arithmetic, invoicing
from habeas.billing.authority import acts_for
from habeas.billing.models import Charge, Invoice
from habeas.billing.projections import ChargeRecorded
from habeas.billing.reads import get_agreement
from habeas.custody.models import Prisoner
from habeas.errors import Conflict, ErrorCode, NotFound, field_error
from habeas.events import NewEvent, lock_log, record
from habeas.facilities.models import Facility
from habeas.transfers.models import Manifest, ManifestPerson

# The most one pass-through charge may be (1,000,000,000.00 in any currency): a care or
# return cost is never near it, and a figure past it is a typing slip (10^15 was accepted).
MAX_CHARGE_MINOR = 10**11


def record_charge(session: Session, agreement_ref: str, public_id: str, *, kind: str,
                  incurred_on: date, amount_minor: int, description: str, reference: str,
                  actor: str, party: str | None) -> Charge:
    """record_charge records a pass-through cost for a transferee, billed (capped) on the
    invoice of the month it was incurred in; a month already invoiced takes no more."""
    agreement = get_agreement(session, agreement_ref)
    acts_for(party, agreement, "receiving", "recording charges")
    if kind not in invoicing.PASS_THROUGH:
        raise field_error("kind", f"must be one of {', '.join(invoicing.PASS_THROUGH)}")
    if amount_minor <= 0:
        raise field_error("amount_minor", "a charge is more than 0; refunds are credit notes")
    if amount_minor > MAX_CHARGE_MINOR:
        raise field_error("amount_minor", f"{amount_minor} is more than one charge can be "
                          f"({MAX_CHARGE_MINOR} minor units); split it, or check the figure")
    if incurred_on > clock.today():
        # A pass-through cost is what the facility *spent*: it cannot be spent ahead.
        raise field_error("incurred_on", f"{incurred_on} is in the future")
    if not description.strip():
        raise field_error("description", "say what the charge is for")
    facility = session.get_one(Facility, agreement.facility_code)
    stay = session.execute(
        select(ManifestPerson.handed_over_at, Prisoner.left_at)
        .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
        .join(Prisoner, Prisoner.public_id == ManifestPerson.public_id)
        .where(Manifest.agreement_ref == agreement.ref, Manifest.direction == "outbound",
               ManifestPerson.public_id == public_id,
               ManifestPerson.handed_over_at.is_not(None))).first()
    if stay is None:
        raise NotFound(f"{public_id} was not handed over under {agreement.ref}")
    arrived = arithmetic.local_date(stay.handed_over_at, facility.timezone)
    left = arithmetic.local_date(stay.left_at, facility.timezone) if stay.left_at else None
    if incurred_on < arrived or (left is not None and incurred_on > left):
        raise field_error("incurred_on", f"{incurred_on} is outside {public_id}'s stay "
                          f"({arrived} to {left or 'now'})")
    lock_log(session)
    period = incurred_on.strftime("%Y-%m")
    invoiced = session.scalar(select(Invoice.number).where(
        Invoice.agreement_ref == agreement.ref, Invoice.period == period))
    if invoiced is not None:
        raise Conflict(f"incurred_on: {period} is already invoiced ({invoiced})",
                       code=ErrorCode.ALREADY_INVOICED, details={"field": "incurred_on"})
    event = record(session, NewEvent(
        type="charge.recorded", actor=actor, party=agreement.receiving_party,
        subject=public_id, facility=agreement.facility_code, payload=ChargeRecorded(
            agreement_ref=agreement.ref, public_id=public_id, kind=kind,
            incurred_on=incurred_on, amount_minor=amount_minor,
            description=description.strip(), reference=reference.strip())))
    return session.get_one(Charge, event.seq)
