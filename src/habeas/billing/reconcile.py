"""Reconciliation: recompute an issued invoice from a verified ledger export alone.

The sending state holds the ledger export (verified leaf by leaf against a
signed checkpoint, ledger/verify.py) and the invoice documents it received
(`GET /api/v1/billing/invoices/{seq}/document`: the invoice.issued payload and
its salt). No database is read. Each document must open the ledger's
commitment (SHA-256(salt ‖ JCS(payload)) equals the leaf's payload_sha256);
the stays are rebuilt from the envelopes alone — handover, escape, recapture,
handback, death, return order, erroneous-transfer events: their subject and
occurred_at — and priced by billing/invoicing.py, the same computation the
receiving state ran. Every difference is reported, line by line.

What the ledger cannot show is said, not assumed (ADR 0014): pass-through
amounts are committed by digest only, so their lines are checked for their
events and taken as stated; credit notes are not part of the documents, so a
credit for days a credit note already gave back may differ; stays are taken
to belong to the invoice's agreement when handed over at its facility.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from habeas.billing import arithmetic, invoicing
from habeas.billing.arithmetic import BillingError, Fee
from habeas.billing.schemas import InvoiceLine
from habeas.ledger.leaf import payload_digest
from habeas.ledger.note import Verifier
from habeas.ledger.verify import Verified, source_for, verify

ENDS = ("custody.released", "custody.death", "custody.escape")


class ReconcileError(Exception):
    """ReconcileError: the inputs cannot be reconciled at all (FIELD names which)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Envelope:
    seq: int
    type: str
    occurred_at: datetime
    subject: str | None
    facility: str | None
    payload_sha256: str


@dataclass(frozen=True)
class Document:
    """Document is an issued invoice as received: the event seq, payload and salt."""

    seq: int
    payload: dict[str, Any]
    salt: str

    @property
    def number(self) -> str:
        return str(self.payload["number"])

    @property
    def lines(self) -> list[InvoiceLine]:
        return [InvoiceLine.model_validate(line) for line in self.payload["lines"]]


@dataclass(frozen=True)
class Difference:
    public_id: str
    kind: str
    what: str
    invoiced: Any
    recomputed: Any

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind}: {self.what} invoiced {self.invoiced}, " \
               f"ledger says {self.recomputed}"


@dataclass
class Report:
    number: str
    period: str
    currency: str
    invoiced_total: int
    recomputed_total: int
    lines: int
    days: int
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "period": self.period, "currency": self.currency,
                "agrees": self.agrees, "invoiced_total_minor": self.invoiced_total,
                "recomputed_total_minor": self.recomputed_total, "lines": self.lines,
                "custody_days": self.days,
                "differences": [d.__dict__ for d in self.differences], "notes": self.notes}


def parse_envelopes(entries: Iterable[bytes]) -> list[Envelope]:
    """parse_envelopes reads the ledger's leaves (canonical JSON envelopes, DESIGN.md §6)."""
    out = []
    for raw in entries:
        env = json.loads(raw)
        out.append(Envelope(seq=int(env["seq"]), type=str(env["type"]),
                            occurred_at=datetime.fromisoformat(env["occurred_at"]),
                            subject=env.get("subject"), facility=env.get("facility"),
                            payload_sha256=str(env["payload_sha256"])))
    return out


def parse_document(data: dict[str, Any], where: str) -> Document:
    try:
        return Document(seq=int(data["seq"]), payload=dict(data["payload"]),
                        salt=str(data["salt"]))
    except (KeyError, TypeError, ValueError):
        raise ReconcileError(where, "is not an invoice document (seq, payload, salt)") from None


def opens(document: Document, envelope: Envelope) -> bool:
    """opens: DOCUMENT is the payload the ledger committed to at ENVELOPE (DESIGN.md §6)."""
    try:
        salt = bytes.fromhex(document.salt)
    except ValueError:
        return False
    return (envelope.type == "invoice.issued"
            and payload_digest(salt, document.payload) == envelope.payload_sha256)


