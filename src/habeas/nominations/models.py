"""Current-state table of nominations (written only by nominations/projections.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from habeas.db import Base


class NominationRecord(Base):
    """NominationRecord is one nominated person, the latest screening, and where it stands."""

    __tablename__ = "nomination"
    __table_args__ = (UniqueConstraint("sending_party", "external_ref",
                                       name="uq_nomination_party_ref"),)

    public_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    agreement_ref: Mapped[str] = mapped_column(ForeignKey("agreement.ref"), index=True)
    sending_party: Mapped[str] = mapped_column(ForeignKey("party.code"))
    external_ref: Mapped[str] = mapped_column(String(64))
    family_name: Mapped[str] = mapped_column(String(300))
    given_names: Mapped[str] = mapped_column(String(300))
    date_of_birth: Mapped[date] = mapped_column(Date)
    nationalities: Mapped[list[str]] = mapped_column(JSON)
    # Denormalised for portable filtering on both engines: ",SLV,GTM," and ",ADULT,".
    nationality_codes: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_sha256: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(16), index=True)
    results: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    failed_rules: Mapped[str] = mapped_column(String(300), default=",")
    screened_as_of: Mapped[date | None] = mapped_column(Date)
    received_seq: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="nominated", index=True)
    status_reason: Mapped[str | None] = mapped_column(String(500))


class Notice(Base):
    """Notice is the written notice served on a nominated person (Trump v. J.G.G., 2025)."""

    __tablename__ = "notice"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_id: Mapped[str] = mapped_column(ForeignKey("nomination.public_id"), index=True)
    served_on: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(2))
    method: Mapped[str] = mapped_column(String(16))
    acknowledged: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(Text)
