"""The custody integrity report (DESIGN.md §9): is the system being abused?

Each check counts people (or cells, or records) in breach of one rule, with its
severity and citation, and names the people and the ledger events behind the
count, so a monitor can reproduce every figure from the published log. A zero
is reported as a zero: an empty line is a proud line, not a hidden one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.agreements.terms import term_end
from habeas.config import get_settings
from habeas.custody.models import Death, IntegrityRun, Prisoner, Solitary
from habeas.custody.projections import IntegrityRecorded
from habeas.custody.records import PROLONGED_SOLITARY_DAYS
from habeas.db import utcnow
from habeas.events import NewEvent
from habeas.events import record as record_event
from habeas.facilities import capacity as standards
from habeas.facilities.models import Cell, Facility
from habeas.facilities.service import PRESENT, occupancy_by_cell
from habeas.holds import reads as holds
from habeas.holds.models import HoldRecord
from habeas.holds.schemas import Hold
from habeas.i18n import N_
from habeas.ledger.leaf import canonical_json
from habeas.ledger.models import Event
from habeas.nominations import identity
from habeas.nominations.models import NominationRecord, Notice
from habeas.nominations.schemas import Nomination
from habeas.nominations.service import context_for
from habeas.notify.models import Notification
from habeas.oversight import service as oversight
from habeas.screening import rules
from habeas.screening.rules import Outcome
from habeas.transfers.models import Manifest, ManifestPerson

# Mandela Rule 58: regular contact with family; a person with none for this long is flagged.
FAMILY_CONTACT_DAYS = 30
DRILL_DOWN = 200  # people and events listed per line; the count is always complete

SEVERITIES = ("critical", "high", "medium")
# What each check is called, here once: the report and the dashboards (which show a
# recorded run's counts) name them alike; translated where shown (habeas.web.oversight).
CHECK_TITLES = {
    "no_final_conviction": N_("Held without a final conviction"),
    "past_release_date": N_("Held past their release date"),
    "past_agreement_term": N_("Held past the agreement's term without a renewal"),
    "transferred_despite_hold": N_("Transferred despite a court order"),
    "short_notice": N_("Transferred with notice shorter than required"),
    "return_overdue": N_("Court-ordered returns not carried out"),
    "death_without_investigation": N_("Deaths without an independent investigation"),
    "prolonged_solitary": N_("Solitary confinement over 15 consecutive days"),
    "over_certified_capacity": N_("Cells holding more than their certified capacity"),
    "space_below_standard": N_("Cells giving less space per person than ICRC"),
    "finding_response_overdue": N_("Inspection findings with an overdue response"),
    "no_family_contact": N_("No family contact"),  # the report adds "in N days"
    "notification_late": N_("Mandatory notifications not delivered within 24 hours"),
    "duplicate_person": N_("The same person nominated twice, or while in custody"),
    "late_entry": N_("Acts recorded later than their late window"),
    "backdated_past_gate": N_("Backdated acts that fail a gate at their claimed time"),
    "short_notice_recorded": N_("Notice shorter than required, counted from its recording"),
}


@dataclass
class Line:
    """Line is one check: how many, how serious, which rule, and who and what is behind it."""

    check: str
    title: str
    severity: str
    rule: str
    citation: str
    count: int = 0
    people: list[str] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, person: str | None, event: int | None, note: str | None = None) -> None:
        self.count += 1
        if person is not None and len(self.people) < DRILL_DOWN:
            self.people.append(person)
        if event is not None and len(self.events) < DRILL_DOWN:
            self.events.append(event)
        if note is not None and len(self.notes) < DRILL_DOWN:
            self.notes.append(note)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "title": self.title, "severity": self.severity,
                "rule": self.rule, "citation": self.citation, "count": self.count,
                "people": self.people, "events": self.events, "notes": self.notes}


@dataclass(frozen=True)
class Report:
    as_of: date
    population: int
    lines: list[Line]

    @property
    def breaches(self) -> int:
        return sum(1 for line in self.lines if line.count)

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "population": self.population,
                "breaches": self.breaches, "lines": [line.as_dict() for line in self.lines]}


@dataclass(frozen=True)
class Scope:
    """Scope is whose people a reader of the report may see (DESIGN.md §12.1: "read a
    person's file, alerts, integrity lines: the parties of that person's agreement,
    monitors, counsel of record"; §2: "a sending user never sees another state's people").

    PARTY set: only the people whose sentence is that state's (their legal custodian).
    AGREEMENTS and FACILITIES set: only those agreements' people and those prisons' cells
    and findings. EVERYONE (monitors, the operator) is neither.
    """

    party: str | None = None
    agreements: frozenset[str] | None = None
    facilities: frozenset[str] | None = None

    @property
    def everyone(self) -> bool:
        return self.party is None and self.agreements is None and self.facilities is None

    def prisoners(self) -> list[ColumnElement[bool]]:
        """prisoners: the conditions on Prisoner rows this scope may see."""
        where: list[ColumnElement[bool]] = []
        if self.party is not None:
            where.append(Prisoner.legal_custodian == self.party)
        if self.facilities is not None:
            where.append(Prisoner.facility_code.in_(sorted(self.facilities)))
        return where

    def nominations(self) -> list[ColumnElement[bool]]:
        """nominations: the conditions on NominationRecord rows this scope may see."""
        where: list[ColumnElement[bool]] = []
        if self.party is not None:
            where.append(NominationRecord.sending_party == self.party)
        if self.agreements is not None:
            where.append(NominationRecord.agreement_ref.in_(sorted(self.agreements)))
        return where

    def people(self, column: Any) -> list[ColumnElement[bool]]:
        """people: COLUMN (a public id) names a person this scope may see: held now or
        before (Prisoner), or only nominated (NominationRecord)."""
        if self.everyone:
            return []
        return [or_(column.in_(select(Prisoner.public_id).where(*self.prisoners())),
                    column.in_(select(NominationRecord.public_id).where(
                        *self.nominations())))]


EVERYONE = Scope()
NOBODY = Scope(party="", agreements=frozenset(), facilities=frozenset())


def scope_of(session: Session, role: str, party: str | None) -> Scope:
    """scope_of: what a reader of ROLE acting for PARTY may see of the report.

    A sending state sees its own people under its own agreements; a receiving state the
    people and cells of the prisons it runs under its agreements (domestic prisoners
    included); monitors and the operator see everything (DESIGN.md §2, §12.1).
    """
    if role in ("monitor", "admin"):
        return EVERYONE
    if role not in ("sending", "receiving") or party is None:
        return NOBODY  # any other reader (none may read the report today) sees no one
    column = Agreement.sending_party if role == "sending" else Agreement.receiving_party
    mine = list(session.execute(select(Agreement.ref, Agreement.facility_code)
                                .where(column == party)))
    return Scope(party=party if role == "sending" else None,
                 agreements=frozenset(ref for ref, _ in mine),
                 facilities=frozenset(code for _, code in mine))


class Present(NamedTuple):
    """Present is what the checks read of a person in custody: a row, not an ORM object
    (building ~15,000 Prisoner objects took most of the report's time). Only the people a
    check is about are read: the database picks them (see _present)."""

    public_id: str
    kind: str
    facility_code: str
    admitted_on: date
    admitted_seq: int
    release_date: date | None
    release_seq: int | None
    term_renewed_until: date | None
    last_family_contact: date | None


def _present(session: Session, *where: ColumnElement[bool], limit: int | None = None
             ) -> list[Present]:
    """_present: the people in custody WHERE says, by public id, at most LIMIT of them."""
    columns = [getattr(Prisoner, name) for name in Present._fields]
    # Through the Core connection: the ORM's row loading cost as much as the query.
    return [Present(*row) for row in session.connection().execute(
        select(*columns).where(Prisoner.status.in_(PRESENT), *where)
        .order_by(Prisoner.public_id).limit(limit))]


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    """_count: how many people in custody WHERE says."""
    return session.scalar(select(func.count()).select_from(Prisoner).where(
        Prisoner.status.in_(PRESENT), *where)) or 0


def no_final_conviction(session: Session, on: date, people: list[Present]) -> Line:
    """Transferees held without a final custodial conviction (must be 0)."""
    line = Line("no_final_conviction", CHECK_TITLES["no_final_conviction"], "critical",
                "FINAL_JUDGMENT", "ETS 112 art. 3(1)(b); Mandela Rule 111(2)")
    transferees = {p.public_id: p for p in people if p.kind == "transferee"}
    if not transferees:
        return line
    # Only the columns read: the nomination's other JSON columns cost as much to decode.
    records = session.execute(select(
        NominationRecord.public_id, NominationRecord.agreement_ref, NominationRecord.data)
        .where(NominationRecord.public_id.in_(list(transferees)))
        .order_by(NominationRecord.public_id))
    agreements = {a.ref: a for a in session.scalars(select(Agreement))}
    contexts = {ref: context_for(a, on, []) for ref, a in agreements.items()}
    for public_id, agreement_ref, data in records:
        result = rules.final_judgment(Nomination.model_validate(data), contexts[agreement_ref])
        if result.outcome is not Outcome.PASS:
            prisoner = transferees[public_id]
            line.add(prisoner.public_id, prisoner.admitted_seq, result.message)
    return line


def past_release_date(people: list[Present], on: date) -> Line:
    line = Line("past_release_date", CHECK_TITLES["past_release_date"], "critical",
                "RELEASE_DATE", "ETS 112 art. 10(2); DESIGN.md §5")
    for p in people:
        if p.release_date is not None and p.release_date < on:
            line.add(p.public_id, p.release_seq,
                     f"{p.public_id}: release date {p.release_date}, "
                     f"{(on - p.release_date).days} day(s) ago")
    return line


def past_agreement_term(session: Session, people: list[Present], on: date) -> Line:
    """Transferees held past the term of *their own* agreement without a renewal.

    Each person's term is their nomination's agreement's: two agreements may send to one
    prison (keyed by facility, the last agreement read decided for everyone there).
    """
    line = Line("past_agreement_term", CHECK_TITLES["past_agreement_term"],
                "critical", "AGREEMENT_TERM", "the agreement's term clause; DESIGN.md §5")
    transferees = [p.public_id for p in people if p.kind == "transferee"]
    if not transferees:
        return line
    ends = {a.ref: term_end(a.starts_on, a.term_months)
            for a in session.scalars(select(Agreement))}
    agreement_of: dict[str, str] = {public_id: ref for public_id, ref in session.execute(
        select(NominationRecord.public_id, NominationRecord.agreement_ref)
        .join(Prisoner, Prisoner.public_id == NominationRecord.public_id)
        .where(Prisoner.kind == "transferee", Prisoner.status.in_(PRESENT)))}
    for p in people:
        ref = agreement_of.get(p.public_id)
        end = ends.get(ref) if ref is not None else None
        if p.kind != "transferee" or end is None or on <= end:
            continue
        if p.term_renewed_until is not None and on <= p.term_renewed_until:
            continue
        line.add(p.public_id, p.admitted_seq, f"{p.public_id}: the term ended on {end}")
    return line


class Departure(NamedTuple):
    """Departure is what the departure checks read of one person flown out: a row."""

    public_id: str
    handed_over_seq: int | None
    manifest_id: str
    departed_at: datetime | None
    departure_date: date
    agreement_ref: str
    data: dict[str, Any]


def _departures(session: Session, scope: Scope = EVERYONE) -> list[Departure]:
    # Only the columns read, through Core: loading the three ORM objects (and every JSON
    # column of the nomination) took most of the check's time.
    return [Departure(*row) for row in session.connection().execute(
        select(ManifestPerson.public_id, ManifestPerson.handed_over_seq, Manifest.id,
               Manifest.departed_at, Manifest.departure_date, NominationRecord.agreement_ref,
               NominationRecord.data)
        .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
        .join(NominationRecord, NominationRecord.public_id == ManifestPerson.public_id)
        .where(Manifest.direction == "outbound",
               ManifestPerson.status.in_(("departed", "handed_over")), *scope.nominations())
        .order_by(ManifestPerson.public_id))]


class RecordedOrder(NamedTuple):
    """RecordedOrder: a court order as binding, and when (if ever) its lift was recorded."""

    hold: Hold
    registered_seq: int
    lifted_seq: int | None
    lift_recorded_at: datetime | None


def orders_as_recorded(session: Session) -> list[RecordedOrder]:
    """orders_as_recorded: every court order, its lift counted from when it was recorded.

    DESIGN.md §12.2: "a lift never rewrites history: it counts from when it was
    recorded, never from its claimed date". Each order is taken as never lifted (binding
    from the day it was issued, whenever habeas learned of it, until it expires) and
    paired with the moment its `hold.lifted` event was recorded. A lift recorded before
    issue 17 has no such moment on its row (until `habeas replay`): it counts from the
    start of its lifted_on.
    """
    found = []
    for r in session.scalars(select(HoldRecord).order_by(HoldRecord.issued)):
        lifted_at = r.lift_recorded_at
        if lifted_at is None and r.lifted_on is not None:
            lifted_at = datetime.combine(r.lifted_on, time(), UTC)
        found.append(RecordedOrder(holds.as_hold(r).model_copy(update={"lifted_on": None}),
                                   r.registered_seq, r.lifted_seq, lifted_at))
    return found


def departure_breaches(session: Session, scope: Scope = EVERYONE) -> tuple[Line, Line]:
    """Transferred despite a court order, or with notice shorter than required.

    The gates are run again on each departure day with every order and notice
    known now: an order registered late but issued before the flight still counts, and
    so does one whose lift was recorded after the flight, whatever date the lift claims
    (DESIGN.md §12.2).
    """
    despite = Line("transferred_despite_hold", CHECK_TITLES["transferred_despite_hold"],
                   "critical", "NO_LEGAL_HOLD, NON_REFOULEMENT",
                   "J.G.G. v. Trump (2025); Noem v. Abrego Garcia (2025); CAT art. 3")
    short = Line("short_notice", CHECK_TITLES["short_notice"], "critical",
                 "NOTICE", "Trump v. J.G.G.; A.A.R.P. v. Trump (2025)")
    rows = _departures(session, scope)
    if not rows:
        return despite, short
    orders = orders_as_recorded(session)
    agreements = {a.ref: a for a in session.scalars(select(Agreement))}
    notices: dict[str, list[date]] = {}
    for public_id, served_on in session.execute(select(Notice.public_id, Notice.served_on)):
        notices.setdefault(public_id, []).append(served_on)
    for entry in rows:
        at = entry.departed_at or datetime.combine(entry.departure_date, time(), UTC)
        day = at.date()
        binding = [o for o in orders if o.lift_recorded_at is None or at < o.lift_recorded_at]
        ctx = context_for(agreements[entry.agreement_ref], day, [o.hold for o in binding])
        nomination = Nomination.model_validate(entry.data)
        for gate in (rules.no_legal_hold(nomination, ctx), rules.non_refoulement(nomination, ctx)):
            if gate.outcome is Outcome.FAIL:
                despite.add(entry.public_id, entry.handed_over_seq,
                            f"{entry.public_id} on {entry.manifest_id} ({day}): {gate.message}")
                # The orders behind it, and their lifts recorded too late to count.
                despite.events.extend(
                    seq for o in binding if o.hold.hold_ref in gate.message
                    for seq in (o.registered_seq, o.lifted_seq)
                    if seq is not None and seq not in despite.events
                    and len(despite.events) < DRILL_DOWN)
                break
        before = [d for d in notices.get(entry.public_id, []) if d <= day]
        notice = rules.notice(max(before) if before else None, day, ctx)
        if notice.outcome is Outcome.FAIL:
            short.add(entry.public_id, entry.handed_over_seq,
                      f"{entry.public_id} on {entry.manifest_id}: {notice.message}")
    return despite, short


def cell_breaches(session: Session, scope: Scope = EVERYONE) -> tuple[Line, Line]:
    """Cells above their certified normal accommodation; cells under the space standard.

    A scoped reader sees the cells of its prisons; a sending state only the cells that
    hold one of its people (their conditions are its people's, the rest are not its own).
    """
    over = Line("over_certified_capacity", CHECK_TITLES["over_certified_capacity"],
                "high", "CNA", "Mandela Rule 12-13; DESIGN.md §7")
    space = Line("space_below_standard", CHECK_TITLES["space_below_standard"],
                 "high", "ICRC 3.4 m² / 5.4 m²",
                 "ICRC, Water, sanitation, hygiene and habitat in prisons (2012); Mandela Rule 13")
    facilities = select(Facility).order_by(Facility.code)
    if scope.facilities is not None:
        facilities = facilities.where(Facility.code.in_(sorted(scope.facilities)))
    ours: set[tuple[str | None, str | None]] | None = None
    if scope.party is not None:
        ours = {(b, c) for b, c in session.execute(
            select(Prisoner.building_code, Prisoner.cell_code).distinct().where(
                Prisoner.status.in_(PRESENT), *scope.prisoners()))}
    for facility in session.scalars(facilities):
        counts = occupancy_by_cell(session, facility.code)
        for cell in session.scalars(select(Cell).where(Cell.facility_code == facility.code)
                                    .order_by(Cell.building_code, Cell.code)):
            if ours is not None and (cell.building_code, cell.code) not in ours:
                continue
            people = counts.get((cell.building_code, cell.code), 0)
            where = f"{facility.code} {cell.building_code}/{cell.code}"
            if people > cell.cna:
                over.add(None, None, f"{where}: {people} people, certified for {cell.cna}")
            if not standards.meets(cell.area_m2, people, standards.ICRC):
                space.add(None, None, f"{where}: {cell.area_m2 / people:.2f} m² each for "
                                      f"{people} people")
    return over, space


def prolonged_solitary(session: Session, on: date, scope: Scope = EVERYONE) -> Line:
    line = Line("prolonged_solitary", CHECK_TITLES["prolonged_solitary"],
                "critical", "Rule 44", "Mandela Rules 43(1)(b), 44, 45")
    cutoff = datetime.combine(on, time(23, 59, 59), UTC)
    for episode in session.scalars(select(Solitary).where(*scope.people(Solitary.public_id))
                                   .order_by(Solitary.seq)):
        end = episode.ended_at or cutoff
        days = (end - episode.started_at).days
        if days > PROLONGED_SOLITARY_DAYS:
            review = ("independently reviewed by " + episode.reviewed_by
                      if episode.reviewed_by else "NO independent review")
            line.add(episode.public_id, episode.seq,
                     f"{episode.public_id}: {days} days from {episode.started_at:%Y-%m-%d}"
                     f"{'' if episode.ended_at else ' (ongoing)'}; {review}")
    return line


def no_family_contact(session: Session, on: date, days: int, scope: Scope = EVERYONE
                      ) -> Line:
    """No family contact for DAYS: usually most of the population, so the database counts
    them and only the first DRILL_DOWN are read (each adds one person and one note)."""
    line = Line("no_family_contact", f"No family contact in {days} days", "medium",
                "Rule 58", "Mandela Rules 43(3), 58")
    without = func.coalesce(Prisoner.last_family_contact, Prisoner.admitted_on) \
        < on - timedelta(days=days)
    for p in _present(session, without, *scope.prisoners(), limit=DRILL_DOWN):
        line.add(p.public_id, None, f"{p.public_id}: last family contact "
                 + (str(p.last_family_contact) if p.last_family_contact else "never")
                 + f" (admitted {p.admitted_on})")
    line.count = _count(session, without, *scope.prisoners())
    return line


def death_without_investigation(session: Session, scope: Scope = EVERYONE) -> Line:
    line = Line("death_without_investigation", CHECK_TITLES["death_without_investigation"],
                "critical", "Rule 71", "Mandela Rule 71(1); Minnesota Protocol (2016)")
    for death in session.scalars(select(Death).where(
            Death.investigation_ref.is_(None), *scope.people(Death.public_id))
            .order_by(Death.seq)):
        line.add(death.public_id, death.seq,
                 f"{death.public_id}: died {death.died_at:%Y-%m-%d}; no investigation recorded")
    return line


def overdue_returns(session: Session, on: date, scope: Scope = EVERYONE) -> Line:
    """Court-ordered returns not carried out: stopped in transit and not yet taken back
    (the order runs at once), or held past a return order's deadline."""
    line = Line("return_overdue", CHECK_TITLES["return_overdue"], "critical",
                "return_order", "the order of the court; DESIGN.md §3")
    for entry in session.scalars(select(ManifestPerson).where(
            ManifestPerson.status == "return_required", *scope.people(ManifestPerson.public_id))
            .order_by(ManifestPerson.public_id)):
        line.add(entry.public_id, None, f"{entry.public_id}: stopped in transit on "
                                        f"{entry.manifest_id}; {entry.reason}")
    for p in session.scalars(select(Prisoner).where(
            Prisoner.status.in_(PRESENT), Prisoner.return_deadline.is_not(None),
            Prisoner.return_deadline < on, *scope.prisoners()).order_by(Prisoner.public_id)):
        line.add(p.public_id, None, f"{p.public_id}: {p.return_hold_ref} required return by "
                                    f"{p.return_deadline}")
    return line


def overdue_findings(session: Session, on: date, scope: Scope = EVERYONE) -> Line:
    line = Line("finding_response_overdue", CHECK_TITLES["finding_response_overdue"],
                "high", "Rules 83-85", "Mandela Rules 83-85")
    for finding in oversight.overdue_findings(session, on):
        if scope.facilities is not None and finding.facility_code not in scope.facilities:
            continue
        line.add(None, finding.seq,
                 f"finding {finding.seq} ({finding.severity}) at {finding.facility_code}: "
                 f"response due {finding.response_due}, {(on - finding.response_due).days} "
                 "day(s) overdue")
    return line


def late_notifications(session: Session, at: datetime, scope: Scope = EVERYONE) -> Line:
    """Mandatory notifications (to family, consulate, counsel) not delivered within 24 hours
    of the event that owed them: still undelivered at AT, or delivered late."""
    line = Line("notification_late", CHECK_TITLES["notification_late"],
                "high", "Rules 68-69", "Mandela Rules 68, 69; VCCR arts. 36(1)(b), 37(a)")
    for row in session.scalars(select(Notification).where(
            Notification.kind == "mandatory", or_(
                and_(Notification.delivered_at.is_(None), Notification.due_at < at),
                Notification.delivered_at > Notification.due_at),
            *scope.people(Notification.subject))
            .order_by(Notification.seq, Notification.id)):
        how = f"delivered {row.delivered_at:%Y-%m-%d %H:%M} UTC" if row.delivered_at \
            else f"{row.status} after {row.attempts} attempt(s)"
        line.add(row.subject, row.seq, f"{row.id}: {row.reason} notice to the {row.audience}, "
                                       f"owed {row.created_at:%Y-%m-%d %H:%M} UTC: {how}")
    return line


def duplicate_people(session: Session, scope: Scope = EVERYONE) -> Line:
    """The same person (name, birth date and a conviction case) nominated again under a new
    `external_ref` while an earlier nomination is open: nominated twice, or while held.
    Acceptance refuses the second (nominations.decisions.accept); this line finds those
    recorded before it did, and a second nomination not yet decided."""
    line = Line("duplicate_person", CHECK_TITLES["duplicate_person"], "critical",
                "ONE_PERSON_ONE_NOMINATION", "ETS 112 art. 3(1); DESIGN.md §3")
    for record, first in identity.duplicates(session, *scope.nominations()):
        line.add(record.public_id, record.received_seq,
                 f"{record.public_id} ({record.status}): the same person as "
                 f"{first.public_id} ({first.status})")
    return line


# --- the two clocks (DESIGN.md §12.2): occurred_at is a claim, recorded_at a fact ---------

def late_entries(session: Session, scope: Scope = EVERYONE) -> Line:
    """Acts recorded later after their claimed time than their type's late window: kept,
    each with its late_reason, and listed here (DESIGN.md §12.2). Most events claim no
    time (occurred = recorded), so the database picks the few that claim an earlier one."""
    line = Line("late_entry", CHECK_TITLES["late_entry"], "medium", "late window",
                "DESIGN.md §12.2")
    settings = get_settings()
    rows = session.execute(
        select(Event.seq, Event.type, Event.subject, Event.occurred_at, Event.recorded_at,
               Event.late_reason)
        .where(Event.occurred_at < Event.recorded_at, *scope.people(Event.subject))
        .order_by(Event.seq))
    for seq, kind, subject, occurred, recorded, reason in rows:
        window = timedelta(hours=settings.late_window_for(kind))
        if recorded - occurred <= window:
            continue
        hours = (recorded - occurred) / timedelta(hours=1)
        line.add(subject, seq, f"event {seq} ({kind}): occurred {occurred:%Y-%m-%d %H:%M}, "
                               f"recorded {recorded:%Y-%m-%d %H:%M} UTC ({hours:.0f} h later); "
                               f"reason: {reason or 'none given'}")
    return line


class _Departed(NamedTuple):
    """_Departed: a recorded departure — the manifest, its event and the two clocks."""

    manifest_id: str
    seq: int
    occurred_at: datetime
    recorded_at: datetime


def _recorded_departures(session: Session) -> dict[str, _Departed]:
    """_recorded_departures: each outbound manifest's `transfer.departed` event. Few (one
    per flight), so their payloads are read here rather than queried as JSON."""
    found = {}
    for seq, payload, occurred, recorded in session.execute(
            select(Event.seq, Event.payload, Event.occurred_at, Event.recorded_at)
            .where(Event.type == "transfer.departed").order_by(Event.seq)):
        found[payload["manifest_id"]] = _Departed(payload["manifest_id"], seq, occurred,
                                                  recorded)
    return found


def _notices_recorded(session: Session) -> dict[str, list[tuple[int, date, date]]]:
    """_notices_recorded: per person, each notice as (seq, served_on, day it was recorded)."""
    found: dict[str, list[tuple[int, date, date]]] = {}
    for public_id, seq, served_on, recorded in session.execute(
            select(Notice.public_id, Notice.seq, Notice.served_on, Event.recorded_at)
            .join(Event, Event.seq == Notice.seq).order_by(Notice.seq)):
        found.setdefault(public_id, []).append((seq, served_on, recorded.date()))
    return found


def time_breaches(session: Session, scope: Scope = EVERYONE) -> tuple[Line, Line]:
    """Departures judged at their claimed time, and notice counted from its recording.

    Backdated past a gate: a departure whose claimed time is earlier than its recording
    (beyond the clock skew) and that fails NOTICE, NO_LEGAL_HOLD or NON_REFOULEMENT on the
    claimed day — every order known now, the notices recorded before it. The services
    refuse this at recording (both times are judged); the report catches what they could
    not see then, and what was recorded before they did (DESIGN.md §12.2).

    Short notice counted from recording: the notice period from the day the notice
    was *recorded* to the departure; a `served_on` typed weeks earlier does not lengthen
    it. A notice recorded after the departure never counts.
    """
    backdated = Line("backdated_past_gate", CHECK_TITLES["backdated_past_gate"], "critical",
                     "NOTICE, NO_LEGAL_HOLD, NON_REFOULEMENT", "DESIGN.md §12.2")
    short = Line("short_notice_recorded", CHECK_TITLES["short_notice_recorded"], "high",
                 "NOTICE", "Trump v. J.G.G.; A.A.R.P. v. Trump (2025); DESIGN.md §12.2")
    rows = _departures(session, scope)
    if not rows:
        return backdated, short
    departed = _recorded_departures(session)
    notices = _notices_recorded(session)
    all_holds = holds.all_holds(session)
    agreements = {a.ref: a for a in session.scalars(select(Agreement))}
    skew = timedelta(seconds=get_settings().clock_skew_seconds)
    for entry in rows:
        event = departed.get(entry.manifest_id)
        if event is None:
            continue
        day = event.occurred_at.date()
        ctx = context_for(agreements[entry.agreement_ref], day, all_holds)
        before = [n for n in notices.get(entry.public_id, []) if n[0] < event.seq]
        if event.recorded_at - event.occurred_at > skew:
            served = [n[1] for n in before if n[1] <= day]
            nomination = Nomination.model_validate(entry.data)
            failed = [g for g in (rules.notice(max(served) if served else None, day, ctx),
                                  rules.no_legal_hold(nomination, ctx),
                                  rules.non_refoulement(nomination, ctx))
                      if g.outcome is Outcome.FAIL]
            if failed:
                backdated.add(entry.public_id, event.seq,
                              f"{entry.public_id} on {entry.manifest_id}: departed_at {day}, "
                              f"recorded {event.recorded_at:%Y-%m-%d %H:%M} UTC; "
                              + "; ".join(f"{g.rule}: {g.message}" for g in failed))
        recorded = [n[2] for n in before]
        notice = rules.notice(max(recorded) if recorded else None, day, ctx)
        if notice.outcome is Outcome.FAIL:
            seqs = [n[0] for n in before]
            short.add(entry.public_id, seqs[-1] if seqs else event.seq,
                      f"{entry.public_id} on {entry.manifest_id} ({day}): "
                      + (f"notice recorded on {max(recorded)}, {notice.message}" if recorded
                         else "no notice recorded before the departure"))
    return backdated, short


def report(session: Session, on: date, *,
           family_contact_days: int = FAMILY_CONTACT_DAYS, at: datetime | None = None,
           scope: Scope = EVERYONE) -> Report:
    """report runs every check as of ON, from current state, over the people SCOPE may see
    (counts included: a scoped reader learns nothing of another state's people).
    Deadlines in hours are judged at AT: by default the end of ON, or now if ON is today."""
    moment = at or min(datetime.combine(on, time.max, UTC), utcnow())
    # The per-person checks read only the people they are about (not the ~15,000 held).
    people = scope.prisoners()
    transferees = _present(session, Prisoner.kind == "transferee", *people)
    despite, short = departure_breaches(session, scope)
    over, space = cell_breaches(session, scope)
    backdated, recorded_notice = time_breaches(session, scope)
    checks: Iterable[Callable[[], Line]] = (
        lambda: no_final_conviction(session, on, transferees),
        lambda: past_release_date(_present(session, Prisoner.release_date < on, *people), on),
        lambda: past_agreement_term(session, transferees, on),
        lambda: despite, lambda: short,
        lambda: overdue_returns(session, on, scope),
        lambda: death_without_investigation(session, scope),
        lambda: prolonged_solitary(session, on, scope),
        lambda: over, lambda: space,
        lambda: overdue_findings(session, on, scope),
        lambda: no_family_contact(session, on, family_contact_days, scope),
        lambda: late_notifications(session, moment, scope),
        lambda: duplicate_people(session, scope),
        lambda: late_entries(session, scope), lambda: backdated, lambda: recorded_notice,
    )
    return Report(on, _count(session, *people), [check() for check in checks])



def record_run(session: Session, result: Report, *, actor: str) -> int:
    """record_run puts what the report said on a day on the ledger (`integrity.recorded`).

    The payload keeps every line's count and drill-down and a SHA-256 of the
    whole report, so a monitor can later prove what it said that day.
    """
    body = result.as_dict()
    event = record_event(session, NewEvent(
        type="integrity.recorded", actor=actor, payload=IntegrityRecorded(
            as_of=result.as_of, report=body,
            sha256=hashlib.sha256(canonical_json(body)).hexdigest(),
            counts={line.check: line.count for line in result.lines})))
    return event.seq


def recorded_runs(session: Session, limit: int | None = None) -> list[IntegrityRun]:
    """recorded_runs: the runs recorded on the ledger, newest first (the latest LIMIT)."""
    return list(session.scalars(select(IntegrityRun).order_by(IntegrityRun.seq.desc())
                                .limit(limit)))
