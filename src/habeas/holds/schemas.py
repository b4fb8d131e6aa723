"""The court-order format (DESIGN.md §4) and how an order matches a person (pure)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from habeas.codes import CountryCode
from habeas.nominations.schemas import Nomination, StatusInSendingState, Text


class HoldKind(StrEnum):
    TRO = "tro"
    INJUNCTION = "injunction"
    STAY = "stay"
    WITHHOLDING_OF_REMOVAL = "withholding_of_removal"
    CAT_PROTECTION = "cat_protection"
    RETURN_ORDER = "return_order"


# Protection orders bar removal to a country (NON_REFOULEMENT); the rest are
# court orders that bar the transfer itself (NO_LEGAL_HOLD).
PROTECTION_KINDS = frozenset({HoldKind.WITHHOLDING_OF_REMOVAL, HoldKind.CAT_PROTECTION})


class Scope(BaseModel):
    """Scope: one person by external_ref, or a class by every field it names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_ref: Text | None = None
    nationality: CountryCode | None = None
    affiliation_group: Text | None = None
    status_in_sending_state: StatusInSendingState | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> Scope:
        if not any((self.external_ref, self.nationality, self.affiliation_group,
                    self.status_in_sending_state)):
            raise ValueError("scope must name an external_ref or a class field")
        if self.external_ref and any((self.nationality, self.affiliation_group,
                                      self.status_in_sending_state)):
            raise ValueError("scope names either one person (external_ref) or a class")
        return self

    def matches(self, nomination: Nomination) -> bool:
        """matches: the person by external_ref, or every class field this scope names.

        The scope alone: an external_ref is unique only within a sending state (DESIGN.md
        §4), so whether an order names a nomination is `Hold.binds`, which adds the state.
        """
        if self.external_ref is not None:
            return self.external_ref == nomination.external_ref
        person = nomination.person
        return ((self.nationality is None or self.nationality in person.nationalities)
                and (self.affiliation_group is None
                     or self.affiliation_group == nomination.affiliation.group)
                and (self.status_in_sending_state is None
                     or self.status_in_sending_state == person.status_in_sending_state))


class Hold(BaseModel):
    """Hold is a court order as registered (DESIGN.md §4 court-order format)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hold_ref: Annotated[str, Field(min_length=1, max_length=100)]
    court: Text
    kind: HoldKind
    issued: date
    expires: date | None = None
    scope: Scope
    bars_removal_to: Literal["any"] | list[CountryCode]
    lifted_on: date | None = Field(default=None, description="set by a later hold.lifted")
    party: CountryCode | None = Field(default=None, description=(
        "the issuing state: the sending state whose people the order names, recorded when "
        "it is registered (none on an order registered before issue 17 without one)"))

    @model_validator(mode="after")
    def _expires_after_issue(self) -> Hold:
        if self.expires is not None and self.expires < self.issued:
            raise ValueError("expires is before issued")
        return self

    def active_on(self, day: date) -> bool:
        """active_on: from issued through expires inclusive (null: until lifted)."""
        if day < self.issued or (self.expires is not None and day > self.expires):
            return False
        return self.lifted_on is None or day < self.lifted_on

    def binds(self, nomination: Nomination, sending_party: str | None) -> bool:
        """binds: this order names NOMINATION, made by SENDING_PARTY — its scope matches and
        the nomination is the issuing state's.

        A court binds the state before it: a US court's stay for US reference "X" says
        nothing of Costa Rica's "X" (an external_ref is unique only per sending party,
        DESIGN.md §4), and a class it names is that state's class. An order with no
        recorded state (registered before the state was recorded), or a nomination whose
        state is not known, is matched by scope alone: when in doubt, the order binds.
        """
        if (self.party is not None and sending_party is not None
                and self.party != sending_party):
            return False
        return self.scope.matches(nomination)

    def bars_removal_to_country(self, country: str) -> bool:
        return self.bars_removal_to == "any" or country in self.bars_removal_to
