"""The sustainability report (DESIGN.md §1, §8): fee revenue against the facility's
operating cost for its whole population, domestic included — the offer's claim that the
fee would make "our entire prison sustainable", measured.

Revenue is what the agreements at the facility invoiced for the period's months, net of
the credit notes correcting those invoices. Operating cost is a reported cost per
person-day times the person-days of everyone held there. The maths is
billing/arithmetic.py's and billing/sustain.py's; this module only gathers the facts.
Read only: nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.billing import arithmetic, sustain
from habeas.billing.arithmetic import BillingError
from habeas.billing.models import Invoice
from habeas.billing.sustain import Period
from habeas.custody.models import Prisoner
from habeas.errors import NotFound, field_error
from habeas.facilities.models import Facility
from habeas.transfers.models import Manifest, ManifestPerson

SOURCES = {
    "annual_cost_minor": "about US$200 million a year for El Salvador's prison system "
                         "(President Bukele, March 2025; DESIGN.md §1)",
    "system_population": "about 110,000 people held in El Salvador (approximate; "
                         "World Prison Brief, 2024)",
    "reported_price": "about US$6 million for about 300 people for one year (AP; Salvadoran "
                      "foreign ministry memo, March 2025; DESIGN.md §1)",
}


@dataclass(frozen=True)
class Stay:
    """Stay is one person's time at the facility, as local dates."""

    public_id: str
    kind: str  # transferee | domestic
    arrived: date
    departed: date | None
    agreement_ref: str | None  # the agreement a transferee was handed over under


@dataclass(frozen=True)
class Figures:
    """Figures are the report's numbers for one span (a month, or the whole period)."""

    label: str
    start: date
    through: date  # the last day counted (the span's end, or the day before `today`)
    days: int
    invoiced_minor: int
    credited_minor: int  # <= 0: the credit notes against those invoices
    invoices: list[str]
    person_days: int
    agreement_person_days: int
    agreement_people: int
    operating_cost_minor: int
    share_covered: Fraction | None
    system_cost_minor: int  # the reported system cost prorated to the days counted
    share_of_system_cost: Fraction | None
    revenue_per_person_year_minor: int | None  # over the whole population
    revenue_per_agreement_person_year_minor: int | None
    revenue_per_agreement_person_minor: int | None

    @property
    def revenue_minor(self) -> int:
        return self.invoiced_minor + self.credited_minor

    @property
    def average_population(self) -> Fraction | None:
        return Fraction(self.person_days, self.days) if self.days else None


@dataclass(frozen=True)
class SustainabilityReport:
    """SustainabilityReport: the period's totals, a line per month, and what they rest on."""

    period: str
    start: date
    end: date
    facility_code: str
    facility_name: str
    timezone: str
    agreements: list[str]
    currency: str
    annual_cost_minor: int
    system_population: int
    cost_per_person_day_minor: Fraction
    cost_per_person_year_minor: int
    reported_price_per_person_year_minor: int
    total: Figures
    months: list[Figures] = field(default_factory=list)
    months_not_invoiced: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """partial: the period is not over, so only the days up to yesterday count."""
        return self.total.through < self.end

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "partial": self.partial,
            "facility_code": self.facility_code, "facility_name": self.facility_name,
            "timezone": self.timezone, "agreements": self.agreements,
            "currency": self.currency,
            "assumptions": {"annual_cost_minor": self.annual_cost_minor,
                            "system_population": self.system_population,
                            "cost_per_person_day_minor": _number(
                                self.cost_per_person_day_minor, 4),
                            "cost_per_person_day_minor_exact": _exact(
                                self.cost_per_person_day_minor),
                            "cost_per_person_year_minor": self.cost_per_person_year_minor,
                            "reported_price_per_person_year_minor":
                                self.reported_price_per_person_year_minor},
            **_figures_json(self.total),
            "months": [_figures_json(m) for m in self.months],
            "months_not_invoiced": self.months_not_invoiced,
            "sources": self.sources,
        }


def _number(x: Fraction | None, places: int) -> float | None:
    return None if x is None else round(float(x), places)


def _exact(x: Fraction | None) -> str | None:
    return None if x is None else f"{x.numerator}/{x.denominator}"


