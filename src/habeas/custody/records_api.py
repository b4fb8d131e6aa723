"""/api/v1 — events in custody: renewals, death, escape, solitary, contact, releases due,
and the custody integrity report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from habeas.agreements import service as agreements
from habeas.api.deps import ReadDB, Writer, require
from habeas.api.errors import documented
from habeas.api.params import Day, Seq
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.custody import integrity, records
from habeas.custody.api import PersonOut
from habeas.custody.models import IntegrityRun
from habeas.db import utcnow

router = APIRouter(tags=["custody"])
Recorder = Annotated[Principal, Depends(require(Action.RECORD_CUSTODY_EVENTS))]
Renewer = Annotated[Principal, Depends(require(Action.RENEW_TERMS))]
Reviewer = Annotated[Principal, Depends(require(Action.RECORD_INSPECTIONS))]
Reader = Annotated[Principal, Depends(require(Action.READ_CUSTODY))]
IntegrityReader = Annotated[Principal, Depends(require(Action.READ_INTEGRITY))]
IntegrityRecorder = Annotated[Principal, Depends(require(Action.RECORD_INTEGRITY))]
Declarer = Annotated[Principal, Depends(require(Action.DECLARE_ERRONEOUS))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Late(Strict):
    """Late: a record of something that happened at a claimed time, which may be entered
    past its late window only with a reason (DESIGN.md §12.2)."""

    late_reason: str | None = Field(
        default=None, min_length=1, max_length=500,
        description="why the act is recorded past its late window (72 h by default); "
        "public, in the ledger leaf: name no person")


class Done(BaseModel):
    public_id: str
    recorded: str
    seq: int | None = None


class RenewalIn(Strict):
    until: date
    reason: str = Field(min_length=1, max_length=500)


@router.post("/people/{public_id}/renewal", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def renew_term(public_id: str, body: RenewalIn, write: Writer, principal: Renewer) -> Done:
    """Propose letting one person be held past the agreement's term, until a date; in force
    once the other state of the agreement accepts it (DESIGN.md §12.1)."""
    with write() as db:
        change = agreements.renew_term(db, public_id, until=body.until, reason=body.reason,
                                    actor=principal.actor, party=principal.party_code)
    return Done(public_id=public_id, recorded="agreement.change_proposed", seq=change.seq)


class ErroneousIn(Strict):
    reason: str = Field(min_length=1, max_length=900)


@router.post("/people/{public_id}/erroneous-transfer", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def declare_erroneous(public_id: str, body: ErroneousIn, write: Writer, principal: Declarer
                      ) -> Done:
    """The sending state declares that it should never have sent this person: they are to
    be returned, and nothing of the stay is billable (earlier invoices are credited)."""
    with write() as db:
        records.declare_erroneous_transfer(db, public_id, reason=body.reason,
                                           actor=principal.actor, party=principal.party_code)
    return Done(public_id=public_id, recorded="custody.transfer_erroneous")


class DeathIn(Late):
    died_at: AwareDatetime
    place: str = Field(min_length=1, max_length=300)
    circumstances: str = Field(min_length=1, max_length=5_000)


@router.post("/people/{public_id}/death", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def record_death(public_id: str, body: DeathIn, write: Writer, principal: Recorder
                 ) -> dict[str, Any]:
    """Record a death in custody; the duties it starts are listed and both states alerted."""
    with write() as db:
        death = records.record_death(db, public_id, died_at=body.died_at, place=body.place,
                                     circumstances=body.circumstances, actor=principal.actor,
                                     party=principal.party_code,
                                     late_reason=body.late_reason)
        return {"public_id": public_id, "seq": death.seq, "obligations": death.obligations}


class InvestigationIn(Strict):
    body: str = Field(min_length=1, max_length=300)
    reference: str = Field(min_length=1, max_length=100)
    opened_on: date


@router.post("/people/{public_id}/death/investigation", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def record_investigation(public_id: str, body: InvestigationIn, write: Writer,
                         principal: Recorder) -> Done:
    """Record the independent investigation of a death (Mandela Rule 71)."""
    with write() as db:
        records.record_death_investigation(db, public_id, body=body.body,
                                           reference=body.reference, opened_on=body.opened_on,
                                           actor=principal.actor, party=principal.party_code)
    return Done(public_id=public_id, recorded="custody.death_investigated")


class MomentIn(Late):
    at: AwareDatetime
    circumstances: str = Field(default="", max_length=5_000)


class MedicalEmergencyIn(Late):
    at: AwareDatetime
    nature: Literal["illness", "injury"]
    details: str = Field(min_length=1, max_length=5_000,
                         description="clinical details: kept confidential, never notified")
    treated_at: str | None = Field(default=None, max_length=300,
                                   description="where the person is treated (told to family)")


@router.post("/people/{public_id}/medical-emergency", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def record_medical_emergency(public_id: str, body: MedicalEmergencyIn, write: Writer,
                             principal: Recorder) -> Done:
    """Record a serious illness or injury: both states are alerted, and the person's contacts,
    consulate and counsel are notified unless the person asked otherwise (Rules 68-69)."""
    with write() as db:
        seq = records.record_medical_emergency(
            db, public_id, at=body.at, nature=body.nature, details=body.details,
            treated_at=body.treated_at, actor=principal.actor, party=principal.party_code,
            late_reason=body.late_reason)
    return Done(public_id=public_id, recorded="custody.medical_emergency", seq=seq)


@router.post("/people/{public_id}/escape", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def record_escape(public_id: str, body: MomentIn, write: Writer, principal: Recorder) -> Done:
    """Record an escape; both states are alerted."""
    with write() as db:
        records.record_escape(db, public_id, at=body.at, circumstances=body.circumstances,
                              actor=principal.actor, party=principal.party_code,
                              late_reason=body.late_reason)
    return Done(public_id=public_id, recorded="custody.escape")


@router.post("/people/{public_id}/recapture", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def record_recapture(public_id: str, body: MomentIn, write: Writer, principal: Recorder
                     ) -> Done:
    """Record a return to custody after an escape; the person is then housed again."""
    with write() as db:
        records.record_recapture(db, public_id, at=body.at, circumstances=body.circumstances,
                                 actor=principal.actor, party=principal.party_code,
                                 late_reason=body.late_reason)
    return Done(public_id=public_id, recorded="custody.recaptured")


class SolitaryIn(Late):
    at: AwareDatetime
    authorised_by: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=1_000)


class SolitaryEndIn(Late):
    at: AwareDatetime


class ReviewIn(Strict):
    reviewer: str = Field(min_length=1, max_length=200)
    outcome: str = Field(min_length=1, max_length=1_000)


@router.post("/people/{public_id}/solitary", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def start_solitary(public_id: str, body: SolitaryIn, write: Writer, principal: Recorder
                   ) -> Done:
    """Start solitary confinement: who authorised it and why (Mandela Rules 43–45)."""
    with write() as db:
        seq = records.start_solitary(db, public_id, at=body.at, authorised_by=body.authorised_by,
                                     reason=body.reason, actor=principal.actor,
                                     party=principal.party_code,
                                     late_reason=body.late_reason)
    return Done(public_id=public_id, recorded="solitary.started", seq=seq)


@router.post("/people/{public_id}/solitary/end", responses=documented(401, 403, 404, 409, 422))
def end_solitary(public_id: str, body: SolitaryEndIn, write: Writer, principal: Recorder
                 ) -> Done:
    """End the person's solitary confinement."""
    with write() as db:
        records.end_solitary(db, public_id, at=body.at, actor=principal.actor,
                             party=principal.party_code,
                             late_reason=body.late_reason)
    return Done(public_id=public_id, recorded="solitary.ended")


