"""/api/v1/nominations — nominate (sending state), read with the full rule trace."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import Day, Offset
from habeas.auth import audit
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.db import utcnow
from habeas.errors import field_error
from habeas.nominations import decisions, service
from habeas.nominations.decisions import NoticeMethod
from habeas.nominations.models import NominationRecord

router = APIRouter(prefix="/nominations", tags=["nominations"])
Nominator = Annotated[Principal, Depends(require(Action.NOMINATE))]
Reader = Annotated[Principal, Depends(require(Action.READ_NOMINATIONS))]
NoticeServer = Annotated[Principal, Depends(require(Action.SERVE_NOTICE))]
Decider = Annotated[Principal, Depends(require(Action.DECIDE_NOMINATIONS))]
MAX_BATCH = 1000


class Summary(BaseModel):
    rows: int
    eligible: int
    ineligible: int
    review: int
    invalid: int
    unchanged: int


class ImportResult(BaseModel):
    line: int
    external_ref: str | None
    decision: str
    public_id: str | None
    reasons: list[dict[str, str]]
    errors: list[dict[str, str]]


class ImportReportOut(BaseModel):
    summary: Summary
    results: list[ImportResult]


class NominationOut(BaseModel):
    public_id: str
    external_ref: str
    sending_party: str
    agreement_ref: str
    family_name: str
    given_names: str
    date_of_birth: date
    nationalities: list[str]
    decision: str | None
    screened_as_of: date | None
    results: list[dict[str, str]]
    status: str
    status_reason: str | None


class NominationDetail(NominationOut):
    nomination: dict[str, Any]


def _out(record: NominationRecord) -> dict[str, Any]:
    return {c: getattr(record, c) for c in NominationOut.model_fields}


@router.post("", responses=documented(401, 403, 404, 422))
def nominate(
    write: Writer, principal: Nominator,
    body: Annotated[dict[str, Any] | list[dict[str, Any]],
                    Body(description="one nomination (DESIGN.md §4) or a list of them")],
    as_of: Annotated[Day | None, Query(description="screen as of (default today)")] = None,
    agreement: Annotated[str | None, Query(
        max_length=64, description="the agreement (needed if your state sends under more "
        "than one)")] = None,
) -> ImportReportOut:
    """Nominate one person or a batch; each is validated, screened and reported."""
    items = body if isinstance(body, list) else [body]
    if len(items) > MAX_BATCH:
        raise field_error("body", f"at most {MAX_BATCH} nominations per request")
    with write() as db:
        chosen = service.choose_agreement(db, principal.party_code, agreement)
        rows = [service.Row(i + 1, item) for i, item in enumerate(items)]
        report = service.ImportReport(service.import_rows(
            db, chosen, rows, as_of=as_of or utcnow().date(), actor=principal.actor))
        return ImportReportOut.model_validate(report.as_dict())


@router.get("", responses=documented(401, 403, 422))
def list_nominations(
    db: ReadDB, principal: Reader,
    decision: Annotated[str | None, Query(pattern="^(eligible|ineligible|review)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[NominationOut]:
    """Nominations, newest first (a sending state sees only its own)."""
    filters = service.Filters(party=principal.scope, decision=decision)
    return [NominationOut.model_validate(_out(r)) for r in service.list_nominations(
        db, filters, limit=limit, offset=offset)]


@router.get("/{public_id}", responses=documented(401, 403, 404))
def get_nomination(public_id: str, write: Writer, principal: Reader) -> NominationDetail:
    """One nomination with its full rule trace; the read is logged (Mandela Rule 9)."""
    with write() as db:
        record = decisions.get(db, public_id, principal.scope)
        audit.record_read(db, principal, kind="nomination", record_id=public_id, channel="api",
                         purpose="nomination file")
        return NominationDetail.model_validate({**_out(record), "nomination": record.data})


class AmendOut(BaseModel):
    public_id: str
    outcome: str = Field(description="unchanged, or the decision after screening again")


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    served_on: date
    language: str = Field(min_length=2, max_length=2)
    method: NoticeMethod
    acknowledged: bool


class NoticeOut(BaseModel):
    public_id: str
    served_on: date
    language: str
    method: str
    acknowledged: bool
    text: str


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date | None = None


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class StatusOut(BaseModel):
    public_id: str
    status: str
    reason: str | None


@router.patch("/{public_id}", responses=documented(401, 403, 404, 409, 422))
def amend_nomination(public_id: str, write: Writer, principal: Nominator,
                     body: Annotated[dict[str, Any], Body(description="the whole nomination")],
                     as_of: Annotated[Day | None, Query()] = None) -> AmendOut:
    """Amend a nomination (same external_ref): an amendment event, then screening again."""
    with write() as db:
        record = decisions.get(db, public_id, principal.party_code)
        outcome = decisions.amend(db, record, body, as_of=as_of or utcnow().date(),
                                  actor=principal.actor, party=principal.party_code)
    return AmendOut(public_id=public_id, outcome=outcome)


@router.post("/{public_id}/notice", status_code=201, responses=documented(401, 403, 404, 422))
def serve_notice(public_id: str, body: NoticeIn, write: Writer,
                 principal: NoticeServer) -> NoticeOut:
    """Record the written notice served on the person, in their language (Trump v. J.G.G.)."""
    with write() as db:
        record = decisions.get(db, public_id, principal.party_code)
        notice = decisions.serve_notice(
            db, record, served_on=body.served_on, language=body.language, method=body.method,
            acknowledged=body.acknowledged, actor=principal.actor, party=principal.party_code)
        return NoticeOut(public_id=public_id, served_on=notice.served_on,
                         language=notice.language, method=notice.method,
                         acknowledged=notice.acknowledged, text=notice.text)


@router.post("/{public_id}/accept", responses=documented(401, 403, 404, 409, 422))
def accept_nomination(public_id: str, body: AcceptIn, write: Writer,
                      principal: Decider) -> StatusOut:
    """Accept an eligible nomination within the quota and the facility's capacity."""
    with write() as db:
        record = decisions.get(db, public_id)
        decisions.accept(db, record, on=body.on or utcnow().date(), actor=principal.actor,
                         party=principal.party_code)
        return StatusOut(public_id=public_id, status=record.status, reason=record.status_reason)


@router.post("/{public_id}/reject", responses=documented(401, 403, 404, 409, 422))
def reject_nomination(public_id: str, body: RejectIn, write: Writer,
                      principal: Decider) -> StatusOut:
    """Reject a nomination with a reason."""
    with write() as db:
        record = decisions.get(db, public_id)
        decisions.reject(db, record, reason=body.reason, actor=principal.actor,
                         party=principal.party_code)
        return StatusOut(public_id=public_id, status=record.status, reason=record.status_reason)