def _figures_json(f: Figures) -> dict[str, Any]:
    return {
        "label": f.label, "first_day": f.start.isoformat(), "through": f.through.isoformat(),
        "days": f.days, "revenue_minor": f.revenue_minor, "invoiced_minor": f.invoiced_minor,
        "credited_minor": f.credited_minor, "invoices": f.invoices,
        "person_days": f.person_days, "average_population": _number(f.average_population, 2),
        "agreement_person_days": f.agreement_person_days,
        "agreement_people": f.agreement_people,
        "operating_cost_minor": f.operating_cost_minor,
        "share_covered": _number(f.share_covered, 6),
        "share_covered_exact": _exact(f.share_covered),
        "system_cost_minor": f.system_cost_minor,
        "share_of_system_cost": _number(f.share_of_system_cost, 6),
        "share_of_system_cost_exact": _exact(f.share_of_system_cost),
        "revenue_per_person_year_minor": f.revenue_per_person_year_minor,
        "revenue_per_agreement_person_year_minor": f.revenue_per_agreement_person_year_minor,
        "revenue_per_agreement_person_minor": f.revenue_per_agreement_person_minor,
    }


def _period(text: str) -> Period:
    try:
        return sustain.parse_period(text)
    except BillingError as exc:
        raise field_error("period", exc.problem) from None


def _facility(session: Session, code: str | None) -> Facility:
    if code is not None:
        facility = session.get(Facility, code)
        if facility is None:
            raise NotFound(f"facility {code!r} not found")
        return facility
    codes = sorted(set(session.scalars(select(Agreement.facility_code))))
    if not codes:
        raise field_error("facility", "no agreement names a facility yet")
    if len(codes) > 1:
        raise field_error("facility", f"choose one of {', '.join(codes)}")
    return session.get_one(Facility, codes[0])


def stays(session: Session, facility: Facility, start: date, end: date) -> list[Stay]:
    """stays: everyone held at FACILITY at any time in [START, END], transferees and
    domestic prisoners alike, their arrival and departure as local dates.

    A transferee arrives at the handover (its local date, DESIGN.md §8); a domestic
    prisoner on the admission date given by the prison.
    """
    tz = facility.timezone
    handovers = {seq: (at, ref) for seq, at, ref in session.execute(
        select(ManifestPerson.handed_over_seq, ManifestPerson.handed_over_at,
               Manifest.agreement_ref)
        .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
        .where(Manifest.facility_code == facility.code, Manifest.direction == "outbound",
               ManifestPerson.handed_over_at.is_not(None)))}
    # A margin of a day each side: admitted_on and left_at are UTC, the days local.
    since = datetime.combine(start - timedelta(days=1), datetime.min.time(), UTC)
    rows = session.execute(
        select(Prisoner.public_id, Prisoner.kind, Prisoner.admitted_on, Prisoner.admitted_seq,
               Prisoner.left_at)
        .where(Prisoner.facility_code == facility.code,
               Prisoner.admitted_on <= end + timedelta(days=1),
               or_(Prisoner.left_at.is_(None), Prisoner.left_at >= since))
        .order_by(Prisoner.public_id))
    found = []
    for public_id, kind, admitted_on, admitted_seq, left_at in rows:
        arrived, ref = admitted_on, None
        handover = handovers.get(admitted_seq) if kind == "transferee" else None
        if handover is not None:
            at, ref = handover
            assert at is not None  # filtered above
            arrived = arithmetic.local_date(at, tz)
        departed = arithmetic.local_date(left_at, tz) if left_at is not None else None
        if departed is not None and departed < arrived:
            departed = arrived  # an admission date given after the recorded departure
        found.append(Stay(public_id, kind, arrived, departed, ref))
    return found


def _figures(label: str, start: date, through: date, stays_: Iterable[Stay],
             invoices: list[Invoice], refs: set[str], rate: Fraction,
             annual_cost_minor: int) -> Figures:
    days = (through - start).days + 1 if through >= start else 0
    person_days = agreement_person_days = 0
    people: set[str] = set()
    if days:
        for stay in stays_:
            n = sustain.stay_days(stay.arrived, stay.departed, start, through)
            person_days += n
            if n and stay.agreement_ref in refs:
                agreement_person_days += n
                people.add(stay.public_id)
    invoiced = sum(i.total_minor for i in invoices)
    credited = sum(i.credited_minor for i in invoices)
    revenue = invoiced + credited
    try:
        measured = arithmetic.sustainability(revenue, rate, person_days, len(people))
    except BillingError as exc:
        raise field_error(exc.field, exc.problem) from None
    system_cost = sustain.prorated(annual_cost_minor, days)
    per_agreement = measured["revenue_per_agreement_person_minor"]
    per_year = measured["revenue_per_person_year_minor"]
    share_covered = measured["share_covered"]
    return Figures(
        label=label, start=start, through=max(through, start - timedelta(days=1)),
        days=days, invoiced_minor=invoiced, credited_minor=credited,
        invoices=[i.number for i in invoices], person_days=person_days,
        agreement_person_days=agreement_person_days, agreement_people=len(people),
        operating_cost_minor=int(measured["cost_minor"] or 0),
        share_covered=Fraction(share_covered) if share_covered is not None else None,
        system_cost_minor=system_cost,
        share_of_system_cost=sustain.share(revenue, system_cost),
        revenue_per_person_year_minor=int(per_year) if per_year is not None else None,
        revenue_per_agreement_person_year_minor=sustain.per_person_year(
            revenue, agreement_person_days),
        revenue_per_agreement_person_minor=int(per_agreement)
        if per_agreement is not None else None)


