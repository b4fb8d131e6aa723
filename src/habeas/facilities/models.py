"""Current-state tables of facilities (written only by facilities/projections.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base, UTCDateTime


class Facility(Base):
    """Facility is a prison with its signed operational capacity."""

    __tablename__ = "facility"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str] = mapped_column(String(300))
    signed_capacity: Mapped[int] = mapped_column(Integer)
    # {"rivalries": [["MS-13", "18S"], ...], "rival_level": "CELL" | "BUILDING"}
    separation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class Building(Base):
    """Building is a module of a facility."""

    __tablename__ = "building"

    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # The sex the building is designated for (women entirely apart, Mandela Rule 11(a)).
    sex: Mapped[str | None] = mapped_column(String(1))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class Cell(Base):
    """Cell is a room with its floor area and its three capacities."""

    __tablename__ = "cell"
    __table_args__ = (
        ForeignKeyConstraint(
            ["facility_code", "building_code"], ["building.facility_code", "building.code"]
        ),
    )

    facility_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    building_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    area_m2: Mapped[float] = mapped_column(Float)
    cna: Mapped[int] = mapped_column(Integer)
    working_capacity: Mapped[int] = mapped_column(Integer)
    max_capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class CapacityChange(Base):
    """CapacityChange is a request to change a facility's signed capacity, and its decision.

    The signed operational capacity changes only through a recorded approval by a
    second person (DESIGN.md §7): requester and approver are both kept.
    """

    __tablename__ = "capacity_change"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"), index=True)
    previous_capacity: Mapped[int] = mapped_column(Integer)
    requested_capacity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | refused
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(500))


class NonAssociation(Base):
    """NonAssociation keeps two people apart at a level, for a reason, until closed."""

    __tablename__ = "non_association"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    person_a: Mapped[str] = mapped_column(String(16), index=True)
    role_a: Mapped[str] = mapped_column(String(100))
    person_b: Mapped[str] = mapped_column(String(16), index=True)
    role_b: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))  # CELL | BUILDING | FACILITY
    reason: Mapped[str] = mapped_column(String(500))
    opened_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8))  # open | closed
    closed_reason: Mapped[str | None] = mapped_column(String(500))
