"""Nomination use cases: import (idempotent, line by line), screen, re-screen, read."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas import faults
from habeas.agreements.authority import Side, require_side
from habeas.agreements.models import Agreement
from habeas.errors import NotFound, ValidationFailed
from habeas.events import NewEvent, record_many
from habeas.holds import reads as holds
from habeas.holds.schemas import Hold
from habeas.i18n import N_
from habeas.nominations.models import NominationRecord
from habeas.nominations.projections import NominationReceived, NominationScreened
from habeas.nominations.schemas import Nomination
from habeas.screening.engine import Screening, screen
from habeas.screening.rules import Context
from habeas.validation import all_problems

PUBLIC_ID_ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZ"  # no vowels: ids never spell words


@dataclass
class Row:
    """Row is one nomination as read from a file or a request, before validation."""

    line: int
    data: Any
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class LineResult:
    line: int
    external_ref: str | None
    decision: str
    reasons: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    public_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "external_ref": self.external_ref, "decision": self.decision,
                "public_id": self.public_id, "reasons": self.reasons, "errors": self.errors}


@dataclass
class ImportReport:
    results: list[LineResult] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"rows": len(self.results), "eligible": 0, "ineligible": 0, "review": 0,
                  "invalid": 0, "unchanged": 0}
        for result in self.results:
            counts[result.decision] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "results": [r.as_dict() for r in self.results]}


def read_jsonl(stream: IO[str]) -> Iterator[Row]:
    """read_jsonl yields one Row per non-blank line; a line that is not JSON is an error row."""
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            yield Row(number, json.loads(text))
        except json.JSONDecodeError as exc:
            yield Row(number, None, [{"field": "", "message": f"not JSON: {exc.msg}"
                                                              f" at column {exc.colno}"}])


def random_chars(n: int) -> str:
    # One call to the CSPRNG per id, spelled in the 31-letter alphabet (11 × ~4.95 bits).
    value = secrets.randbits(55)
    chars = []
    for _ in range(n):
        value, digit = divmod(value, len(PUBLIC_ID_ALPHABET))
        chars.append(PUBLIC_ID_ALPHABET[digit])
    return "".join(chars)


def new_public_id(rng: Callable[[int], str] | None = None) -> str:
    """new_public_id is an opaque id for the ledger's `subject`: never a name (DESIGN.md §6)."""
    return "N" + (rng or random_chars)(11)


def data_digest(nomination: Nomination) -> str:
    """data_digest identifies a nomination's content, for idempotent re-imports.

    A private identity, not a published commitment: sorted compact JSON of the
    validated model (whose fields hold no floats) is stable and cheaper than JCS.
    """
    text = json.dumps(nomination.model_dump(mode="json"), sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def context_for(agreement: Agreement, as_of: date, all_holds: list[Hold]) -> Context:
    params = {rule: {k: v for k, v in s.items() if isinstance(v, int) and not isinstance(v, bool)}
              for rule, s in agreement.rules.items()}
    return Context(as_of=as_of, receiving_party=agreement.receiving_party, params=params,
                   holds=all_holds, sending_party=agreement.sending_party)


def screened_event(public_id: str, outcome: Screening, as_of: date, actor: str,
                    party: str) -> NewEvent:
    return NewEvent(type="nomination.screened", actor=actor, party=party, subject=public_id,
                    payload=NominationScreened(
                        public_id=public_id, as_of=as_of, decision=outcome.decision.value,
                        results=[r.as_dict() for r in outcome.results]))


# What the chooser of a nomination's agreement says (translated where shown).
NO_AGREEMENT = N_("no agreement names your state as its sending party")
SEVERAL_AGREEMENTS = N_("your state sends under more than one agreement: choose one")


def choose_agreement(session: Session, party: str | None, ref: str | None = None) -> Agreement:
    """choose_agreement: the one rule for which agreement a nomination is made under, for
    the API, the CLI and the web alike.

    REF if given — a nomination is the sending state's act (DESIGN.md §12.1), so another
    agreement's state reads "not found" and its receiving state is refused `wrong_party`.
    Otherwise the only agreement under which PARTY is the sending state (PARTY None, the
    operator at the CLI: the only agreement registered); none or several is a 422 naming
    `agreement`, never a guess.
    """
    if ref is not None:
        agreement = session.get(Agreement, ref)
        if agreement is None:
            raise NotFound(f"agreement {ref!r} not found", details={"field": "agreement"})
        if party is not None:
            require_side(agreement, party, Side.SENDING, act="nominating",
                         not_found=f"agreement {ref!r} not found")
        return agreement
    candidates = sending_agreements(session, party)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ValidationFailed(f"agreement: {NO_AGREEMENT}",
                               details={"field": "agreement", "problem": NO_AGREEMENT})
    refs = [a.ref for a in candidates]
    raise ValidationFailed(f"agreement: {SEVERAL_AGREEMENTS} ({', '.join(refs)})",
                           details={"field": "agreement", "problem": SEVERAL_AGREEMENTS,
                                    "choices": refs})


def sending_agreements(session: Session, party: str | None) -> list[Agreement]:
    """sending_agreements: the agreements PARTY nominates under (all, for no party)."""
    query = select(Agreement).order_by(Agreement.ref)
    if party is not None:
        query = query.where(Agreement.sending_party == party)
    return list(session.scalars(query))


def import_rows(session: Session, agreement: Agreement, rows: Iterable[Row], *,
                as_of: date, actor: str, id_source: Callable[[int], str] | None = None
                ) -> list[LineResult]:
    """import_rows validates, screens and records a chunk of rows in the caller's transaction.

    A malformed row is reported `invalid` with the field and the problem, and the
    others still import; the same record again is `unchanged`; a different record
    under a used external_ref is `invalid` with code `conflict` (amend it instead).
    """
    ctx = context_for(agreement, as_of, holds.all_holds(session))
    party = agreement.sending_party
    results: list[LineResult] = []
    pending: list[NewEvent] = []
    valid: list[tuple[Row, Nomination]] = []
    for row in rows:
        if row.errors:
            results.append(LineResult(row.line, _ref_of(row.data), "invalid", errors=row.errors))
            continue
        try:
            valid.append((row, Nomination.model_validate(row.data)))
        except ValidationError as exc:
            results.append(LineResult(row.line, _ref_of(row.data), "invalid", errors=[
                {"field": p["field"], "message": p["problem"]} for p in all_problems(exc)]))
    seen = _known_digests(session, party, [n.external_ref for _, n in valid])
    for row, nomination in valid:
        digest = data_digest(nomination)
        ref = nomination.external_ref
        known = seen.get(ref)
        if known is not None:
            if known == digest:
                results.append(LineResult(row.line, ref, "unchanged"))
            else:
                results.append(LineResult(row.line, ref, "invalid", errors=[{
                    "field": "external_ref", "code": "conflict",
                    "message": f"{ref} was nominated with different data; amend it instead"}]))
            continue
        seen[ref] = digest
        public_id = new_public_id(id_source)
        outcome = screen(nomination, agreement.rules, ctx)
        pending.append(NewEvent(type="nomination.received", actor=actor, party=party,
                                subject=public_id, payload=NominationReceived(
                                    public_id=public_id, agreement_ref=agreement.ref,
                                    sending_party=party, nomination=nomination,
                                    data_sha256=digest)))
        pending.append(screened_event(public_id, outcome, as_of, actor, party))
        results.append(LineResult(row.line, ref, outcome.decision.value,
                                  reasons=[r.as_dict() for r in outcome.reasons],
                                  public_id=public_id))
    record_many(session, pending)
    faults.crash_point("nominations.import")
    return sorted(results, key=lambda r: r.line)


def _known_digests(session: Session, party: str, refs: list[str]) -> dict[str, str]:
    """_known_digests: the content digest of every already nominated ref, in a few queries."""
    known: dict[str, str] = {}
    for start in range(0, len(refs), 500):
        rows = session.execute(
            select(NominationRecord.external_ref, NominationRecord.data_sha256).where(
                NominationRecord.sending_party == party,
                NominationRecord.external_ref.in_(refs[start:start + 500])))
        known.update((ref, digest) for ref, digest in rows)
    return known


def _ref_of(data: Any) -> str | None:
    ref = data.get("external_ref") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) else None


