"""Transfer use cases: plan, approve, depart (gates re-checked), arrive, hand over, cancel.

planned → approved → departed → arrived, or cancelled before departure. At
departure every person's gates are checked again — NOTICE, NO_LEGAL_HOLD,
NON_REFOULEMENT, IDENTITY — and whoever fails is taken off with the reason while
the others go (DESIGN.md §3). A court order that arrives while people are in
the air marks them `return_required` and alerts both states.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas import faults
from habeas.agreements.authority import Side, is_party_to, require_party_to, require_side
from habeas.agreements.models import Agreement
from habeas.agreements.terms import term_end
from habeas.clock import utcnow
from habeas.custody.projections import HandedBack, HandedOver, ReturnedFromTransit, ReturnRequired
from habeas.errors import Conflict, ErrorCode, Forbidden, NotFound, ValidationFailed, field_error
from habeas.events import NewEvent, check_claim, record, record_many
from habeas.facilities import service as facilities
from habeas.holds import reads as holds
from habeas.holds.schemas import Hold
from habeas.i18n import N_
from habeas.nominations import decisions
from habeas.nominations.models import NominationRecord
from habeas.nominations.schemas import Nomination
from habeas.nominations.service import context_for
from habeas.screening import rules
from habeas.screening.rules import Outcome, RuleResult
from habeas.transfers.models import HandoverPart, Manifest, ManifestPerson
from habeas.transfers.projections import (
    Boarded,
    HandoverPartRecorded,
    ManifestStep,
    PersonRemoved,
    TransferArrived,
    TransferCancelled,
    TransferDeparted,
    TransferPlanned,
    manifest_id_for,
)
from habeas.transfers.schemas import HandoverIn, HandoverPartIn, ManifestIn

ACTIVE = ("planned", "approved", "departed")
DEPARTURE_GATES = ("NOTICE", "NO_LEGAL_HOLD", "NON_REFOULEMENT", "IDENTITY")


def manifest_of(session: Session, manifest_id: str, party: str | None
                ) -> tuple[Manifest, Agreement]:
    """manifest_of: manifest MANIFEST_ID and its agreement, fetched once for every read and
    step; a state (PARTY) that is not one of the agreement's two reads the 404 of a manifest
    that does not exist (DESIGN.md §12.1). PARTY None (a monitor, the operator) sees all."""
    missing = f"manifest {manifest_id!r} not found"
    manifest = session.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound(missing)
    agreement = session.get_one(Agreement, manifest.agreement_ref)
    require_party_to(agreement, party, not_found=missing)
    return manifest, agreement


def get_manifest(session: Session, manifest_id: str, party: str | None = None) -> Manifest:
    """get_manifest; a sending state (PARTY) sees only manifests of its own agreements."""
    return manifest_of(session, manifest_id, party)[0]


def owned_manifest(session: Session, manifest_id: str, party: str | None, side: Side, *,
                   act: str) -> tuple[Manifest, Agreement]:
    """owned_manifest: manifest MANIFEST_ID, if ACT on it is PARTY's as SIDE of its agreement
    (DESIGN.md §12.1); another agreement's state reads the 404 of a manifest that does not
    exist, the other side of this one 403 wrong_party."""
    manifest, agreement = manifest_of(session, manifest_id, party)
    require_side(agreement, party, side, act=act,
                 not_found=f"manifest {manifest_id!r} not found")
    return manifest, agreement


def _the_agreements_people(session: Session, people: Sequence[str], party: str | None,
                           found: dict[str, object]) -> None:
    """Each of PEOPLE exists (in FOUND) and is under an agreement PARTY is a state of; the
    people of other agreements read exactly as unknown ids do."""
    refs = {public_id: ref for public_id, ref in session.execute(
        select(NominationRecord.public_id, NominationRecord.agreement_ref)
        .where(NominationRecord.public_id.in_(people)))}
    for i, public_id in enumerate(people):
        ref = refs.get(public_id)
        agreement = session.get(Agreement, ref) if ref is not None else None
        if found.get(public_id) is None or agreement is None or (
                party is not None and not is_party_to(agreement, party)):
            raise NotFound(f"people.{i}: nomination {public_id!r} not found",
                           details={"field": f"people.{i}"})


def people_on(session: Session, manifest_id: str, *, status: str | None = None,
              limit: int | None = None, offset: int = 0
              ) -> list[tuple[ManifestPerson, NominationRecord]]:
    """people_on: the people on a manifest (those in STATUS, if given) with their
    nominations, by name; LIMIT from OFFSET (a page of a list)."""
    query = (select(ManifestPerson, NominationRecord)
             .join(NominationRecord, NominationRecord.public_id == ManifestPerson.public_id)
             .where(ManifestPerson.manifest_id == manifest_id)
             .order_by(NominationRecord.family_name, NominationRecord.given_names,
                       ManifestPerson.public_id))
    if status is not None:
        query = query.where(ManifestPerson.status == status)
    return [(e, n) for e, n in session.execute(query.limit(limit).offset(offset))]


def list_manifests(session: Session, party: str | None = None, *, limit: int | None = None,
                   offset: int = 0) -> list[Manifest]:
    """list_manifests: the manifests PARTY may see (those of its own agreements), the
    latest departure first; LIMIT from OFFSET."""
    query = select(Manifest).order_by(Manifest.departure_date.desc(), Manifest.id)
    if party is not None:
        query = query.join(Agreement, Agreement.ref == Manifest.agreement_ref).where(
            (Agreement.sending_party == party) | (Agreement.receiving_party == party))
    return list(session.scalars(query.limit(limit).offset(offset)))


def _transition(manifest: Manifest, allowed: Sequence[str], to: str) -> None:
    if manifest.status not in allowed:
        if to == "departed" and manifest.status == "planned":
            raise Conflict(f"manifest {manifest.id} is planned, not approved; it cannot depart",
                           code=ErrorCode.MANIFEST_NOT_APPROVED)
        raise Conflict(f"manifest {manifest.id} is {manifest.status}; it cannot become {to}",
                       code=ErrorCode.INVALID_TRANSITION,
                       details={"status": manifest.status, "to": to})


def _within_term(agreement: Agreement, when: datetime, field: str) -> None:
    ends = term_end(agreement.starts_on, agreement.term_months)
    if when.date() > ends:
        raise field_error(field, f"after the agreement's term, which ends on {ends}")


def refuse_if_listed(session: Session, people: Sequence[str]) -> None:
    """refuse_if_listed: nobody is on two active manifests at once."""
    listed = session.scalars(
        select(ManifestPerson.public_id).join(Manifest).where(
            ManifestPerson.public_id.in_(people), ManifestPerson.status == "listed",
            Manifest.status.in_(ACTIVE))).all()
    if listed:
        raise Conflict(f"people: {', '.join(sorted(listed))} already on an active manifest",
                       details={"field": "people", "public_ids": sorted(listed)})


def plan(session: Session, body: ManifestIn, *, actor: str, party: str | None) -> Manifest:
    """plan records a manifest of accepted people, all of one agreement, none already listed."""
    records = {r.public_id: r for r in session.scalars(select(NominationRecord).where(
        NominationRecord.public_id.in_(body.people)))}
    _the_agreements_people(session, body.people, party, dict(records))
    for i, public_id in enumerate(body.people):
        record_ = records[public_id]
        if record_.status != "accepted":
            raise Conflict(f"people.{i}: {public_id} is {record_.status}, not accepted",
                           code=ErrorCode.NOT_ACCEPTED, details={"field": f"people.{i}"})
    agreement_refs = {r.agreement_ref for r in records.values()}
    if len(agreement_refs) != 1:
        raise field_error("people", "everyone on a manifest must be under the same agreement")
    agreement = session.get_one(Agreement, agreement_refs.pop())
    # The receiving state plans the movement to its prison (DESIGN.md §12.1).
    require_side(agreement, party, Side.RECEIVING, act="planning a transfer",
                 not_found=f"agreement {agreement.ref!r} not found")
    refuse_if_listed(session, body.people)
    _within_term(agreement, body.departs_at, "legs.0.departs_at")
    # nomination ≤ acceptance ≤ planned (DESIGN.md §12.2): no flight for a person leaves
    # before the receiving state accepted them. The legs are in order, so the first is
    # the earliest.
    _not_before_acceptance(session, [records[p] for p in body.people], body.departs_at,
                           "legs.0.departs_at", indexed=True)
    # Everyone accepted already holds a booked place; a booking the facility can no
    # longer honour (its population grew, its capacity fell) is refused (DESIGN.md §7).
    outlook = facilities.forecast(session, agreement.facility_code, body.departs_at.date())
    if outlook.free_places < 0 and agreement.rules.get("CAPACITY", {}).get("enabled", False):
        raise Conflict(f"CAPACITY: {-outlook.free_places} more people booked than "
                       f"{agreement.facility_code} has places on {outlook.on}",
                       code=ErrorCode.NO_SPACE_AT_RECEIVING_FACILITY,
                       details={"forecast": outlook.free_places})
    event = record(session, NewEvent(
        type="transfer.planned", actor=actor, party=party, facility=agreement.facility_code,
        payload=TransferPlanned(agreement_ref=agreement.ref,
                                facility_code=agreement.facility_code,
                                departure_date=body.departs_at.date(), legs=body.legs,
                                people=list(body.people))))
    return session.get_one(Manifest, manifest_id_for(event.seq))


RETURN_OUTCOMES = ("released", "returned")


def plan_return(session: Session, body: ManifestIn, *, outcome: str, actor: str,
                party: str | None) -> Manifest:
    """plan_return: a manifest taking people held at a facility back to the sending state.

    OUTCOME is `released` (the sentence served, or repatriation) or `returned`
    (a court order requires it). No departure gates: going home is never barred.
    """
    from habeas.custody.models import Prisoner
    from habeas.facilities.service import PRESENT

    if outcome not in RETURN_OUTCOMES:
        raise field_error("outcome", "must be released or returned")
    prisoners = {p.public_id: p for p in session.scalars(select(Prisoner).where(
        Prisoner.public_id.in_(body.people)))}
    for i, public_id in enumerate(body.people):
        prisoner = prisoners.get(public_id)
        ref = session.scalar(select(NominationRecord.agreement_ref).where(
            NominationRecord.public_id == public_id))
        theirs = session.get(Agreement, ref) if ref is not None else None
        if prisoner is None or prisoner.kind != "transferee" or theirs is None or (
                party is not None and not is_party_to(theirs, party)):
            raise NotFound(f"people.{i}: {public_id!r} is not a transferee held in custody",
                           details={"field": f"people.{i}"})
        if prisoner.status not in PRESENT:
            raise Conflict(f"people.{i}: {public_id} is {prisoner.status}, not in custody",
                           code=ErrorCode.INVALID_TRANSITION, details={"field": f"people.{i}"})
    refuse_if_listed(session, body.people)
    records = [session.get_one(NominationRecord, p) for p in body.people]
    agreements = {r.agreement_ref for r in records}
    if len(agreements) != 1:
        raise field_error("people", "everyone on a manifest must be under the same agreement")
    agreement = session.get_one(Agreement, agreements.pop())
    # The receiving state, which holds them, plans the way home (DESIGN.md §12.1).
    require_side(agreement, party, Side.RECEIVING, act="planning a return",
                 not_found=f"agreement {agreement.ref!r} not found")
    event = record(session, NewEvent(
        type="transfer.planned", actor=actor, party=party, facility=agreement.facility_code,
        payload=TransferPlanned(agreement_ref=agreement.ref,
                                facility_code=agreement.facility_code, direction=outcome,
                                departure_date=body.departs_at.date(), legs=body.legs,
                                people=list(body.people))))
    return session.get_one(Manifest, manifest_id_for(event.seq))


def approve(session: Session, manifest_id: str, *, actor: str, party: str | None) -> Manifest:
    """approve: the sending state, whose people move, approves the departure (§12.1)."""
    manifest, _ = owned_manifest(session, manifest_id, party, Side.SENDING,
                                 act="approving a departure")
    _transition(manifest, ("planned",), "approved")
    record(session, NewEvent(type="transfer.approved", actor=actor, party=party,
                             facility=manifest.facility_code,
                             payload=ManifestStep(manifest_id=manifest_id)))
    return manifest


def cancel(session: Session, manifest_id: str, *, reason: str, actor: str,
           party: str | None) -> Manifest:
    """cancel: the receiving state, which planned the manifest, calls it off before it
    departs (the sending state's way to stop it is not to approve or fly it)."""
    manifest, _ = owned_manifest(session, manifest_id, party, Side.RECEIVING,
                                 act="cancelling a transfer")
    _transition(manifest, ("planned", "approved"), "cancelled")
    if not reason.strip():
        raise field_error("reason", N_("say why the transfer is cancelled"))
    record(session, NewEvent(type="transfer.cancelled", actor=actor, party=party,
                             facility=manifest.facility_code,
                             payload=TransferCancelled(manifest_id=manifest_id,
                                                       reason=reason.strip())))
    return manifest


def departure_gates(session: Session, agreement: Agreement, record_: NominationRecord,
                    departs_at: datetime, all_holds: list[Hold]) -> list[RuleResult]:
    """departure_gates: NOTICE, NO_LEGAL_HOLD, NON_REFOULEMENT and IDENTITY on the day."""
    day = departs_at.date()
    ctx = context_for(agreement, day, all_holds)
    nomination = Nomination.model_validate(record_.data)
    notice = decisions.latest_notice(session, record_.public_id)
    return [rules.notice(notice.served_on if notice else None, day, ctx),
            rules.no_legal_hold(nomination, ctx), rules.non_refoulement(nomination, ctx),
            rules.identity(nomination, ctx)]


def gates_on_record(session: Session, agreement: Agreement, record_: NominationRecord,
                    departed_at: datetime, recorded_at: datetime, all_holds: list[Hold]
                    ) -> list[RuleResult]:
    """gates_on_record: the departure gates judged at the claimed departure time AND at the
    time the departure is recorded; a gate fails if it fails at either (DESIGN.md §12.2).

    At the claimed time: the notice period and any order in force that day. At the
    recording time: every order on record then — a TRO registered before the departure
    is recorded bars it, however early `departed_at` says the plane left (issue 17).
    """
    claimed = departure_gates(session, agreement, record_, departed_at, all_holds)
    if recorded_at.date() == departed_at.date():
        return claimed
    now = departure_gates(session, agreement, record_, recorded_at, all_holds)
    judged = []
    for at_claim, at_record in zip(claimed, now, strict=True):
        if at_claim.outcome is Outcome.PASS and at_record.outcome is not Outcome.PASS:
            at_claim = RuleResult(at_record.rule, at_record.outcome,
                                  f"{at_record.message} (on record when the departure was "
                                  f"recorded, {recorded_at.date()})", at_record.citation)
        judged.append(at_claim)
    return judged


def depart(session: Session, manifest_id: str, *, departed_at: datetime, actor: str,
           party: str | None, late_reason: str | None = None
           ) -> tuple[list[str], list[dict[str, str]]]:
    """depart checks every listed person's gates; who fails is taken off, the others go.

    Returns (who boarded, who was taken off with the reason). If nobody passes,
    the manifest is cancelled with that reason.
    """
    manifest, agreement = owned_manifest(session, manifest_id, party, Side.SENDING,
                                         act="departing")
    check_claim("transfer.departed", departed_at, late_reason, field="departed_at")
    recorded_at = utcnow()
    _transition(manifest, ("approved",), "departed")
    if manifest.direction == "outbound":
        # Nobody is sent after the term; going home is never barred by it.
        _within_term(agreement, departed_at, "departed_at")
    if departed_at.date() < manifest.departure_date:
        # planned ≤ departed (DESIGN.md §12.2).
        raise field_error("departed_at", f"before the planned departure date "
                          f"{manifest.departure_date}; re-plan the transfer",
                          ErrorCode.OUT_OF_ORDER)
    all_holds = holds.all_holds(session)
    # The planned day may be the acceptance's: the time of day still counts.
    _not_before_acceptance(session, [r for e, r in people_on(session, manifest_id)
                                     if e.status == "listed"], departed_at, "departed_at")
    events: list[NewEvent] = []
    boarded: list[Boarded] = []
    removed: list[dict[str, str]] = []
    for entry, record_ in people_on(session, manifest_id):
        if entry.status != "listed":
            continue
        if manifest.direction != "outbound":
            boarded.append(Boarded(public_id=record_.public_id, gates=[]))
            continue
        gates = gates_on_record(session, agreement, record_, departed_at, recorded_at,
                                all_holds)
        failed = [g for g in gates if g.outcome is not Outcome.PASS]
        as_dicts = [g.as_dict() for g in gates]
        if failed:
            reason = "; ".join(f"{g.rule}: {g.message}" for g in failed)
            removed.append({"public_id": record_.public_id, "reason": reason})
            events.append(NewEvent(
                type="transfer.person_removed", actor=actor, party=party,
                subject=record_.public_id, facility=manifest.facility_code,
                payload=PersonRemoved(manifest_id=manifest_id, public_id=record_.public_id,
                                      reason=reason, gates=as_dicts)))
        else:
            boarded.append(Boarded(public_id=record_.public_id, gates=as_dicts))
    moment = departed_at.astimezone(UTC)
    if boarded:
        events.append(NewEvent(
            type="transfer.departed", actor=actor, party=party, facility=manifest.facility_code,
            occurred_at=moment, late_reason=late_reason, payload=TransferDeparted(
                manifest_id=manifest_id, departed_at=moment, boarded=boarded)))
    else:
        events.append(NewEvent(
            type="transfer.cancelled", actor=actor, party=party, facility=manifest.facility_code,
            payload=TransferCancelled(manifest_id=manifest_id,
                                      reason="nobody passed the departure gates")))
    record_many(session, events)
    faults.crash_point("transfers.depart")
    return [b.public_id for b in boarded], removed


def _not_before_acceptance(session: Session, people: Sequence[NominationRecord],
                           moment: datetime, field: str, *, indexed: bool = False) -> None:
    """_not_before_acceptance: MOMENT, claimed for a movement of PEOPLE (a planned leg, a
    departure), is after each was accepted — and so after each was nominated
    (DESIGN.md §12.2: nomination ≤ acceptance ≤ planned ≤ departed). The acceptance
    counts from its event's occurred_at; the nomination, the one step with no claimed
    time, from its recording. A refusal names FIELD and the person (`out_of_order`) — as
    `people.N` too if INDEXED (PEOPLE are the request's, in its order)."""
    for i, record_ in enumerate(people):
        step, since = "nominated", decisions.nominated_at(session, record_)
        accepted = decisions.accepted_at(session, record_)
        if accepted is not None and accepted > since:
            step, since = "accepted", accepted
        if moment < since:
            who = f"people.{i} ({record_.public_id})" if indexed else record_.public_id
            raise ValidationFailed(
                f"{field}: before {who} was {step} "
                f"({since.isoformat()})", code=ErrorCode.OUT_OF_ORDER,
                details={"field": field, "public_id": record_.public_id,
                         f"{step}_at": since.isoformat()})


def arrive(session: Session, manifest_id: str, *, arrived_at: datetime, actor: str,
           party: str | None, late_reason: str | None = None) -> Manifest:
    """arrive: the receiving state records the manifest's arrival (DESIGN.md §12.1), home-
    bound ones too (its escort brings them)."""
    manifest, _ = owned_manifest(session, manifest_id, party, Side.RECEIVING,
                                 act="recording an arrival")
    check_claim("transfer.arrived", arrived_at, late_reason, field="arrived_at")
    _transition(manifest, ("departed",), "arrived")
    moment = arrived_at.astimezone(UTC)
    if manifest.departed_at is not None and moment < manifest.departed_at:
        raise field_error("arrived_at", "before the departure", ErrorCode.OUT_OF_ORDER)
    record(session, NewEvent(type="transfer.arrived", actor=actor, party=party,
                             facility=manifest.facility_code, occurred_at=moment,
                             late_reason=late_reason,
                             payload=TransferArrived(manifest_id=manifest_id,
                                                     arrived_at=moment)))
    return manifest


def _side_of(agreement: Agreement, party: str | None, *, act: str) -> Side:
    """_side_of: which side of AGREEMENT PARTY, one of its states, acts for."""
    if party is None:
        raise Forbidden(f"{act} is done by an officer of one of the states of "
                        f"{agreement.ref}, each for its own side", code=ErrorCode.WRONG_PARTY,
                        details={"agreement": agreement.ref})
    return Side.SENDING if party == agreement.sending_party else Side.RECEIVING


def _handover_side(session: Session, manifest_id: str, party: str | None, *, act: str,
                   at: datetime, late_reason: str | None
                   ) -> tuple[Manifest, Agreement, Side]:
    """_handover_side: the manifest, its agreement and the side PARTY records its part of
    ACT for (another agreement's state: the manifest's own 404), its claimed time checked."""
    manifest, agreement = manifest_of(session, manifest_id, party)
    side = _side_of(agreement, party, act=act)
    check_claim("transfer.handover_part", at, late_reason, field="handed_over_at")
    return manifest, agreement, side


def _record_part(session: Session, manifest: Manifest, agreement: Agreement,
                 body: HandoverPartIn, *, handing: Side, side: Side,
                 officer: str, actor: str, party: str,
                 custody: Callable[[HandoverIn, datetime], NewEvent],
                 late_reason: str | None = None) -> None:
    """_record_part records SIDE's own part of a handover (HANDING hands, the other side
    takes). Custody passes (the CUSTODY event) only when both parts are on record, in
    either order, at the later of the two moments each side gives (DESIGN.md §12.1:
    "both: the handing and the taking officer, each for its own side")."""
    if body.side is not None and body.side != side.value:
        # One side typing the other's part (DESIGN.md §12.1: "never one side typing the
        # other's name"): the sending state's receipt is the sending state's alone.
        owner = agreement.sending_party if body.side == "sending" else agreement.receiving_party
        raise Forbidden(f"the {body.side} state's part belongs to {owner}, not to {party}",
                        code=ErrorCode.WRONG_PARTY,
                        details={"agreement": agreement.ref, "owner": owner,
                                 "side": body.side, "field": "side"})
    if not officer.strip():
        raise field_error("officer", "the officer is the user who records the part")
    moment = body.handed_over_at.astimezone(UTC)
    if manifest.arrived_at is not None and moment < manifest.arrived_at:
        raise field_error("handed_over_at", "before the manifest arrived",
                          ErrorCode.OUT_OF_ORDER)
    if body.biometric_reference_sha256 is not None and not (
            manifest.direction == "outbound" and side is Side.SENDING):
        # Mandela Rule 7(a): the identity the sending state vouches for, from its own part.
        raise field_error("biometric_reference_sha256", "given by the sending state with its "
                          "part of a handover to the facility")
    parts = {p.side: p for p in session.scalars(select(HandoverPart).where(
        HandoverPart.manifest_id == manifest.id, HandoverPart.public_id == body.public_id))}
    if side.value in parts:
        raise Conflict(f"{body.public_id}: the {side.value} state's part is already recorded "
                       f"on {manifest.id}; the other state records its own",
                       code=ErrorCode.INVALID_TRANSITION, details={"field": "public_id"})
    role = "handing" if side is handing else "taking"
    events = [NewEvent(
        type="transfer.handover_part", actor=actor, party=party, subject=body.public_id,
        facility=manifest.facility_code, occurred_at=moment, late_reason=late_reason,
        payload=HandoverPartRecorded(
            manifest_id=manifest.id, public_id=body.public_id, side=side.value, role=role,
            officer=officer.strip(), handed_over_at=moment,
            biometric_reference_sha256=body.biometric_reference_sha256))]
    other = parts.get((Side.RECEIVING if side is Side.SENDING else Side.SENDING).value)
    if other is not None:
        mine = {"officer": officer.strip(), "at": moment,
                "biometric": body.biometric_reference_sha256}
        theirs = {"officer": other.officer, "at": other.handed_over_at,
                  "biometric": other.biometric_reference_sha256}
        sending, receiving = (mine, theirs) if side is Side.SENDING else (theirs, mine)
        passes = max(moment, other.handed_over_at)
        events.append(custody(HandoverIn(
            public_id=body.public_id, sending_officer=str(sending["officer"]),
            receiving_officer=str(receiving["officer"]), handed_over_at=passes,
            biometric_reference_sha256=sending["biometric"]), passes))
    record_many(session, events)


def recorded_parts(session: Session, manifest_id: str, public_id: str) -> list[str]:
    """recorded_parts: the sides whose part of the person's handover is on record so far."""
    return sorted(session.scalars(select(HandoverPart.side).where(
        HandoverPart.manifest_id == manifest_id, HandoverPart.public_id == public_id)))


def hand_over(session: Session, manifest_id: str, body: HandoverPartIn, *, officer: str,
              actor: str, party: str | None, late_reason: str | None = None
              ) -> ManifestPerson:
    """hand_over records one state's part of a person passing into the facility's custody.

    The sending state's officer hands, the facility's takes; each records its own part
    with its own login, named as that side's officer. Once both are recorded the sending
    state stays the legal custodian (the sentence is its own) and the facility becomes
    the physical custodian.
    """
    manifest, agreement, side = _handover_side(session, manifest_id, party, act="a handover",
                                               at=body.handed_over_at,
                                               late_reason=late_reason)
    assert party is not None
    if manifest.direction != "outbound":
        raise Conflict(f"manifest {manifest_id} takes people home; record their handback",
                       code=ErrorCode.INVALID_TRANSITION)
    entry = session.get(ManifestPerson, (manifest_id, body.public_id))
    if entry is None or entry.status == "removed":
        raise Conflict(f"public_id: {body.public_id} is not on manifest {manifest_id}"
                       + (" (taken off at departure)" if entry is not None else ""),
                       code=ErrorCode.NOT_ON_MANIFEST, details={"field": "public_id"})
    if entry.status == "return_required":
        raise Conflict(f"{body.public_id}: a court order requires return; no handover "
                       f"({entry.reason})", code=ErrorCode.RETURN_REQUIRED,
                       details={"field": "public_id"})
    if entry.status == "handed_over":
        raise Conflict(f"{body.public_id} was already handed over", details={
            "field": "public_id"})
    if manifest.status != "arrived":
        raise Conflict(f"manifest {manifest_id} is {manifest.status}; hand over on arrival",
                       code=ErrorCode.INVALID_TRANSITION)

    def custody(handover: HandoverIn, moment: datetime) -> NewEvent:
        return NewEvent(
            type="custody.handed_over", actor=actor, party=party, subject=body.public_id,
            facility=manifest.facility_code, occurred_at=moment, late_reason=late_reason,
            payload=HandedOver(
                manifest_id=manifest_id, handover=handover,
                legal_custodian=agreement.sending_party,
                physical_custodian=manifest.facility_code))

    _record_part(session, manifest, agreement, body, handing=Side.SENDING, side=side,
                 officer=officer, actor=actor, party=party, custody=custody,
                 late_reason=late_reason)
    return entry


def mark_return_required(session: Session, hold: Hold, *, actor: str, party: str | None,
                         as_of: date) -> list[str]:
    """mark_return_required: people in transit whom a new court order now protects.

    They are marked `return_required` (no handover) and both states are alerted
    (DESIGN.md §3: "one registered in flight marks the person return_required").
    """
    if not hold.active_on(as_of):
        return []
    in_flight = session.execute(
        select(ManifestPerson, Manifest, NominationRecord)
        .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
        .join(NominationRecord, NominationRecord.public_id == ManifestPerson.public_id)
        .where(ManifestPerson.status == "departed",
               Manifest.status.in_(("departed", "arrived")))).all()
    events = []
    marked = []
    for entry, manifest, record_ in in_flight:
        nomination = Nomination.model_validate(record_.data)
        agreement = session.get_one(Agreement, manifest.agreement_ref)
        if not (hold.binds(nomination, record_.sending_party)
                and hold.bars_removal_to_country(agreement.receiving_party)):
            continue
        reason = (f"{hold.kind.value} {hold.hold_ref} ({hold.court}) issued {hold.issued} "
                  f"while {manifest.id} was {manifest.status}")
        marked.append(entry.public_id)
        events.append(NewEvent(
            type="custody.return_required", actor=actor, party=party, subject=entry.public_id,
            facility=manifest.facility_code, payload=ReturnRequired(
                public_id=entry.public_id, manifest_id=manifest.id, hold_ref=hold.hold_ref,
                reason=reason,
                parties=sorted({agreement.sending_party, agreement.receiving_party}))))
    record_many(session, events)
    return marked


def hand_back(session: Session, manifest_id: str, body: HandoverPartIn, *, officer: str,
              actor: str, party: str | None, late_reason: str | None = None
              ) -> ManifestPerson:
    """hand_back records one state's part of a person's handback on arrival home.

    The facility's escort hands, the sending state's officer receipts (takes); each
    records its own part. Once both are recorded the person is released (or returned)
    and the sending state is again both legal and physical custodian.
    """
    manifest, agreement, side = _handover_side(session, manifest_id, party, act="a handback",
                                               at=body.handed_over_at,
                                               late_reason=late_reason)
    assert party is not None
    if manifest.direction == "outbound":
        raise Conflict(f"manifest {manifest_id} goes to the facility; record handovers",
                       code=ErrorCode.INVALID_TRANSITION)
    entry = session.get(ManifestPerson, (manifest_id, body.public_id))
    if entry is None:
        raise Conflict(f"public_id: {body.public_id} is not on manifest {manifest_id}",
                       code=ErrorCode.NOT_ON_MANIFEST, details={"field": "public_id"})
    if entry.status != "departed":
        raise Conflict(f"{body.public_id} is {entry.status} on {manifest_id}",
                       code=ErrorCode.INVALID_TRANSITION, details={"field": "public_id"})
    if manifest.status != "arrived":
        raise Conflict(f"manifest {manifest_id} is {manifest.status}; hand back on arrival",
                       code=ErrorCode.INVALID_TRANSITION)
    moment = body.handed_over_at.astimezone(UTC)
    came = session.scalar(
        select(func.max(ManifestPerson.handed_over_at))
        .join(Manifest, Manifest.id == ManifestPerson.manifest_id)
        .where(ManifestPerson.public_id == body.public_id, Manifest.direction == "outbound"))
    if came is not None and moment <= came:
        # A stay ends after it began: custody days and bills depend on it (DESIGN.md §8).
        raise field_error("handed_over_at", f"before {body.public_id} was handed over to the "
                          f"facility ({came.isoformat()})")

    def custody(handover: HandoverIn, at: datetime) -> NewEvent:
        return NewEvent(
            type="custody.released", actor=actor, party=party, subject=body.public_id,
            facility=manifest.facility_code, occurred_at=at, late_reason=late_reason,
            payload=HandedBack(
                manifest_id=manifest_id, outcome=manifest.direction, handover=handover))

    _record_part(session, manifest, agreement, body, handing=Side.RECEIVING, side=side,
                 officer=officer, actor=actor, party=party, custody=custody,
                 late_reason=late_reason)
    return entry


def return_from_transit(session: Session, manifest_id: str, public_id: str, *,
                        returned_at: datetime, officer: str, actor: str,
                        party: str | None, late_reason: str | None = None) -> None:
    """return_from_transit: a person stopped in transit by a court order goes back.

    They were never handed over, so the sending state's officer records the
    return (DESIGN.md §3: "returned by court order").
    """
    manifest, _ = owned_manifest(session, manifest_id, party, Side.SENDING,
                                 act="taking a person back")
    check_claim("custody.returned", returned_at, late_reason, field="returned_at")
    entry = session.get(ManifestPerson, (manifest_id, public_id))
    if entry is None or entry.status != "return_required":
        raise Conflict(f"public_id: {public_id} is not awaiting a court-ordered return on "
                       f"{manifest_id}", code=ErrorCode.INVALID_TRANSITION,
                       details={"field": "public_id"})
    if not officer.strip():
        raise field_error("officer", "name the officer who takes the person back")
    moment = returned_at.astimezone(UTC)
    if manifest.departed_at is not None and moment < manifest.departed_at:
        raise field_error("returned_at", "before the departure", ErrorCode.OUT_OF_ORDER)

    record(session, NewEvent(
        type="custody.returned", actor=actor, party=party, subject=public_id,
        facility=manifest.facility_code, occurred_at=moment, late_reason=late_reason,
        payload=ReturnedFromTransit(
            manifest_id=manifest_id, public_id=public_id, returned_at=moment,
            officer=officer.strip())))
