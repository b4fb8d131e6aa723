"""The public locator's use cases: read a query, search the index, limit and log searches.

Services take the database first and never commit (STYLE.md); the caller owns the
transaction (habeas.locator.api.run_search for the API and the page).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from habeas import events
from habeas.codes import check_country, country_name
from habeas.db import Base
from habeas.errors import DomainError, ErrorCode, ValidationFailed
from habeas.facilities.models import Facility
from habeas.i18n import N_
from habeas.locator import reactions
from habeas.locator.models import LocatorDocument, LocatorEntry, LocatorSearch, shown_name
from habeas.locator.normalise import identifier_key, letters, name_key
from habeas.locator.schemas import (
    STATUS_LABELS,
    CustodianOut,
    FacilityOut,
    LocatedPerson,
    Query,
)
from habeas.notify.tokens import subscribe_token

# The searches run on a Connection or a Session alike: the API runs them on plain
# connections, a session's ORM bookkeeping being a fifth of a search's cost (ADR 0015).
Db = Connection | Session

ADULT_AGE = 18  # CRC art. 1; never a minor (Mandela Rule 11(d); DESIGN.md §9)
SHOWN_AFTER_RELEASE_DAYS = 60  # DESIGN.md §9: never more than 60 days after release
# Close spelling (only with the date of birth): rapidfuzz's token_sort_ratio between the
# name keys, 0–100. 85 lets one or two letters in a full name differ, or the words come in
# another order, but not a different surname (ADR 0015).
FUZZY_THRESHOLD = 85.0
MAX_RESULTS = 20
REBUILD_BATCH = 1_000
MAX_NAME = 300
MAX_IDENTIFIER = 64
MIN_NAME_LETTERS = 2
MIN_IDENTIFIER_CHARACTERS = 3
SHOWN = tuple(STATUS_LABELS)  # escaped people are in the index but never shown
LEFT = ("released", "returned")

# The problems a query can have: fixed sentences, so the page can show them translated.
REQUIRED = N_("is required")
TOO_LONG = N_("is too long")
NOT_A_COUNTRY = N_("is not an ISO 3166-1 alpha-3 country code (for example SLV)")
TOO_SHORT_NAME = N_("needs at least two letters")
TOO_SHORT_IDENTIFIER = N_("needs at least three letters or digits")
NOT_A_DATE = N_("is not a date (YYYY-MM-DD)")
FUTURE_DATE = N_("is in the future")
BOTH_MODES = N_("search by identifier or by name, not both")
NO_MODE = N_("give an identifier, or a family name and given names")


class RateLimited(DomainError):
    """RateLimited: this address has searched as often as the window allows."""

    status = 429
    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many searches from this address; try again in {retry_after} s",
                         details={"retry_after": retry_after})
        self.retry_after = retry_after


def _bad(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {problem}", details={"field": field, "problem": problem})


def _text(field: str, value: str | None, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise _bad(field, TOO_LONG)
    return text


def _name(field: str, value: str | None) -> str:
    text = _text(field, value, MAX_NAME)
    if not text:
        raise _bad(field, REQUIRED)
    key = name_key(text)
    if letters(key) < MIN_NAME_LETTERS:
        raise _bad(field, TOO_SHORT_NAME)
    return key


def _date(value: str | None, today: date) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise _bad("date_of_birth", NOT_A_DATE)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _bad("date_of_birth", NOT_A_DATE) from None
    if day > today:
        raise _bad("date_of_birth", FUTURE_DATE)
    return day


def parse_query(*, identifier: str | None = None, country_of_birth: str | None = None,
                family_name: str | None = None, given_names: str | None = None,
                date_of_birth: str | None = None, today: date) -> Query:
    """parse_query validates a search as typed, field by field (422 naming the field)."""
    ident = _text("identifier", identifier, MAX_IDENTIFIER)
    by_name = bool((family_name or "").strip() or (given_names or "").strip())
    if ident and by_name:
        raise _bad("identifier", BOTH_MODES)
    if not ident and not by_name:
        raise _bad("identifier", NO_MODE)
    country = _text("country_of_birth", country_of_birth, 3).upper()
    if not country:
        raise _bad("country_of_birth", REQUIRED)
    try:
        check_country(country)
    except ValueError:
        raise _bad("country_of_birth", NOT_A_COUNTRY) from None
    if ident:
        key = identifier_key(ident)
        if len(key) < MIN_IDENTIFIER_CHARACTERS:
            raise _bad("identifier", TOO_SHORT_IDENTIFIER)
        return Query(by="identifier", country_of_birth=country, identifier=key)
    return Query(by="name", country_of_birth=country,
                 family_name=_name("family_name", family_name),
                 given_names=_name("given_names", given_names),
                 date_of_birth=_date(date_of_birth, today))


def query_sha256(query: Query) -> str:
    """query_sha256 is the SHA-256 of the normalised query: the search log keeps only this.

    Anyone holding a query can check whether it was searched (an auditor's question);
    the log alone does not say what was searched.
    """
    fields: dict[str, Any] = {"by": query.by, "country_of_birth": query.country_of_birth}
    if query.by == "identifier":
        fields["identifier"] = query.identifier
    else:
        fields.update(family_name=query.family_name, given_names=query.given_names,
                      date_of_birth=query.date_of_birth.isoformat()
                      if query.date_of_birth else None)
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def adult_born_by(today: date) -> date:
    """adult_born_by is the last date of birth of someone 18 or older on TODAY.

    The same age as the ADULT rule (screening.rules.eighteenth_birthday): born on
    29 February, of age on 1 March of a common year.
    """
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # today is 29 February; 29 February 18 years ago does not exist
        return date(today.year - ADULT_AGE, 2, 28)


# The searches are built once, with bound parameters, from the tables' columns (Core):
# building and caching an ORM select on every search cost five times the query itself
# (bench/locator.py; ADR 0015).
_ENTRY, _FACILITY = LocatorEntry.__table__, Facility.__table__
_E, _F = _ENTRY.c, _FACILITY.c
_SHOWN_TODAY = and_(
    # What the public may find today — never a minor, never the escaped, never someone
    # released or returned more than 60 days ago.
    _E.status.in_(SHOWN), _E.date_of_birth <= bindparam("adult_born_by"),
    or_(_E.status.not_in(LEFT), _E.status_changed_on >= bindparam("shown_since")))
_BASE = select(
    _E.public_id, _E.given_names, _E.family_name, _E.given_key, _E.family_key, _E.status,
    _E.status_changed_on, _E.legal_custodian, _F.name, _F.address, _F.phone,
).join_from(_ENTRY, _FACILITY, _F.code == _E.facility_code).where(
    _E.birth_country == bindparam("country"), _SHOWN_TODAY)
_ORDER = (_E.family_key, _E.given_key, _E.status_changed_on.desc(), _E.public_id)
_DOCUMENTS = select(LocatorDocument.__table__.c.public_id).where(
    LocatorDocument.__table__.c.number_key == bindparam("identifier"))
BY_IDENTIFIER = _BASE.where(or_(_E.external_ref_key == bindparam("identifier"),
                                _E.public_id.in_(_DOCUMENTS.scalar_subquery()))
                            ).order_by(*_ORDER).limit(MAX_RESULTS)
BY_NAME = _BASE.where(_E.family_key == bindparam("family"), _E.given_key == bindparam("given")
                      ).order_by(*_ORDER).limit(MAX_RESULTS)
BY_BIRTH = _BASE.where(_E.date_of_birth == bindparam("born"))


def _located(row: Any) -> LocatedPerson:
    return LocatedPerson(
        name=shown_name(row.given_names, row.family_name), status=STATUS_LABELS[row.status],
        facility=FacilityOut(name=row.name, address=row.address, phone=row.phone),
        legal_custodian=CustodianOut(code=row.legal_custodian,
                                     name=country_name(row.legal_custodian)),
        status_changed_on=row.status_changed_on,
        subscribe_token=subscribe_token(row.public_id))


def search(db: Db, query: Query, today: date) -> list[LocatedPerson]:
    """search finds the people QUERY names, as the public may see them on TODAY.

    By identifier: the sending state's reference or a document number, with the
    country of birth. By name: family name and given names exactly after
    normalisation, with the country of birth — and, when the date of birth is
    given too, by close spelling among the people born that day in that country.
    """
    params: dict[str, Any] = {
        "country": query.country_of_birth, "adult_born_by": adult_born_by(today),
        "shown_since": today - timedelta(days=SHOWN_AFTER_RELEASE_DAYS)}
    if query.by == "identifier":
        rows = db.execute(BY_IDENTIFIER, {**params, "identifier": query.identifier})
        return [_located(r) for r in rows]
    if query.date_of_birth is None:
        rows = db.execute(BY_NAME, {**params, "family": query.family_name,
                                         "given": query.given_names})
        return [_located(r) for r in rows]
    wanted = f"{query.given_names} {query.family_name}"
    scored = []
    for row in db.execute(BY_BIRTH, {**params, "born": query.date_of_birth}):
        score = fuzz.token_sort_ratio(wanted, f"{row.given_key} {row.family_key}")
        if score >= FUZZY_THRESHOLD:
            scored.append((-score, row.family_key, row.given_key, row.public_id, row))
    scored.sort(key=lambda s: s[:4])
    return [_located(s[4]) for s in scored[:MAX_RESULTS]]


_SEARCHES = Base.metadata.tables[LocatorSearch.__tablename__]
_RECENT = select(func.count(), func.min(_SEARCHES.c.searched_at)).where(
    _SEARCHES.c.client == bindparam("client"), _SEARCHES.c.searched_at > bindparam("since"))
_LOG = insert(_SEARCHES)


def check_rate(db: Db, client: str, now: datetime, *, limit: int,
               window_s: int) -> None:
    """check_rate refuses a search when CLIENT has made LIMIT in the last WINDOW_S seconds.

    The count is of the search log, so it holds across processes. LIMIT 0 switches the
    limit off (the benchmark does; ADR 0015).
    """
    if limit <= 0:
        return
    count, oldest = db.execute(_RECENT, {
        "client": client[:64], "since": now - timedelta(seconds=window_s)}).one()
    if count >= limit:
        wait = (oldest + timedelta(seconds=window_s) - now).total_seconds()
        raise RateLimited(max(1, math.ceil(wait)))


def record_search(db: Db, client: str, query: Query, hits: int,
                  now: datetime) -> None:
    """record_search writes the search to the log: time, client, query hash, hits."""
    db.execute(_LOG, {"searched_at": now, "client": client[:64],
                           "query_sha256": query_sha256(query), "hits": hits})


def rebuild_index(session: Session) -> int:
    """rebuild_index empties the locator's index and runs its reactions over the ledger
    again, in order; returns the number of events read. Used when the index is added to a
    database that already holds events (migration 0009, through habeas.migrate)."""
    session.execute(delete(LocatorDocument))
    session.execute(delete(LocatorEntry))
    return events.rerun_reactions(session, reactions.REACTIONS, batch_size=REBUILD_BATCH)