def sustainability_report(
        session: Session, period: str, *, today: date, facility: str | None = None,
        annual_cost_minor: int = sustain.REPORTED_SYSTEM_COST_MINOR,
        system_population: int = sustain.REPORTED_SYSTEM_POPULATION,
        scope: str | None = None,
) -> SustainabilityReport:
    """sustainability_report measures PERIOD ("YYYY-MM" or "YYYY") at FACILITY (default:
    the one the agreements name). A caller limited to the party SCOPE counts only its own
    agreements' revenue: another state's money is not its business (DESIGN.md §2).

    Cost per person-day = ANNUAL_COST_MINOR / (365 × SYSTEM_POPULATION), the reported
    system cost spread over everyone the system holds. Days from TODAY on are not
    counted yet (a period in progress is partial).
    """
    span = _period(period)
    if isinstance(annual_cost_minor, bool) or annual_cost_minor < 0:
        raise field_error("annual_cost_minor", "must be a whole number of minor units, "
                                               "0 or more")
    if isinstance(system_population, bool) or system_population < 1:
        raise field_error("system_population", "must be at least one person")
    place = _facility(session, facility)
    at_place = select(Agreement).where(Agreement.facility_code == place.code)
    if scope is not None:
        at_place = at_place.where(or_(Agreement.sending_party == scope,
                                      Agreement.receiving_party == scope))
    agreements = list(session.scalars(at_place.order_by(Agreement.ref)))
    currencies = sorted({a.currency for a in agreements})
    if len(currencies) > 1:
        raise field_error("currency", f"the agreements at {place.code} bill in "
                                      f"{', '.join(currencies)}; one report has one currency")
    refs = {a.ref for a in agreements}
    rate = arithmetic.reported_cost_per_person_day(annual_cost_minor, system_population)
    last = min(span.end, today - timedelta(days=1))
    people = stays(session, place, span.start, span.end)
    invoices = list(session.scalars(select(Invoice).where(
        Invoice.agreement_ref.in_(sorted(refs)), Invoice.period.in_(span.months))
        .order_by(Invoice.period, Invoice.seq))) if refs else []
    months = []
    for month in span.months:
        bounds = sustain.month_period(month)
        months.append(_figures(month, bounds.start, min(bounds.end, last), people,
                               [i for i in invoices if i.period == month], refs, rate,
                               annual_cost_minor))
    billed = {i.period for i in invoices}
    return SustainabilityReport(
        period=span.label, start=span.start, end=span.end, facility_code=place.code,
        facility_name=place.name, timezone=place.timezone, agreements=sorted(refs),
        currency=currencies[0] if currencies else sustain.REPORTED_CURRENCY,
        annual_cost_minor=annual_cost_minor, system_population=system_population,
        cost_per_person_day_minor=rate,
        cost_per_person_year_minor=arithmetic.round_half_up(rate * arithmetic.DAYS_PER_YEAR),
        reported_price_per_person_year_minor=sustain.reported_price_per_person_year(),
        total=_figures(span.label, span.start, last, people, invoices, refs, rate,
                       annual_cost_minor),
        months=months,
        # A month over, with transferees held, and no invoice issued for it.
        months_not_invoiced=[m.label for m in months if m.label not in billed
                             and m.agreement_person_days
                             and sustain.month_period(m.label).end < today],
        sources={k: v for k, v in SOURCES.items()
                 if k == "reported_price"
                 or (k == "annual_cost_minor"
                     and annual_cost_minor == sustain.REPORTED_SYSTEM_COST_MINOR)
                 or (k == "system_population"
                     and system_population == sustain.REPORTED_SYSTEM_POPULATION)})
