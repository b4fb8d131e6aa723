"""Release dates (pure): DESIGN.md §5, every date with its working.

For one person: each conviction's term runs from its own start (concurrent) or
from the day after the previous conviction's expiry (consecutive); the sentence
expiry is the latest. Good-conduct credit under the sending state's rule set
gives the projected release; the release date is that day, or the sending
state's last working day before it — earlier, never later. Life and
indeterminate sentences have no date. The decisions are docs/adr/0010.

No clock, no database, no web: data in, dates out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from habeas.agreements.terms import add_months
from habeas.errors import ValidationFailed
from habeas.sentences.calendars import WorkingDays, calendar_for, last_working_day
from habeas.sentences.expiry import add_term, sentence_expiry
from habeas.sentences.schemas import (
    ComputeResponse,
    ConvictionIn,
    GoodConductRules,
    PersonIn,
    PersonResult,
    Problem,
    Relation,
    SentenceIn,
)
from habeas.validation import all_problems

CREDIT_EXCEEDS_TERM = "credit_exceeds_term"
RELEASE_IMMEDIATELY = "release_immediately"
US_FEDERAL_DAYS_PER_YEAR = 54  # 18 U.S.C. § 3624(b)(1): "up to 54 days for each year"
LATEST_DATE = date(9000, 1, 1)  # far beyond any real term; keeps date arithmetic in range


class InputProblem(Exception):
    """InputProblem is input that validates field by field but cannot be computed."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Term:
    """Term is one conviction's term as it runs: its first day and its last (after credit)."""

    number: int  # 1-based, as the working names it
    start: date
    expiry: date
    credit_exceeds_term: bool
    working: tuple[str, ...]


@dataclass
class _Working:
    steps: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)


# --- Terms -----------------------------------------------------------------------------------

def check_relations(convictions: Sequence[ConvictionIn]) -> None:
    """check_relations refuses a consecutive first conviction: there is no expiry to follow."""
    if convictions[0].relation is Relation.CONSECUTIVE:
        raise InputProblem("convictions.0.relation", "the first conviction cannot be"
                           " consecutive: there is no previous conviction for it to follow")


def term_start(conviction: ConvictionIn, number: int, previous: Term | None) -> tuple[date, str]:
    """term_start is where a term begins: its own start, or the day after the previous expiry.

    A consecutive term imposed after the previous term had already ended cannot
    follow it: that ordering (an end before a start) is refused, not guessed at.
    """
    if conviction.relation is Relation.CONCURRENT or previous is None:
        start = conviction.sentence_start
        return start, f"conviction {number} (concurrent): runs from its own start {start}"
    start = previous.expiry + timedelta(days=1)
    if conviction.sentence_start > start:
        raise InputProblem(
            f"convictions.{number - 1}.sentence_start",
            f"{conviction.sentence_start} is after conviction {previous.number} ended"
            f" ({previous.expiry}): a consecutive term cannot follow a term that had already"
            " ended; make it concurrent")
    return start, (f"conviction {number} (consecutive): runs from the day after conviction"
                   f" {previous.number}'s expiry, {start}")


def serve_term(conviction: ConvictionIn, number: int, previous: Term | None) -> Term:
    """serve_term computes one conviction's term: start + term − 1 day − credited days.

    Credit that covers the whole term leaves nothing to serve: the expiry is
    taken as the day before the term's start (flag credit_exceeds_term), so a
    consecutive term after it starts where this one would have.
    """
    start, how = term_start(conviction, number, previous)
    s = conviction.sentence
    end = add_term(start, s.years, s.months, s.days)
    if end >= LATEST_DATE:
        raise InputProblem(f"convictions.{number - 1}.sentence",
                           f"the term would end in {end.year}")
    expiry = sentence_expiry(start, s.years, s.months, s.days, conviction.credited_days)
    working = [how, *(f"conviction {number}: {line}" for line in expiry.working)]
    term_days = (end - start).days
    exceeds = conviction.credited_days >= term_days
    last_day = expiry.date
    if exceeds:
        last_day = start - timedelta(days=1)
        working.append(f"conviction {number}: {conviction.credited_days} credited day(s) cover"
                       f" the whole {term_days}-day term, so nothing is left to serve: its"
                       f" expiry is taken as the day before its start, {last_day}"
                       f" ({CREDIT_EXCEEDS_TERM})")
    return Term(number, start, last_day, exceeds, tuple(working))


