"""Dashboard figures: bounded SQL aggregates (COUNT/SUM … GROUP BY), never a population load.

Every function takes SCOPE, the party whose people alone the caller may count (a sending
user's own state, DESIGN.md §2; None for the roles that see every party's). The home page
draws the same figures as tables (its text alternative) and the charts fetch them as JSON
from /api/v1/dashboard/… (habeas.dashboard.api), so both always agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.billing.models import Invoice
from habeas.custody import integrity as checks
from habeas.custody.integrity import CHECK_TITLES, EVERYONE, Scope
from habeas.custody.models import IntegrityRun, Prisoner
from habeas.errors import NotFound
from habeas.facilities import service as facilities
from habeas.facilities.capacity import STANDARDS
from habeas.holds.models import HoldRecord
from habeas.nominations.models import NominationRecord
from habeas.oversight.models import Finding
from habeas.screening.catalogue import RULES

MAX_POINTS = 24  # monthly points of the population chart (two years)
MAX_PERIODS = 12  # months of the money chart
TOP_RULES = 5
# Nomination statuses before (or instead of) acceptance; every other status (accepted,
# in_transit, in_custody, return_required, released, returned) came after it.
NOT_ACCEPTED = ("nominated", "rejected")
LEFT_HOME = ("released", "returned")


def _visible_agreements(session: Session, scope: str | None) -> list[Agreement]:
    query = select(Agreement).order_by(Agreement.registered_seq)
    if scope is not None:
        query = query.where(Agreement.sending_party == scope)
    return list(session.scalars(query))


def default_facility(session: Session, scope: str | None) -> str | None:
    """default_facility: the prison of the first agreement SCOPE may see, if any."""
    found = _visible_agreements(session, scope)
    return found[0].facility_code if found else None


def month_ends(start: date, today: date, limit: int = MAX_POINTS) -> list[date]:
    """month_ends: the last day of every month from START's to TODAY's (TODAY itself last),
    at most LIMIT of them, the latest kept."""
    points: list[date] = []
    first = start.replace(day=1)
    while first <= today:
        following = (first + timedelta(days=32)).replace(day=1)
        points.append(min(following - timedelta(days=1), today))
        first = following
    return points[-limit:]


# --- population against capacity ---------------------------------------------------------


def population(session: Session, facility_code: str, today: date,
               scope: str | None) -> dict[str, Any]:
    """population: people at FACILITY_CODE at the end of each month (everyone, and the
    transferees SCOPE may count), against the signed and the standard-compliant capacity.

    A person counts on day D when admitted on or before D and not gone by the end of D
    (left_at, UTC): those admitted by D less those gone by then (nobody leaves before
    arriving). Two GROUP BY queries, by admission day and by departure instant, whose rows
    are bounded by the days and departures, never by the people.
    """
    if scope is not None and facility_code not in {
            a.facility_code for a in _visible_agreements(session, scope)}:
        # A state counts the prisons it sends to; another reads as one that does not exist.
        raise NotFound(f"facility {facility_code!r} not found")
    facility = facilities.get_facility(session, facility_code)
    starts = session.scalar(select(func.min(Agreement.starts_on)).where(
        Agreement.facility_code == facility_code))
    points = month_ends(starts or today - timedelta(days=365), today)
    transferee = Prisoner.kind == "transferee"
    if scope is not None:
        transferee = and_(transferee, Prisoner.legal_custodian == scope)
    ours = case((transferee, 1), else_=0)
    here = Prisoner.facility_code == facility_code
    arrived = session.execute(select(Prisoner.admitted_on, ours, func.count()).where(here)
                              .group_by(Prisoner.admitted_on, ours)).all()
    gone = session.execute(select(Prisoner.left_at, ours, func.count()).where(
        here, Prisoner.left_at.is_not(None)).group_by(Prisoner.left_at, ours)).all()

    def count(day: date) -> tuple[int, int]:
        end = datetime.combine(day + timedelta(days=1), time.min, UTC)
        everyone = mine = 0
        for on, flag, n in arrived:
            if on <= day:
                everyone, mine = everyone + n, mine + n * flag
        for at, flag, n in gone:
            if at < end:
                everyone, mine = everyone - n, mine - n * flag
        return everyone, mine

    summary = facilities.capacity(session, facility_code)
    counted = [(day, *count(day)) for day in points]
    return {
        "facility": facility_code, "facility_name": facility.name,
        "signed_capacity": facility.signed_capacity,
        "compliant_capacity": {s.name: summary.compliant[s.name] for s in STANDARDS},
        "transferees_of": scope,
        "points": [{"on": day.isoformat(), "population": everyone, "transferees": mine}
                   for day, everyone, mine in counted],
    }


# --- the nomination funnel ----------------------------------------------------------------


def funnel(session: Session, scope: str | None) -> dict[str, Any]:
    """funnel: nominated → eligible → accepted → transferred → released, and the screening
    rules that fail most (one scan of the nominations, one of the transferees)."""
    where = [] if scope is None else [NominationRecord.sending_party == scope]
    rule_ids = sorted(RULES)
    # Stages are cumulative: whoever was accepted was found eligible then, even if a court
    # order registered since makes them ineligible today.
    accepted = NominationRecord.status.not_in(NOT_ACCEPTED)
    row = session.execute(select(
        func.count(),
        func.sum(case((or_(NominationRecord.decision == "eligible", accepted), 1), else_=0)),
        func.sum(case((accepted, 1), else_=0)),
        *[func.sum(case((NominationRecord.failed_rules.contains(
            f",{rule},", autoescape=True), 1), else_=0))
          for rule in rule_ids],
    ).where(*where)).one()
    people = [Prisoner.kind == "transferee"]
    if scope is not None:
        people.append(Prisoner.legal_custodian == scope)
    transferred, released = session.execute(select(
        func.count(), func.sum(case((Prisoner.status.in_(LEFT_HOME), 1), else_=0)),
    ).where(*people)).one()
    failing = sorted(((int(n or 0), rule) for rule, n in zip(rule_ids, row[3:], strict=True)
                      if n), key=lambda pair: (-pair[0], pair[1]))[:TOP_RULES]
    return {
        "stages": [{"stage": "nominated", "count": int(row[0] or 0)},
                   {"stage": "eligible", "count": int(row[1] or 0)},
                   {"stage": "accepted", "count": int(row[2] or 0)},
                   {"stage": "transferred", "count": int(transferred or 0)},
                   {"stage": "released", "count": int(released or 0)}],
        "failing_rules": [{"rule": rule, "count": n, "checks": RULES[rule].checks}
                          for n, rule in failing],
    }


# --- integrity ----------------------------------------------------------------------------


def integrity(session: Session, today: date, scope: Scope = EVERYONE) -> dict[str, Any]:
    """integrity: the latest integrity run recorded on the ledger (its count per check) and,
    counted now, the inspection findings whose answer is overdue (Mandela Rule 85).

    A recorded run counts everyone's people; a reader of narrower SCOPE (a state) is shown
    the same checks as of the run's day counted over its own people only (DESIGN.md
    §12.1: integrity lines are for the parties of the person's agreement).
    """
    run = session.scalars(select(IntegrityRun).order_by(IntegrityRun.seq.desc()).limit(1)
                          ).first()
    findings = select(func.count()).select_from(Finding).where(
        Finding.status == "open", Finding.response_due < today)
    if scope.facilities is not None:
        findings = findings.where(Finding.facility_code.in_(sorted(scope.facilities)))
    overdue = session.scalar(findings) or 0
    counts: dict[str, int] = {} if run is None else dict(run.counts)
    if run is not None and not scope.everyone:
        counts = {line.check: line.count for line in checks.report(
            session, run.as_of, scope=scope).lines if line.check in counts}
    checks_ = [{"check": check, "title": CHECK_TITLES.get(check, check.replace("_", " ")),
                "count": int(count)} for check, count in counts.items()]
    return {
        "run": None if run is None else {"seq": run.seq, "as_of": run.as_of.isoformat(),
                                         "recorded_at": run.recorded_at.isoformat()},
        "breaches": sum(1 for c in checks_ if c["count"]),
        "checks": checks_, "overdue_findings": overdue,
    }


# --- money --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    currency: str
    invoiced_minor: int  # totals less credit notes
    paid_minor: int
    outstanding_minor: int
    overdue_minor: int  # owed on invoices past their due date (ageing other than "current")
    overdue_invoices: int


def money(session: Session, today: date, scope: str | None) -> dict[str, Any]:
    """money: invoiced (net of credit notes), paid, outstanding and overdue per currency, and
    invoiced and paid per month for the last MAX_PERIODS periods."""
    net = Invoice.total_minor + Invoice.credited_minor
    balance = net - Invoice.paid_minor
    late = and_(balance > 0, Invoice.due_on <= today)  # as billing.arithmetic.ageing_bucket
    query = select(Invoice.currency, func.sum(net), func.sum(Invoice.paid_minor),
                   func.sum(case((balance > 0, balance), else_=0)),
                   func.sum(case((late, balance), else_=0)),
                   func.sum(case((late, 1), else_=0))).group_by(Invoice.currency)
    by_period = select(Invoice.period, Invoice.currency, func.sum(net),
                       func.sum(Invoice.paid_minor)).group_by(Invoice.period, Invoice.currency)
    if scope is not None:
        mine = Agreement.sending_party == scope
        query = query.join(Agreement, Agreement.ref == Invoice.agreement_ref).where(mine)
        by_period = by_period.join(Agreement, Agreement.ref == Invoice.agreement_ref).where(mine)
    totals = [Money(c, int(i or 0), int(p or 0), int(o or 0), int(d or 0), int(n or 0))
              for c, i, p, o, d, n in session.execute(query.order_by(Invoice.currency))]
    periods = session.execute(by_period.order_by(Invoice.period.desc(), Invoice.currency)
                              .limit(MAX_PERIODS * max(1, len(totals)))).all()
    return {
        "totals": [asdict(m) for m in totals],
        "periods": [{"period": p, "currency": c, "invoiced_minor": int(i or 0),
                     "paid_minor": int(paid or 0)} for p, c, i, paid in reversed(periods)],
    }


# --- court orders -------------------------------------------------------------------------


def holds(session: Session, today: date) -> dict[str, Any]:
    """holds: court orders in force and no longer in force, by kind."""
    in_force = and_(HoldRecord.lifted_on.is_(None),
                    or_(HoldRecord.expires.is_(None), HoldRecord.expires >= today))
    rows = session.execute(select(HoldRecord.kind, func.sum(case((in_force, 1), else_=0)),
                                  func.count()).group_by(HoldRecord.kind)
                           .order_by(HoldRecord.kind))
    kinds = [{"kind": k, "in_force": int(n or 0), "ended": int(total) - int(n or 0)}
             for k, n, total in rows]
    return {"kinds": kinds, "in_force": sum(k["in_force"] for k in kinds)}