def _terms(document: Document) -> tuple[invoicing.Terms, str]:
    payload = document.payload
    if not payload.get("fees") or not payload.get("timezone") or not payload.get(
            "facility_code"):
        raise ReconcileError("invoice", f"{document.number} does not state the fees, zone and "
                             "facility that priced it (issued before invoices did)")
    try:
        fees = [Fee(effective_from=date.fromisoformat(f["effective_from"]),
                    currency=f["currency"], annual_rate_minor=f["annual_rate_minor"],
                    per_diem_minor=f["per_diem_minor"], proration=f["proration"],
                    intake_fee_minor=f["intake_fee_minor"],
                    medical_cap_minor=f["medical_cap_minor"],
                    repatriation_cap_minor=f.get("repatriation_cap_minor"),
                    convention=f.get("convention", "arrival_not_departure"))
                for f in payload["fees"]]
    except (KeyError, TypeError, ValueError, BillingError) as exc:
        raise ReconcileError("invoice", f"{document.number}: bad fee schedule ({exc})"
                             ) from None
    return invoicing.Terms(fees, str(payload["timezone"])), str(payload["facility_code"])


def stays_from(envelopes: Sequence[Envelope], facility: str, names: dict[str, str],
               timezone: str) -> list[invoicing.Stay]:
    """stays_from rebuilds every stay at FACILITY from the envelopes, in handover order."""
    stays: dict[str, invoicing.Stay] = {}
    flags: dict[str, datetime] = {}
    for env in envelopes:
        person = env.subject
        if person is None:
            continue
        stay = stays.get(person)
        if env.type == "custody.handed_over" and env.facility == facility and stay is None:
            stays[person] = invoicing.Stay(person, names.get(person, person),
                                           [invoicing.Interval(env.occurred_at, env.seq)])
        elif stay is None:
            continue
        elif env.type in ENDS and stay.intervals[-1].end is None:
            stay.intervals[-1] = replace(stay.intervals[-1], end=env.occurred_at,
                                         end_seq=env.seq)
        elif env.type == "custody.recaptured" and stay.intervals[-1].end is not None:
            stay.intervals.append(invoicing.Interval(env.occurred_at, env.seq))
        elif env.type == "custody.return_ordered":
            flags.setdefault(person, env.occurred_at)
        elif env.type == "custody.transfer_erroneous":
            stay.erroneous = True
    for person, stay in stays.items():
        if stay.erroneous:
            stay.not_billable_from = stay.intervals[0].start.astimezone(
                invoicing.Terms([], timezone).zone).date()
        elif person in flags:
            stay.not_billable_from = invoicing.not_billable_after_flag(flags[person], timezone)
    return list(stays.values())


def _earlier(documents: Sequence[Document]) -> list[invoicing.Earlier]:
    lines = [(d.number, line) for d in documents for line in d.lines]
    taken: dict[tuple[str, int], int] = {}
    for _, line in lines:
        if line.kind == "credit" and line.credits_invoice and line.credits_line:
            key = (line.credits_invoice, line.credits_line)
            taken[key] = taken.get(key, 0) + line.amount_minor
    return [invoicing.Earlier(number, line,
                              max(0, line.amount_minor + taken.get((number, line.line), 0)))
            for number, line in lines]


def _key(line: InvoiceLine) -> tuple[str, str, str | None, int | None]:
    return (line.public_id, line.kind, line.credits_invoice, line.credits_line)


def _compare(invoiced: list[InvoiceLine], recomputed: list[InvoiceLine]) -> list[Difference]:
    mine = {_key(line): line for line in recomputed}
    theirs = {_key(line): line for line in invoiced}
    found = []
    for key, line in theirs.items():
        other = mine.get(key)
        if other is None:
            found.append(Difference(line.public_id, line.kind, "line", "present",
                                    "no such line: nothing billable"))
            continue
        for what in ("days", "ranges", "amount_minor"):
            a, b = getattr(line, what), getattr(other, what)
            if a != b:
                found.append(Difference(line.public_id, line.kind, what, a, b))
    for key, line in mine.items():
        if key not in theirs:
            found.append(Difference(line.public_id, line.kind, "line", "missing",
                                    f"{line.days} days, {line.amount_minor}"))
    return found


