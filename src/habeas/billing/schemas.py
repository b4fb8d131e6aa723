"""The invoice line, as issued on the ledger and recomputed by reconciliation (DESIGN.md §8).

Pydantic only: shared by the pure invoice computation (billing/invoicing.py),
the projections and the API, so it imports no database or web code.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

LineKind = Literal["custody", "intake", "medical", "repatriation", "credit"]
Range = tuple[date, date]  # first and last billed local dates, both included


class InvoiceLine(BaseModel):
    """InvoiceLine is one line of an invoice.

    - custody: a person's custody days in the month (RANGES are the billed days);
    - intake: the intake fee of a person admitted in the month;
    - medical, repatriation: the person's pass-through charges (event seqs in
      CHARGES), capped per the fee schedule;
    - credit: days (RANGES) or an intake fee billed on an earlier invoice that
      turned out not billable (a return_required flag, an erroneous transfer);
      AMOUNT_MINOR is negative and CREDITS_INVOICE/CREDITS_LINE name the line.

    HANDOVER_SEQ and LEFT_SEQ are the ledger seqs of the events that bound the stay.
    """

    line: int
    kind: LineKind
    public_id: str
    name: str
    days: int
    first_day: date | None
    last_day: date | None
    rate: str
    amount_minor: int
    handover_seq: int
    left_seq: int | None
    ranges: list[Range] | None = None
    charges: list[int] | None = None
    credits_invoice: str | None = None
    credits_line: int | None = None
