"""The agreement file (TOML) and the rule profile inside it, validated key by key."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from habeas.codes import CountryCode, CurrencyCode
from habeas.screening.catalogue import RULES

Ref = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Text = Annotated[str, Field(min_length=1, max_length=300)]
MinorUnits = Annotated[int, Field(ge=0, le=10**15)]


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not an IANA time zone (e.g. 'America/El_Salvador')") from None
    return name


TimeZone = Annotated[str, AfterValidator(_check_timezone)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProfileInfo(Strict):
    name: Ref
    description: Text


class AgreementTerms(Strict):
    ref: Ref
    title: Text
    sending_party: CountryCode
    receiving_party: CountryCode
    currency: CurrencyCode
    starts_on: date
    term_months: int = Field(ge=1, le=600)
    renewable: bool
    quota: int | None = Field(default=None, ge=1)
    citizens_included: bool = Field(
        description="whether the sending state's own citizens may be nominated"
    )

    @model_validator(mode="after")
    def _two_states(self) -> AgreementTerms:
        if self.sending_party == self.receiving_party:
            raise ValueError("receiving_party must differ from sending_party")
        return self


class FacilityInfo(Strict):
    code: Ref
    name: Text
    country: CountryCode
    timezone: TimeZone
    address: Text
    phone: Text
    signed_capacity: int = Field(ge=1, le=1_000_000)


class FeeSchedule(Strict):
    """Money in integer minor units of the agreement's currency (DESIGN.md §8)."""

    effective_from: date
    annual_rate_minor: MinorUnits | None = None
    per_diem_minor: MinorUnits | None = None
    proration: Literal["actual", "365"] = "actual"
    intake_fee_minor: MinorUnits = 0
    medical_cap_minor: MinorUnits | None = None
    repatriation_cap_minor: MinorUnits | None = None
    # Which local dates of a stay are billed (billing/arithmetic.custody_days).
    convention: Literal["arrival_not_departure", "both", "midnight"] = "arrival_not_departure"

    @model_validator(mode="after")
    def _one_rate(self) -> FeeSchedule:
        if (self.annual_rate_minor is None) == (self.per_diem_minor is None):
            raise ValueError("give exactly one of annual_rate_minor and per_diem_minor")
        return self


class RuleSetting(Strict):
    enabled: bool
    days: int | None = Field(default=None, ge=0, le=36_500)


def _check_rules(rules: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
    for rule_id, setting in rules.items():
        spec = RULES.get(rule_id)
        if spec is None:
            raise ValueError(f"{rule_id!r} is not a rule; rules are {', '.join(RULES)}")
        if spec.always and not setting.enabled:
            raise ValueError(
                f"{rule_id} is an always rule ({spec.citation}) and cannot be disabled"
            )
        if setting.days is not None and "days" not in spec.params:
            raise ValueError(f"{rule_id} takes no 'days' parameter")
    return rules


class AgreementFile(Strict):
    """AgreementFile is the whole TOML document: profile, agreement, facility, fees, rules."""

    profile: ProfileInfo
    agreement: AgreementTerms
    facility: FacilityInfo
    fees: FeeSchedule
    rules: Annotated[dict[str, RuleSetting], AfterValidator(_check_rules)]

    @model_validator(mode="after")
    def _facility_in_receiving_state(self) -> AgreementFile:
        if self.facility.country != self.agreement.receiving_party:
            raise ValueError("facility.country must be the receiving party's country")
        return self

    def resolved_rules(self) -> dict[str, dict[str, Any]]:
        """resolved_rules lists every catalogued rule: on or off, with its parameters.

        A rule the file does not mention is off, unless it is an *always* rule,
        which is on whatever the file says (ADR 0005).
        """
        resolved: dict[str, dict[str, Any]] = {}
        for rule_id, spec in RULES.items():
            setting = self.rules.get(rule_id)
            enabled = spec.always or (setting is not None and setting.enabled)
            params = dict(spec.params)
            if setting is not None and setting.days is not None:
                params["days"] = setting.days
            resolved[rule_id] = {"enabled": enabled, "always": spec.always, **params}
        return resolved


class FeeScheduleOut(BaseModel):
    effective_from: date
    currency: str
    annual_rate_minor: int | None
    per_diem_minor: int | None
    proration: str
    intake_fee_minor: int
    medical_cap_minor: int | None
    repatriation_cap_minor: int | None = None
    convention: str = "arrival_not_departure"


class AgreementOut(BaseModel):
    """AgreementOut is an agreement as the API shows it."""

    ref: str
    title: str
    sending_party: str
    receiving_party: str
    facility_code: str
    currency: str
    starts_on: date
    ends_on: date
    term_months: int
    renewable: bool
    quota: int | None
    citizens_included: bool
    profile_name: str
    rules: dict[str, dict[str, Any]]
    fees: FeeScheduleOut | None
    registered_seq: int
