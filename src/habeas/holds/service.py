"""Court-order use cases: register (and re-screen everyone it matches) and lift.

Above the domains it coordinates — nominations, transfers and custody screen against
the orders (holds/reads.py) and this module re-screens their people when an order is
registered or lifted — so none of them imports it (ADR 0024).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas import clock
from habeas.agreements.models import Agreement
from habeas.auth.models import Role
from habeas.auth.principal import Principal
from habeas.counsel import service as counsel
from habeas.custody import records
from habeas.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    NotFound,
    field_error,
)
from habeas.events import NewEvent, record
from habeas.holds.models import HoldRecord
from habeas.holds.projections import HoldLifted, HoldRegistered
from habeas.holds.reads import as_hold
from habeas.holds.schemas import Hold
from habeas.nominations import service as nominations
from habeas.nominations.models import NominationRecord
from habeas.transfers import service as transfers
from habeas.validation import parse_or_422


def parse_hold(data: object) -> Hold:
    """parse_hold validates one court order, naming the first bad field."""
    return parse_or_422(Hold, data)


def _nominated(session: Session, external_ref: str, party: str | None = None
               ) -> list[NominationRecord]:
    query = select(NominationRecord).where(NominationRecord.external_ref == external_ref)
    if party is not None:
        query = query.where(NominationRecord.sending_party == party)
    return list(session.scalars(query.order_by(NominationRecord.received_seq)))


def authorize_registration(session: Session, hold: Hold, *, by: Principal,
                           case_number: str | None = None) -> str:
    """authorize_registration says whether BY may register HOLD; returns the sending state
    whose people it names (DESIGN.md §12.1: "the sending party's legal role, or counsel of
    record for that person (or class counsel, naming the case); never the receiving party,
    another agreement").

    A person the actor may not act for reads as a person who does not exist (404).
    """
    ref = hold.scope.external_ref
    if by.role is Role.SENDING and by.party_code is not None:
        # A US order names US people: the person must be one of this state's nominations.
        if ref is not None and not _nominated(session, ref, by.party_code):
            raise NotFound(counsel.person_not_found(ref), details={"field": "scope"})
        return by.party_code
    if by.role is Role.COUNSEL:
        if ref is not None:
            clients = [n for n in _nominated(session, ref)
                       if counsel.is_of_record(session, by, n.public_id)]
            if not clients:
                raise NotFound(counsel.person_not_found(ref), details={"field": "scope"})
            return clients[0].sending_party
        # Class counsel names the case it appeared in (Fed. R. Civ. P. 23(g)).
        case = (case_number or "").strip()
        if not case:
            raise field_error("case_number", "class counsel names the case in which it "
                              "appeared to register a class-wide order")
        cases = [a for a in counsel.cases_of(session, by)
                 if (a.case_number or "").casefold() == case.casefold()]
        party = next((p.party for a in cases
                      if (p := counsel.find_person(session, a.public_id)) and p.party), None)
        if party is None:
            raise Forbidden(f"you have not appeared as counsel in case {case!r}",
                            code=ErrorCode.NOT_COUNSEL_OF_RECORD,
                            details={"field": "case_number"})
        return party
    raise Forbidden("a court order is registered by the sending state or by counsel of "
                    "record, never by the receiving state", code=ErrorCode.WRONG_PARTY)


def register_by(session: Session, hold: Hold, *, by: Principal, as_of: date,
                case_number: str | None = None) -> tuple[str, int]:
    """register_by: BY registers HOLD, if §12.1 lets them (authorize_registration)."""
    party = authorize_registration(session, hold, by=by, case_number=case_number)
    return register(session, hold, actor=by.actor, party=party, as_of=as_of)


def issuing_state(session: Session, hold: Hold) -> str | None:
    """issuing_state: the sending state whose people an order registered without one names
    (the trusted entry: an import, the demo) — the one state that nominated its person, or,
    for a class or a person not nominated yet, the one state that sends under any agreement.

    Never a guess: an external_ref is unique only per sending state (DESIGN.md §4), so if
    several states could be meant the order must say whose it is (`party`), or it would
    bind (and its lift free) another state's people. None only with no agreement at all.
    """
    ref = hold.scope.external_ref
    states = {n.sending_party for n in _nominated(session, ref)} if ref is not None else set()
    if not states:
        states = set(session.scalars(select(Agreement.sending_party).distinct()))
    if len(states) > 1:
        named = f"{ref!r} is nominated by" if ref is not None else "the order's class is sent by"
        raise field_error("party", f"{named} several states ({', '.join(sorted(states))}); "
                          "say whose order it is")
    return next(iter(states), None)


def register(session: Session, hold: Hold, *, actor: str, party: str | None,
             as_of: date) -> tuple[str, int]:
    """register records a court order and re-screens every nomination it binds.

    The trusted entry (imports, the demo's simulation): faces call register_by. PARTY is
    the issuing state, the sending state whose people the order names (DESIGN.md §12.1);
    without it, the order's own `party`, else `issuing_state`. It is recorded on the
    order (`Hold.party`, the event's party): the order binds that state's nominations
    only. Returns ("registered" | "unchanged", number of decisions changed).
    """
    if party is not None and hold.party is not None and hold.party != party:
        raise Forbidden(f"an order registered by {party} names {party}'s people, not "
                        f"{hold.party}'s", code=ErrorCode.WRONG_PARTY,
                        details={"field": "party", "owner": party})
    party = party or hold.party or issuing_state(session, hold)
    if party is not None and not session.scalar(
            select(Agreement.ref).where(Agreement.sending_party == party).limit(1)):
        raise field_error("party", f"no agreement names {party} as its sending state")
    hold = hold.model_copy(update={"party": party})
    existing = session.get(HoldRecord, hold.hold_ref)
    if existing is not None:
        # An order recorded before its state was has none to compare.
        known = as_hold(existing).model_copy(update={
            "lifted_on": None, "party": existing.party if existing.party else party})
        if known == hold:
            return "unchanged", 0
        raise Conflict(f"hold_ref: {hold.hold_ref!r} is registered with different terms",
                       details={"field": "hold_ref"})
    if hold.lifted_on is not None:
        raise field_error("lifted_on", "a new order cannot arrive lifted; lift it afterwards")
    record(session, NewEvent(type="hold.registered", payload=HoldRegistered(hold=hold),
                             actor=actor, party=party))
    changed = nominations.rescreen(session, actor=actor, as_of=as_of, only=hold.binds)
    # people in the air are protected too
    changed += len(transfers.mark_return_required(session, hold, actor=actor, party=party,
                                                  as_of=as_of))
    # a return order reaches people already held
    changed += len(records.order_returns(session, hold, actor=actor, party=party, as_of=as_of))
    return "registered", changed


def _order_not_found(hold_ref: str) -> str:
    return f"court order {hold_ref!r} not found"


def authorize_lift(session: Session, hold_ref: str, *, by: Principal) -> HoldRecord:
    """authorize_lift: only whoever registered the order, or the legal role of the sending
    state whose people it names, lifts it (DESIGN.md §12.1). Another state's officer reads
    the order as not found; the receiving state and other counsel are refused."""
    existing = session.get(HoldRecord, hold_ref)
    if existing is None:
        raise NotFound(_order_not_found(hold_ref))
    if by.role is Role.SENDING:
        if existing.party is not None and existing.party != by.party_code:
            raise NotFound(_order_not_found(hold_ref))
        if existing.party is not None or existing.registered_by == by.actor:
            return existing
    elif existing.registered_by == by.actor:
        return existing
    if by.role is Role.RECEIVING:
        raise Forbidden(f"court order {hold_ref!r} binds the sending state; the receiving "
                        "state never lifts it", code=ErrorCode.WRONG_PARTY,
                        details={"owner": existing.party, "side": "sending"})
    raise Forbidden(f"court order {hold_ref!r} is lifted by whoever registered it or by the "
                    "sending state", code=ErrorCode.LIFT_NOT_ALLOWED)


def lift_by(session: Session, hold_ref: str, *, by: Principal, reason: str, document: str,
            lifted_on: date) -> int:
    """lift_by: BY lifts HOLD_REF, if §12.1 lets them (authorize_lift)."""
    authorize_lift(session, hold_ref, by=by)
    return lift(session, hold_ref, reason=reason, document=document, lifted_on=lifted_on,
                actor=by.actor, party=by.party_code)


def lift(session: Session, hold_ref: str, *, reason: str, document: str, lifted_on: date,
         actor: str, party: str | None) -> int:
    """lift ends a court order from LIFTED_ON and re-screens the people it matched.

    The lift cites the court document that lifts the order, and LIFTED_ON lies between
    the order's issue and today (the injected clock): a lift dated before its order, or
    in the future, is refused (DESIGN.md §12.1-§12.2). Whatever LIFTED_ON says, the
    integrity report counts the lift from when it is recorded.
    """
    existing = session.get(HoldRecord, hold_ref)
    if existing is None:
        raise NotFound(_order_not_found(hold_ref))
    if not reason.strip():
        raise field_error("reason", "say why the order is lifted")
    if not document.strip():
        raise field_error("document", "cite the court document that lifts the order")
    if lifted_on < existing.issued:
        raise field_error("lifted_on", f"{lifted_on} is before the order was issued on "
                          f"{existing.issued}", code=ErrorCode.LIFT_BEFORE_ISSUE)
    if lifted_on > clock.today():
        raise field_error("lifted_on", f"{lifted_on} is in the future",
                          code=ErrorCode.LIFT_IN_FUTURE)
    if existing.lifted_on is not None:
        raise Conflict(f"court order {hold_ref!r} was lifted on {existing.lifted_on}")
    hold = as_hold(existing)
    record(session, NewEvent(type="hold.lifted", actor=actor, party=party,
                             payload=HoldLifted(hold_ref=hold_ref, lifted_on=lifted_on,
                                                reason=reason.strip(),
                                                document=document.strip())))
    # Only the issuing state's people were bound; only theirs are screened again.
    return nominations.rescreen(session, actor=actor, as_of=lifted_on, only=hold.binds)
