"""Custody formats: a domestic prisoner (bulk population file) and the intake record."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from habeas.codes import LanguageCode
from habeas.nominations.schemas import AffiliationBasis

Text = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(max_length=5_000)]
LocalRef = Annotated[str, Field(min_length=1, max_length=64,
                                pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
LegalStatus = Literal["convicted", "untried"]
SecurityLevel = Literal["low", "medium", "high", "maximum"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Affiliation(Strict):
    """Affiliation as classified: the group, on what basis, and who says so.

    An affiliation based only on tattoos is shown as such, never as a fact: the
    basis travels with the group everywhere it is shown.
    """

    group: Text | None = None
    basis: AffiliationBasis = AffiliationBasis.NONE
    source: Text | None = None

    @model_validator(mode="after")
    def _basis_needs_group(self) -> Affiliation:
        if self.group is None and self.basis is not AffiliationBasis.NONE:
            raise ValueError("basis given without a group")
        if self.group is not None and self.basis is AffiliationBasis.NONE:
            raise ValueError("a group needs its basis (conviction, self_declared, "
                             "intelligence or tattoo)")
        return self


class DomesticPrisoner(Strict):
    """DomesticPrisoner is one line of `habeas population import`: what housing needs."""

    local_ref: LocalRef
    family_name: Text
    given_names: Text
    date_of_birth: date
    sex: Literal["M", "F", "X"]
    legal_status: LegalStatus
    affiliation: Affiliation = Affiliation()
    security_level: SecurityLevel | None = None
    admitted_on: date
    building: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    cell: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _cell_with_building(self) -> DomesticPrisoner:
        if self.cell is not None and self.building is None:
            raise ValueError("a cell needs its building (give a building alone and habeas "
                             "chooses the cell, or neither and habeas chooses both)")
        return self


class PropertyItem(Strict):
    description: Text
    quantity: int = Field(default=1, ge=1, le=10_000)
    stored: bool = True


class Contact(Strict):
    name: Text
    relationship: Text
    phone: Text | None = None
    email: Text | None = None
    emergency: bool = False


class IntakeIn(Strict):
    """IntakeIn is the admission record of Mandela Rule 7 (and 30 on examination)."""

    document_checked: Text  # which document was checked, e.g. "passport A1234567"
    biometric_sha256: Sha256 | None = None
    visible_injuries: LongText = ""
    ill_treatment_complaint: LongText = ""  # complaints of prior ill-treatment, in their words
    property: list[PropertyItem] = []
    contacts: list[Contact] = []
    language: LanguageCode
    medical_flags: list[Annotated[str, Field(min_length=1, max_length=100)]] = []
    security_level: SecurityLevel
    affiliation: Affiliation = Affiliation()
    legal_status: LegalStatus = "convicted"
    # The person's own request not to tell their contacts of admission, transfer or a serious
    # illness or injury (Mandela Rules 68, 69: respected; a death is told all the same).
    do_not_notify: bool = False
    # Consular notification is at the person's request (VCCR art. 36(1)(b)): they may
    # decline it. A death is notified all the same (art. 37(a)).
    do_not_notify_consulate: bool = False
