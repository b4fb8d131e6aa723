"""The locator's tables: its search index (derived from events) and its search log.

`locator_entry` and `locator_document` are projections like any other: written
only by habeas.locator.reactions, rebuilt by replay. `locator_search` is a log
(append-only, like the read audit): one row per search, and what the rate
limit counts, so the limit holds across server processes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from habeas.db import Base, UTCDateTime


class LocatorEntry(Base):
    """LocatorEntry is one findable transferee: the search keys and what the public may see.

    `status` is the locator's own: in_transit | in_custody | released | returned |
    deceased | escaped (kept, never shown: ADR 0015).
    """

    __tablename__ = "locator_entry"
    __table_args__ = (
        Index("ix_locator_entry_name", "birth_country", "family_key", "given_key"),
        Index("ix_locator_entry_birth", "birth_country", "date_of_birth"),
        Index("ix_locator_entry_ref", "external_ref_key"),
    )

    public_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    family_name: Mapped[str] = mapped_column(String(300))
    given_names: Mapped[str] = mapped_column(String(300))
    family_key: Mapped[str] = mapped_column(String(300))
    given_key: Mapped[str] = mapped_column(String(300))
    birth_country: Mapped[str] = mapped_column(String(3))
    date_of_birth: Mapped[date] = mapped_column(Date)
    external_ref_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    facility_code: Mapped[str] = mapped_column(ForeignKey("facility.code"))
    legal_custodian: Mapped[str] = mapped_column(String(3))
    status_changed_on: Mapped[date] = mapped_column(Date)

    @property
    def shown_name(self) -> str:
        """shown_name: the name as the locator shows it, given names first."""
        return shown_name(self.given_names, self.family_name)


def shown_name(given_names: str, family_name: str) -> str:
    return f"{given_names} {family_name}"


class LocatorDocument(Base):
    """LocatorDocument is one identity document number of a findable person, as a key."""

    __tablename__ = "locator_document"

    public_id: Mapped[str] = mapped_column(ForeignKey("locator_entry.public_id"),
                                           primary_key=True)
    number_key: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)
    # Declared so a flush writes the entry before its documents (same batch, one flush).
    entry: Mapped[LocatorEntry] = relationship(lazy="raise")


class LocatorSearch(Base):
    """LocatorSearch records one public search: when, from which address, a SHA-256 of the
    normalised query (never the query itself), and how many people it found.

    Append-only: database triggers refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "locator_search"
    __table_args__ = (Index("ix_locator_search_client", "client", "searched_at"),
                      {"info": {"kind": "log"}})

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    searched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    client: Mapped[str] = mapped_column(String(64))
    query_sha256: Mapped[str] = mapped_column(String(64))
    hits: Mapped[int] = mapped_column(Integer)
