"""Transfer formats: a manifest's legs and people, departure, handover."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Text = Annotated[str, Field(min_length=1, max_length=300)]
PublicId = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Z0-9]+$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leg(Strict):
    """Leg is one flight or escorted road movement."""

    mode: Literal["flight", "road"]
    carrier: Text
    number: Annotated[str, Field(max_length=32)] | None = None  # flight number, convoy id
    origin: Text
    destination: Text
    departs_at: AwareDatetime
    arrives_at: AwareDatetime

    @model_validator(mode="after")
    def _arrives_after_departing(self) -> Leg:
        if self.arrives_at <= self.departs_at:
            raise ValueError("arrives_at must be after departs_at")
        return self


class ManifestIn(Strict):
    """ManifestIn plans a movement: its legs in order and the accepted people on it."""

    legs: list[Leg] = Field(min_length=1, max_length=10)
    people: list[PublicId] = Field(min_length=1, max_length=5_000)

    @model_validator(mode="after")
    def _legs_connect(self) -> ManifestIn:
        for i, (before, after) in enumerate(zip(self.legs, self.legs[1:], strict=False)):
            if after.origin != before.destination:
                raise ValueError(f"leg {i + 2} leaves from {after.origin!r}, not from "
                                 f"{before.destination!r} where leg {i + 1} arrives")
            if after.departs_at < before.arrives_at:
                raise ValueError(f"leg {i + 2} departs before leg {i + 1} arrives")
        if len(set(self.people)) != len(self.people):
            raise ValueError("a person is listed twice")
        return self

    @property
    def departs_at(self) -> datetime:
        return self.legs[0].departs_at


class HandoverPartIn(Strict):
    """HandoverPartIn: one state's own part of a handover or handback — the person and the
    moment. The officer is whoever is logged in (never a name typed by the other side);
    the biometric reference is the sending state's, given with its part of a handover."""

    public_id: PublicId
    handed_over_at: AwareDatetime
    biometric_reference_sha256: Sha256 | None = None
    # Whose part this is; if given it must be the user's own state's (checked by the
    # service): a state never records the other state's part.
    side: Literal["sending", "receiving"] | None = None
    late_reason: str | None = Field(
        default=None, min_length=1, max_length=500,
        description="why this part is recorded past its late window (DESIGN.md §12.2); "
        "public, in the ledger leaf: name no person")


class HandoverIn(Strict):
    """HandoverIn: one person passes from the sending state's officer to the facility's
    (both parts recorded; what the custody events carry)."""

    public_id: PublicId
    sending_officer: Text
    receiving_officer: Text
    handed_over_at: AwareDatetime
    biometric_reference_sha256: Sha256 | None = None
