"""Every table, imported in one place so Alembic and replay see the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData, Table

from habeas import idempotency
from habeas.agreements import models as agreements
from habeas.auth import models as auth
from habeas.billing import models as billing
from habeas.counsel import models as counsel
from habeas.custody import models as custody
from habeas.db import Base
from habeas.facilities import models as facilities
from habeas.holds import models as holds
from habeas.ledger import models as ledger
from habeas.locator import models as locator
from habeas.nominations import models as nominations
from habeas.notify import models as notify
from habeas.oversight import models as oversight
from habeas.transfers import models as transfers

__all__ = ["agreements", "auth", "billing", "counsel", "custody", "facilities", "holds",
           "idempotency", "ledger", "locator", "metadata", "nominations", "notify", "oversight",
           "transfers"]

metadata: MetaData = Base.metadata


def projection_tables() -> list[Table]:
    """projection_tables are the current-state tables that replaying the events must rebuild.

    Log tables (the events themselves, sessions, the read audit) are marked
    `info={"kind": "log"}` and are not projections.
    """
    return [t for t in metadata.sorted_tables if t.info.get("kind") != "log"]