def rescreen(session: Session, *, actor: str, as_of: date,
             only: Callable[[Nomination, str], bool]) -> int:
    """rescreen screens again the nominations ONLY selects (by the nomination and the state
    that made it); an event per changed decision."""
    all_holds = holds.all_holds(session)
    events: list[NewEvent] = []
    contexts: dict[str, tuple[Agreement, Context]] = {}
    for record in session.scalars(select(NominationRecord).order_by(NominationRecord.received_seq)):
        nomination = Nomination.model_validate(record.data)
        if not only(nomination, record.sending_party):
            continue
        if record.agreement_ref not in contexts:
            agreement = session.get_one(Agreement, record.agreement_ref)
            contexts[record.agreement_ref] = (agreement, context_for(agreement, as_of, all_holds))
        agreement, ctx = contexts[record.agreement_ref]
        outcome = screen(nomination, agreement.rules, ctx)
        results = [r.as_dict() for r in outcome.results]
        if outcome.decision.value != record.decision or results != record.results:
            events.append(screened_event(record.public_id, outcome, as_of, actor,
                                          record.sending_party))
    record_many(session, events)
    return len(events)


@dataclass(frozen=True)
class Filters:
    """Filters for the nomination list; PARTY limits a sending state to its own people."""

    party: str | None = None
    decision: str | None = None
    status: str | None = None
    failed_rule: str | None = None
    nationality: str | None = None


def _filtered(query: Any, f: Filters) -> Any:
    if f.party is not None:
        query = query.where(NominationRecord.sending_party == f.party)
    if f.decision is not None:
        query = query.where(NominationRecord.decision == f.decision)
    if f.status is not None:
        query = query.where(NominationRecord.status == f.status)
    if f.failed_rule is not None:
        query = query.where(NominationRecord.failed_rules.contains(f",{f.failed_rule},",
                                                                   autoescape=True))
    if f.nationality is not None:
        query = query.where(NominationRecord.nationality_codes.contains(f",{f.nationality},",
                                                                   autoescape=True))
    return query


def list_nominations(session: Session, filters: Filters = Filters(), *, limit: int = 100,
                     offset: int = 0) -> list[NominationRecord]:
    """list_nominations, newest first."""
    query = select(NominationRecord).order_by(NominationRecord.received_seq.desc())
    return list(session.scalars(_filtered(query, filters).limit(limit).offset(offset)))


def count_nominations(session: Session, filters: Filters = Filters()) -> int:
    """count_nominations under the same filters."""
    query = select(func.count()).select_from(NominationRecord)
    return session.scalar(_filtered(query, filters)) or 0
