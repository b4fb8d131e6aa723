"""What an appearance and a withdrawal carry, and what is shown of them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from habeas.nominations.schemas import Text

Short = Annotated[str, Field(min_length=1, max_length=100)]


class Basis(StrEnum):
    """Basis: what makes counsel of record (DESIGN.md §12.1)."""

    COURT_CASE = "court_case"  # an appearance filed in a court case naming the person
    ENGAGEMENT = "engagement"  # the person's signed engagement of counsel


class AppearanceIn(BaseModel):
    """AppearanceIn names the person (public_id, or the sending state and its reference)
    and cites the case or the signed engagement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public_id: Annotated[str | None, Field(max_length=16)] = None
    sending_party: Annotated[str | None, Field(min_length=3, max_length=3)] = None
    external_ref: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    basis: Basis
    court: Text | None = None
    case_number: Short | None = None
    engagement: Annotated[str | None, Field(min_length=1, max_length=300,
                                            description="the signed engagement, as cited")
                          ] = None

    @model_validator(mode="after")
    def _cites_its_basis(self) -> AppearanceIn:
        if self.public_id is None and (self.sending_party is None or self.external_ref is None):
            raise ValueError("public_id: name the person (or sending_party and external_ref)")
        if self.basis is Basis.COURT_CASE and not (self.court and self.case_number):
            raise ValueError("case_number: an appearance in a court case cites the court "
                             "and the case number")
        if self.basis is Basis.ENGAGEMENT and not self.engagement:
            raise ValueError("engagement: cite the person's signed engagement")
        return self


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Annotated[str, Field(min_length=1, max_length=500)]


class AppearanceOut(BaseModel):
    seq: int
    public_id: str
    counsel: str
    counsel_name: str
    basis: Basis
    court: str | None
    case_number: str | None
    engagement: str | None
    appeared_at: datetime
    status: str = Field(description="active | withdrawn")
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