@router.post("/solitary/{seq}/review", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def review_solitary(seq: Seq, body: ReviewIn, write: Writer, principal: Reviewer) -> Done:
    """The independent review prolonged solitary needs (Mandela Rule 44), by a monitor."""
    with write() as db:
        records.review_solitary(db, seq, reviewer=body.reviewer, outcome=body.outcome,
                                actor=principal.actor)
        from habeas.custody.models import Solitary

        public_id = db.get_one(Solitary, seq).public_id
    return Done(public_id=public_id, recorded="solitary.reviewed", seq=seq)


class ContactIn(Strict):
    kind: Literal["family", "legal", "consular"]
    mode: Literal["visit", "call", "video", "letter"]
    on: date
    with_whom: str = Field(min_length=1, max_length=300)


@router.post("/people/{public_id}/contacts", status_code=201,
             responses=documented(401, 403, 404, 409, 422))
def record_contact(public_id: str, body: ContactIn, write: Writer, principal: Recorder
                   ) -> Done:
    """Record a family, legal or consular contact (Mandela Rule 58)."""
    with write() as db:
        records.record_contact(db, public_id, kind=body.kind, mode=body.mode, on=body.on,
                               with_whom=body.with_whom, actor=principal.actor,
                               party=principal.party_code)
    return Done(public_id=public_id, recorded="contact.recorded")


@router.get("/releases", responses=documented(401, 403, 404, 422))
def releases_due(db: ReadDB, principal: Reader,
                 facility: Annotated[str, Query(max_length=64)] = "CECOT",
                 within: Annotated[int, Query(ge=0, le=366)] = 30) -> list[PersonOut]:
    """People whose release date falls within WITHIN days (or has passed), soonest first."""
    people = records.due_releases(db, facility, today=utcnow().date(), within_days=within,
                                  scope=principal.scope)
    return [PersonOut.model_validate(p, from_attributes=True) for p in people]


@router.get("/integrity", responses=documented(401, 403, 422))
def integrity_report(db: ReadDB, principal: IntegrityReader,
                     on: Annotated[Day | None, Query(description="default today")] = None,
                     family_contact_days: Annotated[int, Query(ge=1, le=365)] = 30
                     ) -> dict[str, Any]:
    """The custody integrity report: every check with its count, rule, people and events,
    over the people you may see (a state its own; monitors everyone)."""
    return integrity.report(db, on or utcnow().date(), family_contact_days=family_contact_days,
                            scope=integrity.scope_of(db, principal.role,
                                                     principal.party_code)).as_dict()


class RunOut(BaseModel):
    seq: int
    as_of: date
    sha256: str
    counts: dict[str, int]


@router.post("/integrity/runs", status_code=201, responses=documented(401, 403, 422))
def record_integrity(write: Writer, principal: IntegrityRecorder) -> RunOut:
    """Put today's report on the ledger, so what it said can be proven later."""
    with write() as db:
        seq = integrity.record_run(db, integrity.report(db, utcnow().date()),
                                   actor=principal.actor)
        return RunOut.model_validate(db.get_one(IntegrityRun, seq), from_attributes=True)


@router.get("/integrity/runs", responses=documented(401, 403))
def list_integrity_runs(db: ReadDB, _: IntegrityReader) -> list[RunOut]:
    """Every recorded run, newest first."""
    return [RunOut.model_validate(r, from_attributes=True)
            for r in integrity.recorded_runs(db)]
