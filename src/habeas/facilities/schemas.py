"""Facility layouts as given in files (TOML or JSON) and event payloads.

A facility file:

    [facility]            # as in an agreement file; signed_capacity must match the record
    code = "CECOT" ...
    [separation]
    rival_level = "BUILDING"            # or "CELL"
    rivalries = [["MS-13", "18S"], ...]  # groups kept apart
    [[buildings]]
    code = "M1"  name = "Módulo 1"  sex = "M"  attributes = {...}
    [[buildings.cells]]                  # one cell …
    code = "1-01"  area_m2 = 100.0  cna = 20  working_capacity = 80  max_capacity = 156
    [[buildings.cell_series]]            # … or a run of identical cells: 1-01 … 1-32
    prefix = "1-"  first = 1  count = 32  width = 2  area_m2 = 100.0 ...

The numbered rules (FAC-001 working ≤ max, FAC-004 area > 0) are checked by the
service, so each breach gets its own stable code rather than a generic one.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from habeas.agreements.schemas import FacilityInfo

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Group = Annotated[str, Field(min_length=1, max_length=100)]
AttributeValue = str | int | float | bool
Attributes = dict[Annotated[str, Field(min_length=1, max_length=64)], AttributeValue]
Level = Literal["CELL", "BUILDING"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CellIn(Strict):
    code: Code
    area_m2: float = Field(le=10_000)
    cna: int = Field(ge=0, le=100_000)
    working_capacity: int = Field(ge=0, le=100_000)
    max_capacity: int = Field(ge=0, le=100_000)
    active: bool = True
    attributes: Attributes = {}

    @field_validator("area_m2")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number of square metres")
        return value


class CellSeries(Strict):
    """CellSeries is COUNT identical cells numbered PREFIX+FIRST … (zero-padded to WIDTH)."""

    prefix: str = Field(default="", max_length=32)
    first: int = Field(default=1, ge=0)
    count: int = Field(ge=1, le=10_000)
    width: int = Field(default=2, ge=1, le=6)
    area_m2: float = Field(le=10_000)
    cna: int = Field(ge=0, le=100_000)
    working_capacity: int = Field(ge=0, le=100_000)
    max_capacity: int = Field(ge=0, le=100_000)
    active: bool = True
    attributes: Attributes = {}

    def cells(self) -> list[dict[str, Any]]:
        shared = self.model_dump(exclude={"prefix", "first", "count", "width"})
        return [{"code": f"{self.prefix}{n:0{self.width}d}", **shared}
                for n in range(self.first, self.first + self.count)]


class BuildingIn(Strict):
    code: Code
    name: str = Field(min_length=1, max_length=300)
    sex: Literal["M", "F"] | None = None
    attributes: Attributes = {}
    cells: list[CellIn] = []

    @model_validator(mode="before")
    @classmethod
    def _expand_series(cls, data: Any) -> Any:
        if isinstance(data, dict) and "cell_series" in data:
            data = dict(data)
            series = data.pop("cell_series")
            if not isinstance(series, list):
                raise ValueError("cell_series must be a list of tables")
            expanded = [cell for s in series for cell in CellSeries.model_validate(s).cells()]
            data["cells"] = [*data.get("cells", []), *expanded]
        return data

    @model_validator(mode="after")
    def _unique_cells(self) -> BuildingIn:
        codes = [cell.code for cell in self.cells]
        if len(codes) != len(set(codes)):
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            raise ValueError(f"building {self.code}: cell code(s) repeated: {', '.join(dupes)}")
        return self


class Separation(Strict):
    """Separation: which groups are rivals and at which level they are kept apart."""

    rival_level: Level = "CELL"
    rivalries: list[tuple[Group, Group]] = []

    @field_validator("rivalries")
    @classmethod
    def _distinct(cls, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for a, b in pairs:
            if a == b:
                raise ValueError(f"a group cannot be its own rival ({a!r})")
        return pairs


class FacilityFile(Strict):
    facility: FacilityInfo
    separation: Separation = Separation()
    buildings: list[BuildingIn] = []

    @model_validator(mode="after")
    def _unique_buildings(self) -> FacilityFile:
        codes = [b.code for b in self.buildings]
        if len(codes) != len(set(codes)):
            raise ValueError("building codes must be unique")
        return self


class CellOut(BaseModel):
    building: str
    code: str
    area_m2: float
    cna: int
    working_capacity: int
    max_capacity: int
    active: bool
    attributes: dict[str, AttributeValue]
    occupants: int
    utilisation: float | None
    space_per_person_m2: float | None
    meets: dict[str, bool]


class CapacityOut(BaseModel):
    signed_capacity: int
    population: int
    cells: int
    total_area_m2: float
    max_capacity: int
    space_at_signed_m2: float | None
    space_now_m2: float | None
    compliant: dict[str, int]
    cells_below: dict[str, int]


class FacilityOut(BaseModel):
    code: str
    name: str
    country: str
    timezone: str
    address: str
    phone: str
    buildings: int
    separation: Separation
    capacity: CapacityOut


class ForecastOut(BaseModel):
    facility: str
    on: str
    signed_capacity: int
    population: int
    scheduled_arrivals: int
    scheduled_departures: int
    free_places: int
