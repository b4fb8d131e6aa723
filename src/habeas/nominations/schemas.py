"""The nomination format (DESIGN.md §4), validated field by field with JSON-path errors."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from habeas.codes import CountryCode, LanguageCode

Text = Annotated[str, Field(min_length=1, max_length=300)]
ExternalRef = Annotated[str, Field(min_length=1, max_length=64,
                                   pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusInSendingState(StrEnum):
    CITIZEN = "citizen"
    PERMANENT_RESIDENT = "permanent_resident"
    FOREIGN_NATIONAL = "foreign_national"
    STATELESS = "stateless"


class AppealStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    EXHAUSTED = "exhausted"
    UNKNOWN = "unknown"


class SentenceKind(StrEnum):
    DETERMINATE = "determinate"
    LIFE = "life"
    INDETERMINATE = "indeterminate"


class AffiliationBasis(StrEnum):
    CONVICTION = "conviction"
    SELF_DECLARED = "self_declared"
    INTELLIGENCE = "intelligence"
    TATTOO = "tattoo"
    NONE = "none"


class Document(Strict):
    type: Literal["passport", "national_id", "travel_document", "other"]
    number: Text
    country: CountryCode
    mrz: str | None = Field(default=None, max_length=200,
                            description="machine-readable zone, lines joined by \\n")


class Person(Strict):
    family_name: Text
    given_names: Text
    aliases: list[Text] = []
    date_of_birth: date
    sex: Literal["M", "F", "X"]
    country_of_birth: CountryCode
    nationalities: list[CountryCode]
    status_in_sending_state: StatusInSendingState
    language: LanguageCode
    documents: list[Document] = []


class Sentence(Strict):
    kind: SentenceKind
    years: int = Field(default=0, ge=0, le=200)
    months: int = Field(default=0, ge=0, le=2400)
    days: int = Field(default=0, ge=0, le=73_000)

    @property
    def is_custodial(self) -> bool:
        """is_custodial: life, indeterminate, or a determinate term longer than nothing."""
        return self.kind is not SentenceKind.DETERMINATE or \
            (self.years, self.months, self.days) != (0, 0, 0)


class Conviction(Strict):
    court: Text
    case_number: Text
    offense_code: Text
    offense: Text
    judgment_date: date
    appeal_status: AppealStatus
    sentence: Sentence
    sentence_start: date
    credited_days: int = Field(default=0, ge=0, le=73_000)


class PendingCharge(Strict):
    court: Text | None = None
    case_number: Text | None = None
    offense: Text | None = None
    filed: date | None = Field(default=None, description="when the charge was filed")


class Affiliation(Strict):
    group: Text | None = None
    basis: AffiliationBasis = AffiliationBasis.NONE


Day = date  # the consent field below is named "date"; annotations need the type by another name


class Consent(Strict):
    given: bool | None = None
    date: Day | None = None


class NextOfKin(Strict):
    name: Text
    relationship: Text
    phone: Text | None = None
    email: Text | None = None


class Counsel(Strict):
    name: Text
    bar_number: Text | None = None
    phone: Text | None = None
    email: Text | None = None


class Nomination(Strict):
    """Nomination is one person proposed for transfer, exactly as DESIGN.md §4 specifies."""

    external_ref: ExternalRef
    person: Person
    convictions: list[Conviction]
    pending_charges: list[PendingCharge] = []
    affiliation: Affiliation = Affiliation()
    # Null or absent: nothing recorded, which the CONSENT rule sends to review (a person
    # must ask), never a malformed nomination (ETS 112 art. 3(1)(d); issue 17).
    consent: Consent = Consent()
    next_of_kin: list[NextOfKin] = []
    counsel: Counsel | None = None
    requested_transfer_date: date | None = None

    @field_validator("consent", mode="before")
    @classmethod
    def _no_consent_recorded(cls, value: object) -> object:
        return Consent() if value is None else value

    @model_validator(mode="after")
    def _dates_make_sense(self) -> Nomination:
        for i, conviction in enumerate(self.convictions):
            if conviction.judgment_date < self.person.date_of_birth:
                raise ValueError(f"convictions.{i}.judgment_date is before the date of birth")
        for i, charge in enumerate(self.pending_charges):
            if charge.filed is not None and charge.filed < self.person.date_of_birth:
                raise ValueError(f"pending_charges.{i}.filed is before the date of birth")
        return self
