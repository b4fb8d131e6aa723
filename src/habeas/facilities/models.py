"""Current-state tables of facilities (written only by facilities/projections.py)."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base


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


class Building(Base):
    """Building is a module of a facility."""

    __tablename__ = "building"

    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))


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
