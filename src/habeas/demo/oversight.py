"""Chapter 7 (June–July 2025): the monitor's unannounced inspection and its findings, and a
grievance counsel files for a client."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from .agreement import principal
from .story import Agenda, on_day


def oversight(session: Session, agenda: Agenda, people: list[Any], until: date) -> list[str]:
    """An unannounced inspection with two findings — one answered, one not, now overdue —
    and a grievance alleging ill-treatment, which goes to the monitor (Mandela Rule 57)."""
    if until < date(2025, 7, 28):
        return []
    found = _an_inspection(session, agenda, people, date(2025, 6, 20))
    _a_grievance(session, agenda, people[0])
    agenda.at(on_day(date(2025, 7, 28)), lambda: _answer(session, found["crowding"]))
    return ["oversight: an unannounced inspection with 2 findings (1 answered, 1 overdue); "
            "a grievance alleging ill-treatment, routed to the monitor"]


def _an_inspection(session: Session, agenda: Agenda, people: list[Any], visit: date
                   ) -> dict[str, Any]:
    """The monitor's visit on VISIT and its two findings; returns where the first (on
    crowding) will be once the agenda has run."""
    from habeas.oversight import service as oversight
    from habeas.oversight.schemas import FindingIn, InspectionIn

    found: dict[str, Any] = {}

    def inspect() -> None:
        inspection = oversight.record_inspection(session, InspectionIn(
            facility_code="CECOT", visited_on=visit, announced=False,
            areas=["M8", "M1", "kitchen", "infirmary"],
            inspectors=["Inés Duarte", "Dr. Tomás Aguilar (medical)"],
            summary="Unannounced visit to the module holding transferees and a domestic "
                    "module. Cells hold 74 people on 80 bare metal bunks; no yard time seen."),
            actor="user:monitor", today=visit)
        found["crowding"] = oversight.record_finding(session, inspection.seq, FindingIn(
            text="1.35 m² of floor per person in the cells visited, under the ICRC's 3.4 m².",
            recommendation="Reduce occupancy to the standard-compliant capacity; publish a "
                           "plan.", severity="high", response_due=date(2025, 8, 1)),
            actor="user:monitor")
        oversight.record_finding(session, inspection.seq, FindingIn(
            text="Transferees have had no visits; several have had no family contact at all.",
            recommendation="Allow family calls at least weekly (Mandela Rule 58).",
            severity="medium", response_due=date(2025, 9, 30),
            people_concerned=[p.public_id for p in people]), actor="user:monitor")

    agenda.at(on_day(visit, 18), inspect)
    return found


def _a_grievance(session: Session, agenda: Agenda, client: Any) -> None:
    """Counsel files only for a client of record (DESIGN.md §12.1): she appears first."""
    from habeas.counsel import service as counsel
    from habeas.counsel.schemas import AppearanceIn
    from habeas.oversight import service as oversight
    from habeas.oversight.schemas import GrievanceIn

    agenda.at(on_day(date(2025, 6, 24)), lambda: counsel.appear(session, AppearanceIn(
        public_id=client.public_id, basis="engagement",
        engagement="engagement letter signed by the client at CECOT"),
        by=principal(session, "counsel")))
    agenda.at(on_day(date(2025, 6, 25)), lambda: oversight.file_grievance(session, GrievanceIn(
        public_id=client.public_id,
        filed_by={"role": "counsel", "name": "María Herrera, Esq."},
        category="treatment_by_staff",
        text="My client says he was beaten with batons on arrival and denied medical care.",
        alleges_ill_treatment=True, concerns_staff=["Custodio J. Pérez"]),
        by=principal(session, "counsel")))


def _answer(session: Session, finding: Any) -> None:
    """The receiving state answers the crowding finding, in part."""
    from habeas.oversight import service as oversight
    from habeas.oversight.schemas import FindingResponseIn

    oversight.respond_to_finding(
        session, finding.seq, FindingResponseIn(
            text="Module 8 will not take further arrivals until occupancy falls.",
            decision="partially", actions=["freeze arrivals to Module 8"],
            responded_on=date(2025, 7, 28)), by=principal(session, "sv.warden"),
        today=date(2025, 7, 28))
