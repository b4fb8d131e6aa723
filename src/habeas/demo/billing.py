"""Chapter 8 (April 2025 to March 2026): the agreement's first year billed — monthly invoices
and payments, an erroneous transfer credited, medical charges, two disputes, one overdue."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from habeas.billing import charges, disputes, issuing, payments

from .flights import DEMO_RETURNED, fly_home
from .story import Agenda, on_day

DEMO_BILLING_MONTHS = 12  # the agreement's first year: April 2025 to March 2026
DEMO_OVERDUE = "2026-02"  # the invoice the sending state has not paid
REF = "USA-SLV-2025"


def billing(session: Session, agenda: Agenda, erroneous: Any, patients: list[Any],
            until: date) -> Callable[[], list[str]]:
    """A year of invoices: issued on the 3rd of the next month, paid about three weeks
    later — except February 2026's, overdue. An erroneous transfer is declared in June
    2025 (credited on the next invoice); medical pass-through charges in August, one
    disputed and credited, one custody line disputed and rejected (hospital days are
    custody days, DESIGN.md §8). Returns what to say once the agenda has run."""
    issued: list[Any] = []
    month = date(2025, 4, 1)
    for _ in range(DEMO_BILLING_MONTHS):
        after = (month + timedelta(days=32)).replace(day=1)
        today = after + timedelta(days=2)
        if today > until:
            break
        period = month.strftime("%Y-%m")
        if period == "2025-06":
            _an_erroneous_transfer(session, agenda, erroneous)
        if period == "2025-08":
            _medical_charges(session, agenda, patients)
        invoices = _issue(session, agenda, period, today, issued)
        if period == "2025-08":
            _disputes(session, agenda, invoices, patients, today + timedelta(days=6))
        if period != DEMO_OVERDUE and today + timedelta(days=21) <= until:
            _pay(session, agenda, invoices, today + timedelta(days=21))
        month = after

    def summary() -> list[str]:
        if not issued:
            return []
        total = sum(i.total_minor for i in issued)
        return [f"billing: {len(issued)} monthly invoices ({issued[0].number} to "
                f"{issued[-1].number}), US${total / 100:,.2f} invoiced; one erroneous "
                f"transfer credited; one disputed line credited, one rejected; "
                f"{DEMO_OVERDUE} overdue"]

    return summary


def _an_erroneous_transfer(session: Session, agenda: Agenda, erroneous: Any) -> None:
    """The sending state declares a man protected by a 2019 order sent in error; he is
    flown back."""
    from habeas.custody import records

    declared = datetime(2025, 6, 18, 15, tzinfo=UTC)
    agenda.at(declared, functools.partial(
        records.declare_erroneous_transfer, session, erroneous.public_id,
        actor="user:us.officer", party="USA",
        reason="Protected by a 2019 withholding-of-removal order barring return to "
               "El Salvador; sent by administrative error", at=declared))
    fly_home(session, agenda, erroneous.public_id, DEMO_RETURNED, "returned")


def _medical_charges(session: Session, agenda: Agenda, patients: list[Any]) -> None:
    """Serious illness: the family and the consulate are told (Mandela Rules 68-69); the
    hospital's bills are passed through to the sending state."""
    from habeas.custody import records

    taken_ill = datetime(2025, 8, 11, 23, tzinfo=UTC)
    agenda.at(taken_ill + timedelta(minutes=30), functools.partial(
        records.record_medical_emergency, session, patients[0].public_id,
        at=taken_ill, nature="illness",
        treated_at="Hospital Nacional Rosales, San Salvador",
        details="acute appendicitis; emergency appendectomy", actor="user:sv.warden",
        party="SLV"))
    for person, amount, what in ((patients[0], 85_000, "emergency appendectomy"),
                                 (patients[1], 42_000, "tuberculosis treatment")):
        agenda.at(on_day(date(2025, 8, 12), 17), functools.partial(
            charges.record_charge, session, REF, person.public_id, kind="medical",
            incurred_on=date(2025, 8, 12), amount_minor=amount,
            description=f"{what}, Hospital Nacional Rosales",
            reference=f"HNR-2025-{amount}", actor="user:sv.warden", party="SLV"))


def _issue(session: Session, agenda: Agenda, period: str, today: date, issued: list[Any]
           ) -> dict[str, Any]:
    """The receiving state issues PERIOD's invoice on TODAY; returns where it will be once
    the agenda has run."""

    invoices: dict[str, Any] = {}

    def issue() -> None:
        invoices["issued"] = issuing.issue_invoice(session, REF, period,
                                                   actor="user:sv.warden", party="SLV",
                                                   today=today)
        issued.append(invoices["issued"])

    agenda.at(on_day(today), issue)
    return invoices


def _pay(session: Session, agenda: Agenda, invoices: dict[str, Any], paid_on: date) -> None:
    """The sending state pays the invoice's balance by wire on PAID_ON."""

    def pay() -> None:
        invoice = invoices["issued"]
        session.refresh(invoice)
        payments.record_payment(session, invoice.seq, invoice.balance_minor,
                               paid_on=paid_on, reference=f"Fedwire {invoice.number}",
                               actor="user:us.officer", party="USA")

    agenda.at(on_day(paid_on, 16), pay)


def _disputes(session: Session, agenda: Agenda, invoices: dict[str, Any],
              patients: list[Any], on: date) -> None:
    """The sending state disputes two lines on ON; four days later the receiving state
    credits the one already paid and rejects the other."""

    opened: dict[str, Any] = {}

    def open_both() -> None:
        invoice = invoices["issued"]
        medical = next(x for x in invoice.lines if x["kind"] == "medical"
                       and x["public_id"] == patients[0].public_id)
        custody = next(x for x in invoice.lines if x["kind"] == "custody"
                       and x["public_id"] == patients[1].public_id)
        opened["paid"] = disputes.open_dispute(
            session, invoice.number, medical["line"], actor="user:us.officer", party="USA",
            reason="Already paid directly by the ICE Health Service Corps (receipt "
                   "IHSC-2025-117)", today=on)
        opened["days"] = disputes.open_dispute(
            session, invoice.number, custody["line"], actor="user:us.officer", party="USA",
            reason="Ten days in Hospital Nacional Rosales are not days at CECOT", today=on)

    def decide_both() -> None:
        disputes.decide_dispute(session, opened["paid"].seq, accept=True,
                               actor="user:sv.warden", party="SLV",
                               reason="Confirmed: IHSC paid the hospital directly",
                               today=on + timedelta(days=4))
        disputes.decide_dispute(session, opened["days"].seq, accept=False,
                               actor="user:sv.warden", party="SLV",
                               today=on + timedelta(days=4),
                               reason="Days in hospital outside the facility are custody "
                                      "days under the agreement")

    agenda.at(on_day(on), open_both)
    agenda.at(on_day(on + timedelta(days=4)), decide_both)