@dataclass(frozen=True)
class Aggregate:
    """Aggregate is terms served as one (18 U.S.C. § 3584(c)): consecutive, or overlapping.

    It runs from its earliest start to the end of its terms as imposed
    (without credit, exclusive); its expiry is the latest after credit.
    """

    numbers: tuple[int, ...]
    start: date
    imposed_end: date
    expiry: date

    @property
    def name(self) -> str:
        """name is 'conviction 2' or 'convictions 1, 2 (aggregated)' as the working says it."""
        if len(self.numbers) == 1:
            return f"conviction {self.numbers[0]}"
        return f"convictions {', '.join(map(str, self.numbers))} (aggregated)"


def consecutive_chains(convictions: Sequence[ConvictionIn]) -> list[list[int]]:
    """consecutive_chains groups conviction indexes: each concurrent one and those after it.

    A consecutive conviction follows the previous one in list order, so it joins
    that conviction's chain; the terms of a chain are served back to back.
    """
    chains: list[list[int]] = []
    for index, conviction in enumerate(convictions):
        if conviction.relation is Relation.CONSECUTIVE and chains:
            chains[-1].append(index)
        else:
            chains.append([index])
    return chains


def term_imposed_end(start: date, sentences: Sequence[tuple[int, SentenceIn]]) -> date:
    """term_imposed_end is where SENTENCES end served back to back from START, without credit.

    Good-conduct credit is "for each year of the prisoner's sentence imposed by
    the court" (18 U.S.C. § 3624(b)(1)): the term imposed, not the time served,
    so credited days do not shorten it. SENTENCES are (conviction index, sentence).
    """
    end = start
    for index, s in sentences:
        end = add_term(end, s.years, s.months, s.days)
        if end >= LATEST_DATE:
            raise InputProblem(f"convictions.{index}.sentence",
                               f"the terms imposed would end in {end.year}")
    return end


def aggregate_terms(convictions: Sequence[ConvictionIn], terms: Sequence[Term]
                    ) -> list[Aggregate]:
    """aggregate_terms joins terms served as one: "Multiple terms of imprisonment ordered to run
    consecutively or concurrently shall be treated for administrative purposes as a single,
    aggregate term of imprisonment" (18 U.S.C. § 3584(c)).

    A consecutive chain is one aggregate; chains whose terms imposed overlap or
    abut join it. A term that begins after another aggregate has ended stands alone.
    """
    chains: list[Aggregate] = []
    for chain in consecutive_chains(convictions):
        start = terms[chain[0]].start
        end = term_imposed_end(start, [(i, convictions[i].sentence) for i in chain])
        chains.append(Aggregate(tuple(i + 1 for i in chain), start, end, terms[chain[-1]].expiry))
    merged: list[Aggregate] = []
    for each in sorted(chains, key=lambda c: c.start):
        if merged and each.start <= merged[-1].imposed_end:
            last = merged[-1]
            merged[-1] = Aggregate(tuple(sorted(last.numbers + each.numbers)), last.start,
                                   max(last.imposed_end, each.imposed_end),
                                   max(last.expiry, each.expiry))
        else:
            merged.append(each)
    return merged


# --- Good conduct ----------------------------------------------------------------------------

def whole_years(start: date, end: date) -> int:
    """whole_years counts the calendar years from START that fit before END (exclusive)."""
    years = max(0, end.year - start.year - 1)
    while add_months(start, 12 * (years + 1)) <= end:
        years += 1
    return years


