"""Facility layouts as given in files and event payloads."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class CellIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    area_m2: float = Field(gt=0, le=10_000)
    cna: int = Field(ge=0)
    working_capacity: int = Field(ge=0)
    max_capacity: int = Field(ge=0)

    @model_validator(mode="after")
    def _working_within_max(self) -> CellIn:
        if self.working_capacity > self.max_capacity:
            raise ValueError("working_capacity must not exceed max_capacity")
        return self


class BuildingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    name: str = Field(min_length=1, max_length=300)
    cells: list[CellIn]

    @model_validator(mode="after")
    def _unique_cells(self) -> BuildingIn:
        codes = [cell.code for cell in self.cells]
        if len(codes) != len(set(codes)):
            raise ValueError(f"building {self.code}: cell codes must be unique")
        return self


class CapacityOut(BaseModel):
    signed_capacity: int
    population: int
    cells: int
    total_area_m2: float
    space_at_signed_m2: float | None
    space_now_m2: float | None
    compliant: dict[str, int]


class FacilityOut(BaseModel):
    code: str
    name: str
    country: str
    timezone: str
    address: str
    phone: str
    buildings: int
    capacity: CapacityOut
