"""The screening engine: run the profile's rules, decide by the worst outcome (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from habeas.nominations.schemas import Nomination
from habeas.screening.catalogue import RULES
from habeas.screening.rules import PERSON_RULES, Context, Outcome, RuleResult


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    REVIEW = "review"
    INELIGIBLE = "ineligible"


@dataclass(frozen=True)
class Screening:
    decision: Decision
    results: tuple[RuleResult, ...]

    @property
    def reasons(self) -> list[RuleResult]:
        """reasons are the results that kept the person from being eligible."""
        return [r for r in self.results if r.outcome is not Outcome.PASS]


def decide(results: list[RuleResult]) -> Decision:
    """decide: ineligible if any rule fails, else review if any says review, else eligible."""
    outcomes = {r.outcome for r in results}
    if Outcome.FAIL in outcomes:
        return Decision.INELIGIBLE
    if Outcome.REVIEW in outcomes:
        return Decision.REVIEW
    return Decision.ELIGIBLE


def enabled_rules(profile_rules: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """enabled_rules: the profile's enabled person-level rules, and every always rule."""
    return [rule for rule in PERSON_RULES
            if RULES[rule].always or profile_rules.get(rule, {}).get("enabled", False)]


def screen(nomination: Nomination, profile_rules: Mapping[str, Mapping[str, Any]],
           ctx: Context) -> Screening:
    """screen runs every enabled person-level rule on NOMINATION as of ctx.as_of."""
    results = [PERSON_RULES[rule](nomination, ctx) for rule in enabled_rules(profile_rules)]
    return Screening(decide(results), tuple(results))
