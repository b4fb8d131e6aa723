"""The release-date computation's wire format (DESIGN.md §5): one file or API body in, results out.

In: {"people": [{"id", "calendar", "good_conduct", "good_conduct_withheld_days",
"convictions": [{"sentence": {"kind", "years", "months", "days"}, "sentence_start",
"credited_days", "relation"}]}]}. Out: {"results": [{"id", "sentence_expiry",
"release_date", "steps", ...}]}, dates ISO 8601 and null where there is no date.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from habeas.nominations.schemas import SentenceKind
from habeas.sentences.calendars import is_known_calendar

EARLIEST_START = date(1900, 1, 1)
LATEST_START = date(2200, 12, 31)
MAX_CONVICTIONS = 50


class GoodConductRules(StrEnum):
    """GoodConductRules names the sending state's good-conduct rule set (docs/adr/0010)."""

    NONE = "none"
    US_FEDERAL = "us-federal"  # 18 U.S.C. § 3624(b) as amended by the First Step Act of 2018


class Relation(StrEnum):
    """Relation says where a term starts: its own start, or after the previous conviction."""

    CONCURRENT = "concurrent"
    CONSECUTIVE = "consecutive"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SentenceIn(Strict):
    kind: SentenceKind
    years: int = Field(default=0, ge=0, le=200)
    months: int = Field(default=0, ge=0, le=2400)
    days: int = Field(default=0, ge=0, le=73_000)

    @model_validator(mode="after")
    def _has_a_term(self) -> Self:
        if self.kind is SentenceKind.DETERMINATE and (self.years, self.months, self.days) == (
                0, 0, 0):
            raise ValueError("a determinate sentence needs a term of at least one day")
        return self

    @property
    def has_date(self) -> bool:
        """has_date: only a determinate sentence ends on a date (DESIGN.md §5)."""
        return self.kind is SentenceKind.DETERMINATE

    @property
    def term(self) -> str:
        """term is the sentence as a judge states it, e.g. '5y 0m 0d'."""
        return f"{self.years}y {self.months}m {self.days}d"


class ConvictionIn(Strict):
    sentence: SentenceIn
    sentence_start: date
    credited_days: int = Field(default=0, ge=0, le=73_000)
    relation: Relation = Relation.CONCURRENT

    @field_validator("sentence_start")
    @classmethod
    def _plausible_start(cls, value: date) -> date:
        if not EARLIEST_START <= value <= LATEST_START:
            raise ValueError(f"must be between {EARLIEST_START} and {LATEST_START}")
        return value


class PersonIn(Strict):
    id: str = Field(min_length=1, max_length=100)
    calendar: str = Field(description="the sending state's public holidays: ISO 3166-1 alpha-2")
    good_conduct: GoodConductRules = GoodConductRules.NONE
    good_conduct_withheld_days: int = Field(default=0, ge=0, le=73_000)
    convictions: list[ConvictionIn] = Field(min_length=1, max_length=MAX_CONVICTIONS)

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        if not is_known_calendar(value):
            raise ValueError(f"unknown calendar {value!r}: give an ISO 3166-1 alpha-2 code"
                             " the holidays package knows (US is the federal calendar)")
        return value


class Problem(BaseModel):
    field: str = Field(description="a JSON path into the input, e.g. people.0.calendar")
    problem: str


class PersonResult(BaseModel):
    id: str | None
    sentence_expiry: date | None = Field(description="null for life, indeterminate or errors")
    projected_release: date | None = Field(description="the expiry less good-conduct credit")
    release_date: date | None = Field(description="moved earlier to a working day, never later")
    good_conduct_days: int | None
    flags: list[str] = Field(description="credit_exceeds_term, release_immediately")
    steps: list[str]
    errors: list[Problem]


class ComputeResponse(BaseModel):
    results: list[PersonResult]
