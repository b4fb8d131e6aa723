"""What a locator search is, and exactly what it may answer (DESIGN.md §9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from habeas.i18n import N_

# The public statuses, as the API says them; the page translates them.
PublicStatus = Literal["in custody", "in transit", "released", "returned", "deceased"]
STATUS_LABELS: dict[str, PublicStatus] = {
    "in_custody": "in custody",
    "in_transit": "in transit",
    "released": "released",
    "returned": "returned",
    "deceased": "deceased",
}
# For the catalogues: the statuses are shown through gettext on the page.
_TRANSLATED = (N_("in custody"), N_("in transit"), N_("released"), N_("returned"),
               N_("deceased"))


@dataclass(frozen=True)
class Query:
    """Query is a validated search: by identifier, or by name; always with country of birth.

    Names and identifiers are held as their keys (habeas.locator.normalise).
    """

    by: Literal["identifier", "name"]
    country_of_birth: str
    identifier: str = ""
    family_name: str = ""
    given_names: str = ""
    date_of_birth: date | None = None


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FacilityOut(Closed):
    name: str
    address: str
    phone: str


class CustodianOut(Closed):
    code: str
    name: str


class LocatedPerson(Closed):
    """LocatedPerson is everything the public may learn about one person — and nothing else."""

    name: str
    status: PublicStatus
    facility: FacilityOut
    legal_custodian: CustodianOut
    status_changed_on: date
    # An opaque token to subscribe to this person's status changes (habeas.notify.tokens:
    # AES-SIV of the public id under the server's key; it reveals nothing).
    subscribe_token: str


class LocateOut(Closed):
    results: list[LocatedPerson]
