"""A transfer in the making: accepted people with notice served, on a facility with cells."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from habeas.agreements.models import Agreement
from habeas.clock import simulated
from habeas.db import unit_of_work
from habeas.nominations import decisions
from habeas.nominations import service as nominations
from habeas.nominations.models import NominationRecord
from habeas.transfers import service as transfers
from habeas.transfers.models import Manifest, ManifestPerson
from habeas.transfers.schemas import HandoverPartIn, ManifestIn
from tests.screening.factories import nomination

AS_OF = date(2025, 3, 1)
NOTICE_ON = date(2025, 3, 5)
DEPARTS = "2025-04-10T13:00:00+00:00"
LANDS = "2025-04-10T17:30:00+00:00"


def accepted_people(engine: Engine, *refs: str, notice: bool = True,
                    agreement_ref: str = "USA-SLV-2025", **changes: Any) -> list[str]:
    """accepted_people nominates REFS (the DESIGN.md example with CHANGES) under
    AGREEMENT_REF, accepts them and serves notice on 5 March 2025 (30 days before the
    earliest flight), all recorded that day: nomination ≤ acceptance ≤ notice (DESIGN.md
    §12.2)."""
    with simulated(datetime(2025, 3, 5, 12, tzinfo=UTC)), unit_of_work(engine) as s:
        agreement = s.get_one(Agreement, agreement_ref)
        rows = [nominations.Row(i + 1, nomination(external_ref=r, **changes).model_dump(
            mode="json")) for i, r in enumerate(refs)]
        results = nominations.import_rows(s, agreement, rows, as_of=AS_OF, actor="test")
        ids = [r.public_id for r in results]
        assert all(r.decision == "eligible" for r in results), results
        for public_id in ids:
            assert public_id is not None
            record = s.get_one(NominationRecord, public_id)
            decisions.accept(s, record, on=NOTICE_ON, actor="user:sv.warden", party="SLV")
            if notice:
                decisions.serve_notice(s, record, served_on=NOTICE_ON, language="es",
                                       method="in_person", acknowledged=True,
                                       actor="user:us.officer", party=agreement.sending_party)
    return [i for i in ids if i is not None]


def manifest_body(people: list[str], departs: str = DEPARTS, lands: str = LANDS
                  ) -> ManifestIn:
    return ManifestIn.model_validate({
        "legs": [{"mode": "flight", "carrier": "GlobalX", "number": "GXA 1",
                  "origin": "HRL", "destination": "SAL", "departs_at": departs,
                  "arrives_at": lands}], "people": people})


def planned(engine: Engine, people: list[str]) -> str:
    with unit_of_work(engine) as s:
        return transfers.plan(s, manifest_body(people), actor="user:sv.warden", party="SLV").id


def approved(engine: Engine, people: list[str], sending: str = "USA") -> str:
    """approved: PEOPLE planned by the facility's state, approved by SENDING, theirs."""
    manifest_id = planned(engine, people)
    with unit_of_work(engine) as s:
        transfers.approve(s, manifest_id, actor="user:us.officer", party=sending)
    return manifest_id


def departed(engine: Engine, people: list[str], sending: str = "USA"
             ) -> tuple[str, list[str], list[dict[str, str]]]:
    manifest_id = approved(engine, people, sending)
    with unit_of_work(engine) as s:
        boarded, removed = transfers.depart(s, manifest_id,
                                            departed_at=datetime.fromisoformat(DEPARTS),
                                            actor="user:us.officer", party=sending)
    return manifest_id, boarded, removed


def arrived(engine: Engine, people: list[str], sending: str = "USA") -> str:
    manifest_id, _, _ = departed(engine, people, sending)
    with unit_of_work(engine) as s:
        transfers.arrive(s, manifest_id, arrived_at=datetime.fromisoformat(LANDS),
                         actor="user:sv.warden", party="SLV")
    return manifest_id


def handed_over(engine: Engine, people: list[str], sending: str = "USA", **extra: Any) -> str:
    manifest_id = arrived(engine, people, sending)
    with unit_of_work(engine) as s:
        for public_id in people:
            hand_over_both(s, manifest_id, handover(public_id, **extra), sending)
    return manifest_id


SENDING_OFFICER = "Officer Castillo (ICE)"
RECEIVING_OFFICER = "Subinspector Portillo (DGCP)"


def handover(public_id: str, **extra: Any) -> HandoverPartIn:
    """handover: one state's part of a handover or handback of PUBLIC_ID."""
    return HandoverPartIn.model_validate({
        "public_id": public_id, "handed_over_at": "2025-04-10T18:00:00+00:00", **extra})


def hand_over_both(s: Session, manifest_id: str, part: HandoverPartIn, sending: str = "USA"
                   ) -> ManifestPerson:
    """hand_over_both: each state records its own part (DESIGN.md §12.1) — the sending
    state's officer (SENDING's) hands (with the biometric reference, if any), the
    facility's takes."""
    transfers.hand_over(s, manifest_id, part, officer=SENDING_OFFICER,
                        actor="user:us.officer", party=sending)
    taking = part.model_copy(update={"biometric_reference_sha256": None})
    return transfers.hand_over(s, manifest_id, taking, officer=RECEIVING_OFFICER,
                               actor="user:sv.warden", party="SLV")


def hand_back_both(s: Session, manifest_id: str, part: HandoverPartIn) -> ManifestPerson:
    """hand_back_both: the facility's escort hands the person back, the sending state's
    officer receipts them — each its own part."""
    transfers.hand_back(s, manifest_id, part, officer=RECEIVING_OFFICER,
                        actor="user:sv.warden", party="SLV")
    return transfers.hand_back(s, manifest_id, part, officer=SENDING_OFFICER,
                               actor="user:us.officer", party="USA")


def status_of(engine: Engine, manifest_id: str) -> str:
    with unit_of_work(engine) as s:
        return s.get_one(Manifest, manifest_id).status