def us_federal_credit(start: date, end: date, label: str) -> tuple[int, list[str]]:
    """us_federal_credit is the good-conduct credit for a term imposed from START to END.

    18 U.S.C. § 3624(b)(1), as amended by the First Step Act of 2018 § 102(b):
    "up to 54 days for each year of the prisoner's sentence imposed by the
    court", only for "a term of imprisonment of more than 1 year, other than a
    term of imprisonment for the duration of the prisoner's life". The final
    partial year is prorated over the length of that calendar year and rounded
    down: rounding never releases anyone early (docs/adr/0010).
    """
    span = f"{label}: term imposed {start} to {end - timedelta(days=1)}"
    if end <= add_months(start, 12):
        return 0, [f"good conduct, {span} is not more than one year: no credit"
                   " (18 U.S.C. § 3624(b)(1))"]
    years = whole_years(start, end)
    year_start, next_year = add_months(start, 12 * years), add_months(start, 12 * (years + 1))
    rest, year_length = (end - year_start).days, (next_year - year_start).days
    partial = US_FEDERAL_DAYS_PER_YEAR * rest // year_length
    credit = US_FEDERAL_DAYS_PER_YEAR * years + partial
    return credit, [
        f"good conduct, {span}: {years} whole year(s) and {rest} day(s), more than one year:"
        " up to 54 days for each year of the sentence imposed (18 U.S.C. § 3624(b)(1), First"
        " Step Act § 102(b))",
        f"good conduct, {label}: 54 × {years} = {US_FEDERAL_DAYS_PER_YEAR * years}, plus"
        f" ⌊54 × {rest} / {year_length}⌋ = {partial} for the partial year, = {credit} day(s)",
    ]


def good_conduct_credit(person: PersonIn, aggregate: Aggregate) -> tuple[int, list[str]]:
    """good_conduct_credit is an aggregate's credit under the person's rule set, less withheld.

    Days withheld for misconduct reduce the credit, never below zero (§ 3624(b)(1):
    "no such credit ... or such lesser credit as the Bureau determines").
    """
    if person.good_conduct is GoodConductRules.NONE:
        return 0, []
    credit, steps = us_federal_credit(aggregate.start, aggregate.imposed_end, aggregate.name)
    withheld = person.good_conduct_withheld_days
    if credit and withheld:
        net = max(0, credit - withheld)
        steps.append(f"good conduct, {aggregate.name}: {credit} − {withheld} withheld"
                     f" = {net} day(s)" + (" (never below zero)" if withheld > credit else ""))
        credit = net
    return credit, steps


def projected_release(person: PersonIn, terms: Sequence[Term], work: _Working
                      ) -> tuple[date, int]:
    """projected_release is the latest of the aggregates' expiries less their credit.

    Returns the date and the credit of the aggregate that governs it.
    """
    expiry = max(t.expiry for t in terms)
    if person.good_conduct is GoodConductRules.NONE:
        work.steps.append(f"good conduct: none (rule set 'none'): projected release = sentence"
                          f" expiry = {expiry}")
        return expiry, 0
    ends: list[tuple[date, int, str]] = []
    for aggregate in aggregate_terms(person.convictions, terms):
        credit, steps = good_conduct_credit(person, aggregate)
        work.steps += steps
        ends.append((aggregate.expiry - timedelta(days=credit), credit, aggregate.name))
        work.steps.append(f"{aggregate.name}: expiry {aggregate.expiry} − {credit} day(s)"
                          f" = {ends[-1][0]}")
    projected, credit, governing = max(ends, key=lambda end: end[0])
    work.steps.append(f"projected release: {projected}" + (
        f", the latest of the separate aggregates ({governing})" if len(ends) > 1 else ""))
    return projected, credit


# --- A person --------------------------------------------------------------------------------

def no_date_reason(person: PersonIn) -> str | None:
    """no_date_reason names the life or indeterminate conviction that leaves no date."""
    for number, conviction in enumerate(person.convictions, start=1):
        if not conviction.sentence.has_date:
            kind = conviction.sentence.kind.value
            return (f"conviction {number} is {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
                    " sentence: no sentence expiry and no release date (DESIGN.md §5)")
    return None


