"""One pure function per eligibility rule (DESIGN.md §4). Data in, decision out.

Each rule takes the nomination and the screening context (the as-of date, the
receiving state, the rule's parameters, the court orders) and returns a
RuleResult citing its source. No rule reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from habeas.holds.schemas import PROTECTION_KINDS, Hold
from habeas.nominations.schemas import AppealStatus, Conviction, Nomination, SentenceKind
from habeas.people.mrz import MrzError, parse
from habeas.screening.catalogue import RULES
from habeas.sentences.expiry import sentence_expiry

ADULT_AGE = 18


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    REVIEW = "review"


@dataclass(frozen=True)
class RuleResult:
    rule: str
    outcome: Outcome
    message: str
    citation: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "outcome": self.outcome.value, "message": self.message,
                "citation": self.citation}


@dataclass(frozen=True)
class Context:
    """Context is everything a rule may know besides the nomination."""

    as_of: date
    receiving_party: str
    params: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    holds: Sequence[Hold] = ()
    offence_table: Mapping[str, str] | None = None  # sending code → receiving offence
    # The state that nominated the person: a court order binds only its issuing state's
    # people (Hold.binds). None: not known, and every order matching by scope binds.
    sending_party: str | None = None


def _result(rule: str, outcome: Outcome, message: str) -> RuleResult:
    return RuleResult(rule, outcome, message, RULES[rule].citation)


def _param(ctx: Context, rule: str, name: str) -> int:
    return ctx.params.get(rule, {}).get(name, RULES[rule].params[name])


def _custodial(nomination: Nomination) -> list[Conviction]:
    return [c for c in nomination.convictions if c.sentence.is_custodial]


def convicted(n: Nomination, ctx: Context) -> RuleResult:
    """CONVICTED — at least one conviction with a custodial sentence.

    The offer's own term ("only convicted criminals"); ETS 112 art. 3(1)(b); US IPTP req. 3.
    Alleged membership of a group is never a conviction.
    """
    relied_on = _custodial(n)
    if relied_on:
        return _result("CONVICTED", Outcome.PASS,
                       f"{len(relied_on)} conviction(s) with a custodial sentence")
    return _result("CONVICTED", Outcome.FAIL, "no conviction with a custodial sentence")


def final_judgment(n: Nomination, ctx: Context) -> RuleResult:
    """FINAL_JUDGMENT — no conviction relied on is under appeal (ETS 112 art. 3(1)(b))."""
    relied_on = _custodial(n)
    pending = [c.case_number for c in relied_on if c.appeal_status is AppealStatus.PENDING]
    if pending:
        return _result("FINAL_JUDGMENT", Outcome.FAIL,
                       f"appeal pending in {', '.join(pending)}")
    unknown = [c.case_number for c in relied_on if c.appeal_status is AppealStatus.UNKNOWN]
    if unknown:
        return _result("FINAL_JUDGMENT", Outcome.REVIEW,
                       f"appeal status unknown in {', '.join(unknown)}")
    if not relied_on:
        return _result("FINAL_JUDGMENT", Outcome.FAIL, "no judgment to be final")
    return _result("FINAL_JUDGMENT", Outcome.PASS, "every conviction relied on is final")


def min_remaining(n: Nomination, ctx: Context) -> RuleResult:
    """MIN_REMAINING — enough left to serve at the as-of date (ETS 112 art. 3(1)(c)).

    Expiry per DESIGN.md §5 without good-conduct credit; life and indeterminate pass.
    """
    needed = _param(ctx, "MIN_REMAINING", "days")
    relied_on = _custodial(n)
    if any(c.sentence.kind is not SentenceKind.DETERMINATE for c in relied_on):
        return _result("MIN_REMAINING", Outcome.PASS, "life or indeterminate sentence")
    if not relied_on:
        return _result("MIN_REMAINING", Outcome.FAIL, "no sentence to serve")
    expiries = [sentence_expiry(c.sentence_start, c.sentence.years, c.sentence.months,
                                c.sentence.days, c.credited_days).date for c in relied_on]
    latest = max(expiries)
    left = (latest - ctx.as_of).days
    outcome = Outcome.PASS if left >= needed else Outcome.FAIL
    return _result("MIN_REMAINING", outcome,
                   f"{left} day(s) left to {latest.isoformat()}; {needed} required")


def nationality(n: Nomination, ctx: Context) -> RuleResult:
    """NATIONALITY — a national of the receiving state (ETS 112 art. 3(1)(a))."""
    if ctx.receiving_party in n.person.nationalities:
        return _result("NATIONALITY", Outcome.PASS, f"national of {ctx.receiving_party}")
    return _result("NATIONALITY", Outcome.FAIL, f"not a national of {ctx.receiving_party}")


def consent(n: Nomination, ctx: Context) -> RuleResult:
    """CONSENT — the person's recorded, informed consent (ETS 112 art. 3(1)(d), art. 7).

    Given → pass; a recorded refusal (given false, with its date) → fail;
    nothing recorded → review.
    """
    if n.consent.given is True:
        return _result("CONSENT", Outcome.PASS, "consent recorded")
    if n.consent.given is False and n.consent.date is not None:
        return _result("CONSENT", Outcome.FAIL,
                       f"consent refused on {n.consent.date.isoformat()}")
    return _result("CONSENT", Outcome.REVIEW, "no consent recorded")


def dual_criminality(n: Nomination, ctx: Context) -> RuleResult:
    """DUAL_CRIMINALITY — every offence is an offence in the receiving state (ETS 112 3(1)(e))."""
    if ctx.offence_table is None:
        return _result("DUAL_CRIMINALITY", Outcome.REVIEW,
                       "the agreement has no offence table: a person must compare")
    unmapped = [c.offense_code for c in n.convictions if c.offense_code not in ctx.offence_table]
    if unmapped:
        return _result("DUAL_CRIMINALITY", Outcome.FAIL,
                       f"no equivalent offence for {', '.join(unmapped)}")
    return _result("DUAL_CRIMINALITY", Outcome.PASS, "every offence has an equivalent")


def no_pending_charges(n: Nomination, ctx: Context) -> RuleResult:
    """NO_PENDING_CHARGES — no open charges in the sending state (US IPTP req. 7)."""
    if n.pending_charges:
        return _result("NO_PENDING_CHARGES", Outcome.FAIL,
                       f"{len(n.pending_charges)} charge(s) pending")
    return _result("NO_PENDING_CHARGES", Outcome.PASS, "no charges pending")


def eighteenth_birthday(born: date) -> date:
    """eighteenth_birthday; someone born on 29 February comes of age on 1 March in a common
    year (the later date: no one is treated as an adult a day early)."""
    try:
        return born.replace(year=born.year + ADULT_AGE)
    except ValueError:
        return date(born.year + ADULT_AGE, 3, 1)


def adult(n: Nomination, ctx: Context) -> RuleResult:
    """ADULT — 18 or older on the as-of date (CRC art. 37; Mandela Rule 11(d))."""
    of_age = eighteenth_birthday(n.person.date_of_birth)
    if of_age <= ctx.as_of:
        return _result("ADULT", Outcome.PASS, f"18 on {of_age.isoformat()}")
    return _result("ADULT", Outcome.FAIL, f"a minor until {of_age.isoformat()}")


def identity(n: Nomination, ctx: Context) -> RuleResult:
    """IDENTITY — an identity document; an MRZ, when present, passes ICAO 9303 check digits.

    Mandela Rule 7(a): nobody is received without a valid commitment and identity.
    """
    if not n.person.documents:
        return _result("IDENTITY", Outcome.FAIL, "no identity document")
    for i, document in enumerate(n.person.documents):
        if document.mrz is None:
            continue
        try:
            problems = parse(document.mrz).problems
        except MrzError as exc:
            return _result("IDENTITY", Outcome.FAIL, f"document {i + 1}: unreadable MRZ: {exc}")
        if problems:
            return _result("IDENTITY", Outcome.FAIL, f"document {i + 1}: MRZ "
                           + "; ".join(p.message for p in problems))
    return _result("IDENTITY", Outcome.PASS, f"{len(n.person.documents)} document(s)")


def _barring_holds(n: Nomination, ctx: Context, protection: bool) -> list[Hold]:
    return [h for h in ctx.holds
            if (h.kind in PROTECTION_KINDS) == protection and h.active_on(ctx.as_of)
            and h.binds(n, ctx.sending_party) and h.bars_removal_to_country(ctx.receiving_party)]


def no_legal_hold(n: Nomination, ctx: Context) -> RuleResult:
    """NO_LEGAL_HOLD — no active court order bars this transfer (J.G.G. v. Trump, 2025)."""
    barring = _barring_holds(n, ctx, protection=False)
    if barring:
        return _result("NO_LEGAL_HOLD", Outcome.FAIL,
                       "barred by " + ", ".join(f"{h.kind.value} {h.hold_ref}" for h in barring))
    return _result("NO_LEGAL_HOLD", Outcome.PASS, "no active court order bars the transfer")


def non_refoulement(n: Nomination, ctx: Context) -> RuleResult:
    """NON_REFOULEMENT — no protection order bars removal to the receiving country.

    Noem v. Abrego Garcia (2025); Convention against Torture art. 3.
    """
    barring = _barring_holds(n, ctx, protection=True)
    if barring:
        return _result("NON_REFOULEMENT", Outcome.FAIL,
                       f"protected from removal to {ctx.receiving_party} by "
                       + ", ".join(f"{h.kind.value} {h.hold_ref}" for h in barring))
    return _result("NON_REFOULEMENT", Outcome.PASS,
                   f"no order bars removal to {ctx.receiving_party}")


def notice(served_on: date | None, departure: date, ctx: Context) -> RuleResult:
    """NOTICE — written notice in the person's language served ≥ N days before departure.

    Trump v. J.G.G.; A.A.R.P. v. Trump (2025). Checked again at departure.
    """
    days = _param(ctx, "NOTICE", "days")
    if served_on is None:
        return _result("NOTICE", Outcome.FAIL, "no notice served")
    given = (departure - served_on).days
    outcome = Outcome.PASS if given >= days else Outcome.FAIL
    return _result("NOTICE", outcome, f"notice served {given} day(s) before departure;"
                                      f" {days} required")


def quota(accepted: int, cap: int | None) -> RuleResult:
    """QUOTA — the agreement's person cap is not exceeded (the 2025 memo: ~300 people)."""
    if cap is None or accepted < cap:
        return _result("QUOTA", Outcome.PASS, f"{accepted} of {cap or 'no cap'} places used")
    return _result("QUOTA", Outcome.FAIL, f"quota of {cap} reached")


def capacity(free_places: int) -> RuleResult:
    """CAPACITY — forecast free places at the facility on the transfer date (DESIGN.md §7)."""
    if free_places > 0:
        return _result("CAPACITY", Outcome.PASS, f"{free_places} place(s) forecast free")
    return _result("CAPACITY", Outcome.FAIL, "no forecast free place")


Rule = Callable[[Nomination, Context], RuleResult]

# The rules run when a nomination is imported (issue 4); QUOTA and CAPACITY run at
# acceptance, NOTICE at departure, with their own inputs.
PERSON_RULES: dict[str, Rule] = {
    "CONVICTED": convicted,
    "FINAL_JUDGMENT": final_judgment,
    "MIN_REMAINING": min_remaining,
    "NATIONALITY": nationality,
    "CONSENT": consent,
    "DUAL_CRIMINALITY": dual_criminality,
    "NO_PENDING_CHARGES": no_pending_charges,
    "ADULT": adult,
    "IDENTITY": identity,
    "NO_LEGAL_HOLD": no_legal_hold,
    "NON_REFOULEMENT": non_refoulement,
}
