"""search: one query over people, nominations, court orders and invoices, bounded per kind.

Who finds what: a kind the caller's role may not read is not searched at all, and a
sending user finds only its own state's people, nominations and invoices (DESIGN.md §2).

Names are matched accent- and case-insensitively. The query is reduced by the locator's
normaliser (habeas.locator.normalise.name_key) to lower-case, unaccented words; the
stored names have no normalised column, so the SQL side folds them with lower() and a
fixed table of the accented letters of Spanish, Portuguese, French and Catalan names
(`folded`: PostgreSQL's translate(), no unaccent extension needed; on SQLite, which has
neither translate() nor a Unicode lower(), the same fold as a function registered on the
connection). Every word must occur in "given names family name".
A letter outside that chain (e.g. "ø") only matches as typed. Identifiers (public id,
the sending state's reference, hold and invoice numbers) match by prefix or substring,
upper-cased. Each kind is one bounded query: LIMIT PER_KIND + 1, the extra row only
telling the page that there is more (a full scan of 40,000 rows at most).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from habeas.agreements.models import Agreement
from habeas.auth.models import Role
from habeas.auth.permissions import Action, allowed
from habeas.billing.models import Invoice
from habeas.custody.models import Prisoner
from habeas.holds.models import HoldRecord
from habeas.locator.normalise import identifier_key, name_key
from habeas.nominations.models import NominationRecord

PER_KIND = 20
MIN_LENGTH = 2
MAX_WORDS = 6
# Accented letters folded in SQL to the letter name_key gives them, after lower().
ACCENTED = "áàâäãåéèêëíìîïóòôöõúùûüñçýÿ"
PLAIN = "".join(name_key(c) for c in ACCENTED)
_FOLD_TABLE = str.maketrans(ACCENTED, PLAIN)


def fold_text(text: str | None) -> str | None:
    """fold_text is what `folded` computes in SQL: TEXT lower-cased, ACCENTED made PLAIN."""
    return None if text is None else text.lower().translate(_FOLD_TABLE)


class folded(FunctionElement[str]):
    """folded(COLUMN) is COLUMN lower-cased with ACCENTED made PLAIN, in SQL: PostgreSQL's
    translate(lower(…)); on SQLite (whose lower() folds ASCII only, and which has no
    translate()) the function fold_text, registered on the connection by `search`."""

    type = String()
    name = "habeas_fold"
    inherit_cache = True


@compiles(folded)
def _folded(element: folded, compiler: Any, **kw: Any) -> str:
    return f"habeas_fold({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element: folded, compiler: Any, **kw: Any) -> str:
    return (f"translate(lower({compiler.process(element.clauses, **kw)}), "
            f"{compiler.process(literal(ACCENTED), **kw)}, "
            f"{compiler.process(literal(PLAIN), **kw)})")


def _register_fold(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.create_function("habeas_fold", 1, fold_text, deterministic=True)


def _words_in(text: ColumnElement[str], words: list[str]) -> ColumnElement[bool]:
    return and_(*[text.contains(w, autoescape=True) for w in words])


@dataclass(frozen=True)
class Hit:
    kind: str
    href: str
    title: str
    detail: str


@dataclass
class Results:
    query: str
    kinds: dict[str, list[Hit]] = field(default_factory=dict)
    more: set[str] = field(default_factory=set)  # kinds with more than PER_KIND hits
    searched: list[str] = field(default_factory=list)
    problem: str | None = None

    @property
    def total(self) -> int:
        return sum(len(h) for h in self.kinds.values())


def kinds_for(role: Role) -> list[str]:
    """kinds_for: the kinds ROLE may search, in the order the page shows them."""
    found = []
    # Counsel finds people too, only its clients of record (DESIGN.md §12.1).
    if allowed(role, Action.READ_CUSTODY) or role is Role.COUNSEL:
        found.append("people")
    if allowed(role, Action.READ_NOMINATIONS):
        found.append("nominations")
    if allowed(role, Action.READ_HOLDS):
        found.append("holds")
    if allowed(role, Action.READ_BILLING):
        found.append("invoices")
    return found


def _people(session: Session, words: list[str], ident: str, scope: str | None,
            limit: int, clients: Collection[str] | None = None) -> list[Hit]:
    full = folded(Prisoner.given_names + " " + Prisoner.family_name)
    match = [_words_in(full, words)] if words else []
    if ident:
        match.append(Prisoner.public_id.startswith(ident, autoescape=True))
    if not match or (clients is not None and not clients):
        return []
    query = select(Prisoner).where(or_(*match))
    if clients is not None:
        query = query.where(Prisoner.public_id.in_(sorted(clients)))
    if scope is not None:
        query = query.where(Prisoner.legal_custodian == scope)
    rows = session.scalars(query.order_by(Prisoner.family_name, Prisoner.given_names,
                                          Prisoner.public_id).limit(limit))
    return [Hit("people", f"/people/{p.public_id}", f"{p.given_names} {p.family_name}",
                f"{p.public_id} · {p.kind} · {p.status.replace('_', ' ')} · {p.facility_code}")
            for p in rows]


def _nominations(session: Session, words: list[str], ident: str, raw: str,
                 scope: str | None, limit: int) -> list[Hit]:
    full = folded(NominationRecord.given_names + " " + NominationRecord.family_name)
    match = [_words_in(full, words)] if words else []
    if ident:
        match.append(NominationRecord.public_id.startswith(ident, autoescape=True))
    match.append(func.upper(NominationRecord.external_ref).startswith(raw.upper(),
                                                                       autoescape=True))
    if not match:
        return []
    query = select(NominationRecord).where(or_(*match))
    if scope is not None:
        query = query.where(NominationRecord.sending_party == scope)
    rows = session.scalars(query.order_by(NominationRecord.family_name,
                                          NominationRecord.given_names,
                                          NominationRecord.public_id).limit(limit))
    return [Hit("nominations", f"/nominations/{n.public_id}",
                f"{n.given_names} {n.family_name}",
                f"{n.public_id} · {n.sending_party} {n.external_ref} · "
                f"{n.decision or 'unscreened'} · {n.status.replace('_', ' ')}")
            for n in rows]


def _holds(session: Session, words: list[str], raw: str, limit: int) -> list[Hit]:
    match = [func.upper(HoldRecord.hold_ref).contains(raw.upper(), autoescape=True)]
    if words:
        match.append(_words_in(folded(HoldRecord.court), words))
    rows = session.scalars(select(HoldRecord).where(or_(*match))
                           .order_by(HoldRecord.issued.desc(), HoldRecord.hold_ref)
                           .limit(limit))
    return [Hit("holds", "/holds", h.hold_ref,
                f"{h.court} · {h.kind} · issued {h.issued.isoformat()}"
                + (f" · lifted {h.lifted_on.isoformat()}" if h.lifted_on else ""))
            for h in rows]


def _invoices(session: Session, raw: str, scope: str | None, limit: int) -> list[Hit]:
    match = [func.upper(Invoice.number).contains(raw.upper(), autoescape=True),
             Invoice.period.startswith(raw, autoescape=True)]
    if raw.isdigit() and len(raw) < 19:
        match.append(Invoice.seq == int(raw))
    query = select(Invoice).where(or_(*match))
    if scope is not None:
        query = query.join(Agreement, Agreement.ref == Invoice.agreement_ref).where(
            Agreement.sending_party == scope)
    rows = session.scalars(query.order_by(Invoice.seq.desc()).limit(limit))
    return [Hit("invoices", f"/billing/invoices/{i.seq}", i.number,
                f"{i.agreement_ref} · {i.period} · {i.currency} {i.total_minor / 100:,.2f}")
            for i in rows]


def search(session: Session, query: str, *, role: Role, scope: str | None,
           per_kind: int = PER_KIND, clients: Collection[str] | None = None) -> Results:
    """search QUERY in every kind ROLE may read, SCOPE's own only; at most PER_KIND each.

    CLIENTS, for counsel, are the people it is counsel of record for: the only people it
    finds (habeas.counsel.service.clients_of); counsel given no CLIENTS finds nobody.
    """
    if role is Role.COUNSEL and clients is None:
        clients = ()
    raw = " ".join(query.split())[:100]
    results = Results(raw, searched=kinds_for(role))
    if len(raw) < MIN_LENGTH:
        results.problem = "too short" if raw else None
        return results
    words = [w for w in name_key(raw).split() if w][:MAX_WORDS]
    ident = identifier_key(raw) if len(raw.split()) == 1 else ""
    limit = per_kind + 1
    _register_fold(session)
    found: dict[str, list[Hit]] = {}
    for kind in results.searched:
        if kind == "people":
            found[kind] = _people(session, words, ident, scope, limit, clients)
        elif kind == "nominations":
            found[kind] = _nominations(session, words, ident, raw, scope, limit)
        elif kind == "holds":
            found[kind] = _holds(session, words, raw, limit)
        else:
            found[kind] = _invoices(session, raw, scope, limit)
    for kind, hits in found.items():
        if len(hits) > per_kind:
            results.more.add(kind)
        results.kinds[kind] = hits[:per_kind]
    return results