def _check_charges(lines: list[InvoiceLine], by_seq: dict[int, Envelope],
                   before: int) -> list[Difference]:
    found = []
    for line in lines:
        for seq in line.charges or []:
            env = by_seq.get(seq)
            if env is None or env.seq >= before or env.type != "charge.recorded" \
                    or env.subject != line.public_id:
                found.append(Difference(line.public_id, line.kind, f"charge {seq}",
                                        "billed", "no charge.recorded event for this person"))
    return found


def reconcile(entries: Iterable[bytes], documents: Sequence[Document], period: str,
              agreement_ref: str | None = None) -> Report:
    """reconcile recomputes the invoice for PERIOD from ENTRIES (a verified export's leaves)
    and DOCUMENTS (that invoice and, for credits, the agreement's earlier ones)."""
    envelopes = parse_envelopes(entries)
    by_seq = {env.seq: env for env in envelopes}
    for document in documents:
        env = by_seq.get(document.seq)
        if env is None or not opens(document, env):
            raise ReconcileError("invoice", f"{document.payload.get('number', '?')} (seq "
                                 f"{document.seq}) does not open the ledger's commitment: "
                                 "it is not the invoice that was issued")
    targets = [d for d in documents if d.payload.get("period") == period and (
        agreement_ref is None or d.payload.get("agreement_ref") == agreement_ref)]
    if len(targets) != 1:
        raise ReconcileError("period", f"{len(targets)} of the invoices given are for "
                             f"{period}; give exactly one")
    target = targets[0]
    terms, facility = _terms(target)
    try:
        start, end = arithmetic.month_bounds(period)
    except BillingError as exc:
        raise ReconcileError("period", exc.problem) from None
    invoiced = target.lines
    names = {line.public_id: line.name for d in documents for line in d.lines}
    known = [env for env in envelopes if env.seq < target.seq]
    stays = stays_from(known, facility, names, terms.timezone)
    earlier = [d for d in documents if d.seq < target.seq and d.payload.get(
        "agreement_ref") == target.payload.get("agreement_ref") and d.payload.get(
        "period", "") < period]
    try:
        recomputed = [InvoiceLine.model_validate(line) for line in invoicing.compute_lines(
            terms, start, end, stays, (), _earlier(earlier))]
    except BillingError as exc:
        raise ReconcileError("invoice", f"cannot price {period}: {exc.problem}") from None
    passed = [line for line in invoiced if line.kind in invoicing.PASS_THROUGH]
    report = Report(
        number=target.number, period=period, currency=str(target.payload["currency"]),
        invoiced_total=int(target.payload["total_minor"]),
        recomputed_total=sum(line.amount_minor for line in recomputed)
        + sum(line.amount_minor for line in passed),
        lines=len(invoiced), days=sum(line.days for line in recomputed
                                      if line.kind == "custody"))
    report.differences = _compare([x for x in invoiced if x not in passed], recomputed)
    report.differences += _check_charges(passed, by_seq, target.seq)
    if sum(line.amount_minor for line in invoiced) != report.invoiced_total:
        report.differences.append(Difference("(total)", "invoice", "total_minor",
                                             report.invoiced_total,
                                             sum(x.amount_minor for x in invoiced)))
    if passed:
        report.notes.append(f"{len(passed)} pass-through line(s): their events are on the "
                            "ledger; the amounts are committed by digest only and taken as "
                            "stated")
    if any(line.kind == "credit" for line in recomputed):
        report.notes.append("credits assume no credit note already gave the same days back")
    return report


def from_export(target: str, log: Verifier, documents: Sequence[Document], period: str,
                agreement_ref: str | None = None,
                progress: Callable[[int], None] | None = None) -> tuple[Report, Verified]:
    """from_export verifies the ledger at TARGET (a folder or a /ledger URL) from scratch
    against the log's key, then reconciles PERIOD on its entries alone."""
    entries: list[bytes] = []
    verified = verify(source_for(target), log, progress=progress, keep=entries)
    return reconcile(entries, documents, period, agreement_ref), verified