def compute_release(person: PersonIn,
                    calendar: Callable[[str, date], WorkingDays] = calendar_for
                    ) -> PersonResult:
    """compute_release computes a person's sentence expiry, projected release and release date."""
    check_relations(person.convictions)
    if (reason := no_date_reason(person)) is not None:
        return PersonResult(id=person.id, sentence_expiry=None, projected_release=None,
                            release_date=None, good_conduct_days=None, flags=[],
                            steps=[reason], errors=[])
    work = _Working()
    terms: list[Term] = []
    for number, conviction in enumerate(person.convictions, start=1):
        terms.append(serve_term(conviction, number, terms[-1] if terms else None))
        work.steps += terms[-1].working
        if terms[-1].credit_exceeds_term:
            work.flag(CREDIT_EXCEEDS_TERM)
    expiry = max(t.expiry for t in terms)
    latest = [t.number for t in terms if t.expiry == expiry]
    work.steps.append(f"sentence expiry: {expiry}, the latest expiry (conviction {latest[0]})")

    projected, credit = projected_release(person, terms, work)

    # No release before the latest sentence start (the computation's as-of): a
    # credit that covers everything means release at once, on that day.
    as_of = max(c.sentence_start for c in person.convictions)
    if projected < as_of:
        work.flag(RELEASE_IMMEDIATELY)
        work.steps.append(f"projected release {projected} is before {as_of}, the latest sentence"
                          f" start: release immediately, on {as_of} ({RELEASE_IMMEDIATELY})")
        projected = as_of
    release = release_date(projected, as_of, calendar(person.calendar, projected), work)
    return PersonResult(id=person.id, sentence_expiry=expiry, projected_release=projected,
                        release_date=release, good_conduct_days=credit, flags=work.flags,
                        steps=work.steps, errors=[])


def release_date(projected: date, as_of: date, days: WorkingDays, work: _Working) -> date:
    """release_date is the projected release, moved earlier to a working day, never later.

    DESIGN.md §5: "Release dates that fall on a weekend or holiday may move
    *earlier*, never later"; not before AS_OF, when custody under these sentences began.
    """
    release, moves = last_working_day(projected, as_of, days)
    work.steps += moves
    if (closed := days.closed_because(release)) is not None:
        work.steps.append(f"release date: {release} though it is {closed}: no release comes"
                          f" before {as_of}, the latest sentence start")
    elif release != projected:
        work.steps.append(f"release date: {release}, the last working day in {days.code} before"
                          f" {projected} (earlier, never later)")
    else:
        work.steps.append(f"release date: {release}, a working day in {days.code}")
    return release


# --- A document ------------------------------------------------------------------------------

def _person_id(raw: Any) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _failed(person_id: str | None, errors: list[Problem]) -> PersonResult:
    return PersonResult(id=person_id, sentence_expiry=None, projected_release=None,
                        release_date=None, good_conduct_days=None, flags=[], steps=[],
                        errors=errors)


def compute_person(raw: Any, index: int) -> PersonResult:
    """compute_person validates and computes the INDEXth person; errors name JSON paths."""
    prefix = f"people.{index}"
    try:
        return compute_release(PersonIn.model_validate(raw))
    except ValidationError as exc:
        return _failed(_person_id(raw), [Problem.model_validate(p)
                                         for p in all_problems(exc, prefix)])
    except InputProblem as exc:
        return _failed(_person_id(raw), [Problem(field=f"{prefix}.{exc.field}",
                                                 problem=exc.problem)])


def people_of(document: Any) -> list[Any]:
    """people_of is the document's list of people, or a one-line error (not an object, no list)."""
    if not isinstance(document, dict):
        raise ValidationFailed('body: must be a JSON object {"people": [...]}',
                               details={"field": "body", "problem": "must be a JSON object"})
    for key in document:
        if key != "people":
            raise ValidationFailed(f"{key}: unknown key",
                                   details={"field": str(key), "problem": "unknown key"})
    people = document.get("people")
    if isinstance(people, list) and people:
        return people
    problem = ("required key is missing" if people is None
               else "must be a list of people" if not isinstance(people, list)
               else "give at least one person")
    raise ValidationFailed(f"people: {problem}", details={"field": "people", "problem": problem})


def compute_document(document: Any) -> ComputeResponse:
    """compute_document computes everyone; a bad person has errors and never stops the others."""
    return ComputeResponse(results=[compute_person(raw, i)
                                    for i, raw in enumerate(people_of(document))])


def require_one_computed(response: ComputeResponse) -> None:
    """require_one_computed fails the whole request (422) when nobody could be computed."""
    if any(not r.errors for r in response.results):
        return
    errors = [e.model_dump() for r in response.results for e in r.errors]
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise ValidationFailed(f"{first['field']}: {first['problem']}{more}",
                           details={**first, "errors": errors})
