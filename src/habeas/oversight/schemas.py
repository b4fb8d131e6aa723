"""Oversight formats: what a monitor records, what the administration answers, what a
detained person complains of — and how each is shown."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# Text that must say something: surrounding blanks are dropped, and then it may not be empty.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Step = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1_000)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
PublicId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Decision(StrEnum):
    """Decision is the administration's answer to a recommendation."""

    ACCEPTED = "accepted"
    PARTIALLY = "partially"
    REJECTED = "rejected"


class FilerRole(StrEnum):
    """FilerRole is who brings a grievance: the person, or someone on their behalf
    (Mandela Rule 56(4): the person's legal adviser, or family, may act for them)."""

    DETAINED_PERSON = "detained_person"
    COUNSEL = "counsel"
    FAMILY = "family"
    STAFF = "staff"
    MONITOR = "monitor"


class GrievanceCategory(StrEnum):
    LIVING_CONDITIONS = "living_conditions"
    FOOD = "food"
    HEALTH_CARE = "health_care"
    TREATMENT_BY_STAFF = "treatment_by_staff"
    SAFETY = "safety"
    CONTACT = "contact"
    LEGAL_ACCESS = "legal_access"
    PROPERTY = "property"
    DISCIPLINE = "discipline"
    OTHER = "other"


class GrievanceStatus(StrEnum):
    OPEN = "open"
    ROUTED_TO_MONITOR = "routed_to_monitor"
    RESPONDED = "responded"
    CLOSED = "closed"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- what is sent ---------------------------------------------------------------------------

class InspectionIn(Strict):
    """InspectionIn is a monitoring visit as the monitor records it (Mandela Rules 83–84)."""

    facility_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    visited_on: date
    announced: bool = Field(description="false for an unannounced visit (Rule 84(1)(a))")
    areas: list[Line] = Field(min_length=1, max_length=500,
                              description="what was seen: building codes, 'kitchen', ...")
    inspectors: list[Line] = Field(min_length=1, max_length=50)
    summary: Prose


class FindingIn(Strict):
    """FindingIn is one finding of an inspection and what the monitor recommends (Rule 85)."""

    text: Prose
    recommendation: Prose
    severity: Severity
    response_due: date = Field(description="on or after the inspection date")
    people_concerned: list[PublicId] = Field(default=[], max_length=500)


class FindingResponseIn(Strict):
    """FindingResponseIn is the administration's answer to a finding (Rule 85(2))."""

    text: Prose
    decision: Decision
    actions: list[Step] = Field(default=[], max_length=100)
    responded_on: date | None = Field(default=None, description="default: today")

    @model_validator(mode="after")
    def _accepting_says_what_will_be_done(self) -> FindingResponseIn:
        if self.decision is not Decision.REJECTED and not self.actions:
            raise ValueError("an accepted recommendation needs the actions taken or planned")
        return self


class FiledBy(Strict):
    role: FilerRole
    name: Line


class GrievanceIn(Strict):
    """GrievanceIn is a request or complaint by or for a detained person (Rules 56–57)."""

    public_id: PublicId
    filed_by: FiledBy
    category: GrievanceCategory
    text: Prose
    alleges_ill_treatment: bool = Field(description=(
        "torture or other ill-treatment is alleged: the grievance goes to the monitors "
        "(Rule 57(3))"))
    concerns_staff: list[Line] = Field(default=[], max_length=50, description=(
        "names of the staff it concerns; they may neither answer nor close it"))


class GrievanceResponseIn(Strict):
    text: Prose


class GrievanceCloseIn(Strict):
    reason: Reason


# --- what is shown --------------------------------------------------------------------------

class FindingOut(BaseModel):
    seq: int
    inspection_seq: int
    facility_code: str
    text: str
    recommendation: str
    severity: Severity
    response_due: date
    people_concerned: list[str]
    recorded_by: str
    status: str = Field(description="open | responded")
    overdue: bool = Field(description="open and past response_due on the date asked about")
    response: str | None
    decision: Decision | None
    actions: list[str] | None
    responded_on: date | None
    responded_by: str | None
    late: bool = Field(description="the response came after response_due")


class InspectionOut(BaseModel):
    seq: int
    facility_code: str
    visited_on: date
    announced: bool
    areas: list[str]
    inspectors: list[str]
    summary: str
    recorded_by: str
    recorded_at: datetime


class InspectionDetail(InspectionOut):
    findings: list[FindingOut]


class GrievanceSummary(BaseModel):
    """GrievanceSummary leaves out the complaint itself: reading that is logged (Rule 9)."""

    seq: int
    public_id: str
    facility_code: str
    category: GrievanceCategory
    filed_at: datetime
    filed_by_role: FilerRole
    alleges_ill_treatment: bool
    routed_to_monitor: bool
    status: GrievanceStatus
    responded_at: datetime | None
    closed_at: datetime | None


class GrievanceOut(GrievanceSummary):
    filed_by_name: str
    recorded_by: str
    text: str
    concerns_staff: list[str]
    response: str | None
    responded_by: str | None
    closed_by: str | None
    close_reason: str | None
