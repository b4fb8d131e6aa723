"""Transfer pages: the manifests, one manifest, and the forms that move people along it.

Thin, as the other pages: parse, call habeas.transfers.service, render. The receiving
state plans from the people it accepted, the sending state approves and records the
departure (every gate checked again by the service), the receiving state records the
arrival and each handover (DESIGN.md §2, §3). A bad field comes back named, next to it,
with what was entered; posting a form twice moves nobody twice — the service refuses a
second plan of the same people and a second step of the same manifest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of
from habeas.auth import audit
from habeas.auth.permissions import Action, allowed
from habeas.auth.principal import Principal
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError, NotFound, field_error
from habeas.i18n import N_, format_day, gettext, locale_of
from habeas.transfers import reads
from habeas.transfers import service as transfers
from habeas.transfers.schemas import HandoverPartIn, ManifestIn
from habeas.validation import parse_or_422
from habeas.web.common import FormUser, PageUser, Problem, page, problem_of, refusal_page
from habeas.web.custody import LABELS, without
from habeas.web.labels import HOLD_KIND, OUTCOME
from habeas.web.nominations import finding_text, findings
from habeas.web.paging import paginate

router = APIRouter(include_in_schema=False)
# At most this many accepted people are offered on the planning form at once.
READY_SHOWN = 500
LEG_FIELDS = ("mode", "carrier", "number", "origin", "destination", "departs_at",
              "arrives_at")
# The words for what the records store, translated where shown.
MANIFEST_STATUS = {"planned": N_("planned"), "approved": N_("approved"),
                   "departed": N_("departed"), "arrived": N_("arrived"),
                   "cancelled": N_("cancelled before departure")}
# A person on a manifest: outbound, or back to the sending state.
ON_MANIFEST = {"listed": N_("listed"), "removed": N_("removed"), "departed": N_("departed"),
               "handed_over": N_("handed over"), "return_required": N_("return required"),
               "released": N_("released"), "returned": N_("returned")}
MODE = {"flight": N_("flight"), "road": N_("road")}
TRANSFER_LABELS = {**LABELS, "manifest_status": MANIFEST_STATUS, "on_manifest": ON_MANIFEST,
                   "outcome": OUTCOME, "mode": MODE}
# Why a manifest was cancelled, when habeas.transfers.service said it (else a person's words).
CANCELLED = {"nobody passed the departure gates": N_("nobody passed the departure gates")}
# Why a person in the air is sent back (habeas.transfers.service.mark_returns writes it).
SENT_BACK = re.compile(r"(?P<kind>\w+) (?P<order>\S+) \((?P<court>.*)\) issued "
                       r"(?P<day>\d{4}-\d{2}-\d{2}) while (?P<manifest>\w+) was (?P<status>\w+)")
SENT_BACK_TEXT = N_("%(kind)s %(order)s (%(court)s), issued %(day)s, while %(manifest)s was "
                    "%(status)s")
NO_ONE_CHOSEN = N_("choose at least one accepted person")
NOT_A_MOMENT = N_("give the date and time in UTC, YYYY-MM-DD HH:MM")


def failed_gates(lang: str, gates: list[dict[str, str]], reason: str | None) -> Markup | None:
    """failed_gates: a person taken off, as the GATES they failed (the REASON stored is
    "RULE: finding; …"), each finding in LANG; None when the reason says something else."""
    failed = [g for g in gates if g.get("outcome") == "fail"]
    if not failed or reason != "; ".join(f"{g['rule']}: {g['message']}" for g in failed):
        return None
    return Markup("; ").join(Markup("{}: {}").format(g["rule"], finding_text(lang, g["message"]))
                             for g in failed)


def sent_back(lang: str, reason: str) -> str | None:
    """sent_back: the court order that sent a person in the air back, in LANG; None when
    REASON is not one."""
    found = SENT_BACK.fullmatch(reason)
    if found is None:
        return None
    said = found.groupdict()
    status = MANIFEST_STATUS.get(said["status"])
    return gettext(lang, SENT_BACK_TEXT) % {
        **said, "kind": gettext(lang, HOLD_KIND[said["kind"]]),
        "day": format_day(said["day"], lang),
        "status": gettext(lang, status) if status else said["status"]}


def reason_text(lang: str, gates: list[dict[str, str]], reason: str | None) -> Markup | str:
    """reason_text: why a person was taken off a manifest or sent back (their departure
    GATES and the REASON stored), in LANG; what the page cannot read (a person's own words)
    is shown as it was written."""
    return failed_gates(lang, gates, reason) or sent_back(lang, reason or "") or reason or ""


def when(text: str, name: str) -> datetime:
    """when reads a form's date and time (the browser's "2025-04-10T13:00") as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise field_error(name, NOT_A_MOMENT) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local(moment: datetime | None) -> str:
    """local writes MOMENT as a datetime-local field's value, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _problem(form: str, exc: DomainError) -> Problem:
    found = problem_of(form, exc)
    if found.field is None:
        return found
    # The form has one field for all of a leg's people: legs.0.people.3 → people.
    return replace(found, field=found.field.removeprefix("legs.0.").split(".")[0])


# --- the manifests and the planning form -------------------------------------------------


def _manifests_page(request: Request, principal: Principal, *, problem: Problem | None = None,
                    entered: dict[str, Any] | None = None) -> Response:
    may_plan = allowed(principal.role, Action.PLAN_TRANSFERS)
    with read_session(engine_of(request)) as db:
        listed = paginate(request, lambda limit, offset: transfers.list_manifests(
            db, principal.scope, limit=limit, offset=offset), path="/transfers")
        counts = reads.people_counts(db, [m.id for m in listed.items])
        ready = reads.ready_to_plan(db, principal.scope, limit=READY_SHOWN) if may_plan \
            else []
    form = entered or {"people": [], "mode": "flight", "carrier": "", "number": "",
                       "origin": "", "destination": "", "departs_at": "", "arrives_at": ""}
    return page(request, principal, "manifests.html",
                status_code=problem.status if problem else 200, manifests=listed.items,
                listed=listed, counts=counts, may_plan=may_plan, ready=ready,
                shown=READY_SHOWN, problem=problem, form=form, labels=TRANSFER_LABELS)


@router.get("/transfers", response_class=HTMLResponse)
def manifests_page(request: Request, principal: PageUser) -> Response:
    """manifests_page lists the manifests this principal may see, and the planning form."""
    return _manifests_page(request, principal)


def manifest_body(people: list[str], leg: dict[str, str]) -> dict[str, Any]:
    """manifest_body turns the planning form into the ManifestIn document the API takes."""
    if not people:
        raise field_error("people", NO_ONE_CHOSEN)
    return {"people": people, "legs": [{
        "mode": leg["mode"], "carrier": leg["carrier"].strip(),
        "number": leg["number"].strip() or None, "origin": leg["origin"].strip(),
        "destination": leg["destination"].strip(),
        "departs_at": when(leg["departs_at"], "departs_at"),
        "arrives_at": when(leg["arrives_at"], "arrives_at")}]}


def leg_field(path: str) -> str:
    """leg_field: the planning form's field for a ManifestIn error at PATH. The form has one
    leg: legs.0.carrier → carrier; the leg as a whole (it arrives before it leaves) →
    arrives_at."""
    parts = path.split(".")
    if parts[:2] == ["legs", "0"] and len(parts) > 2:
        return parts[2]
    return "arrives_at" if parts[:1] == ["legs"] else path


@router.post("/transfers", response_class=HTMLResponse)
def plan_form(request: Request, principal: FormUser, people: list[str] = Form(default=[]),
              mode: str = Form(""), carrier: str = Form(""), number: str = Form(""),
              origin: str = Form(""), destination: str = Form(""),
              departs_at: str = Form(""), arrives_at: str = Form("")) -> Response:
    """plan_form plans a manifest of the people ticked, on one leg."""
    leg = {"mode": mode, "carrier": carrier, "number": number, "origin": origin,
           "destination": destination, "departs_at": departs_at, "arrives_at": arrives_at}
    try:
        body = parse_or_422(ManifestIn, manifest_body(people, leg), rename=leg_field)
        with unit_of_work(engine_of(request)) as db:
            manifest = transfers.plan(db, body, actor=principal.actor,
                                      party=principal.party_code)
            manifest_id = manifest.id
    except DomainError as exc:
        return _manifests_page(request, principal, problem=_problem("plan", exc),
                               entered={"people": people, **leg})
    return RedirectResponse(f"/transfers/{quote(manifest_id)}", status_code=303)


# --- one manifest and its steps -----------------------------------------------------------


def _manifest_page(request: Request, principal: Principal, manifest_id: str, *,
                   problem: Problem | None = None, entered: dict[str, str] | None = None,
                   done: str | None = None) -> Response:
    with unit_of_work(engine_of(request)) as db:
        try:
            view = reads.manifest_view(db, manifest_id, scope=principal.scope,
                                       party=principal.party_code)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        manifest = view.manifest
        listed = without(paginate(request, lambda limit, offset: transfers.people_on(
            db, manifest_id, limit=limit, offset=offset),
            path=f"/transfers/{quote(manifest_id)}"), "done")
        people = list(listed.items)
        awaiting = reads.awaiting_intake(db, [e.public_id for e, _ in people])
        lang = locale_of(request)
        # The manifest names people and the court orders that stopped them (Mandela Rule 9).
        audit.record_read(db, principal, kind="manifest", record_id=manifest_id, channel="web",
                         purpose="transfer manifest")
        legs = manifest.legs
        form = entered or {
            "departed_at": legs[0]["departs_at"][:16] if legs else "",
            "arrived_at": legs[-1]["arrives_at"][:16] if legs else "",
            "handed_over_at": local(manifest.arrived_at), "public_id": "",
            "biometric_reference_sha256": "", "reason": "", "late_reason": ""}
        return page(
            request, principal, "manifest.html", status_code=problem.status if problem else 200,
            m=manifest, people=people, listed=listed, awaiting=awaiting,
            reasons={e.public_id: reason_text(lang, e.gates, e.reason) for e, _ in people},
            gates=findings(lang, [g["message"] for e, _ in people for g in e.gates]),
            cancelled=gettext(lang, CANCELLED[manifest.cancel_reason])
            if manifest.cancel_reason in CANCELLED else manifest.cancel_reason,
            counts=reads.people_counts(db, [manifest_id])[manifest_id],
            may_intake=allowed(principal.role, Action.RECORD_INTAKE),
            may_approve=allowed(principal.role, Action.APPROVE_TRANSFERS),
            may_depart=allowed(principal.role, Action.DEPART_TRANSFERS),
            may_receive=allowed(principal.role, Action.RECEIVE_TRANSFERS),
            # Each state records its own part of a handover (DESIGN.md §12.1).
            may_hand_over=allowed(principal.role, Action.HAND_OVER
                                  if manifest.direction == "outbound" else Action.RELEASE)
            and view.party_to,
            my_side=view.side.value,
            may_cancel=allowed(principal.role, Action.PLAN_TRANSFERS),
            # The handover form: everyone who departed and whose part this state has not
            # recorded yet.
            to_hand_over=reads.to_hand_over(db, view, principal.party_code)
            if manifest.status == "arrived" else [],
            problem=problem, form=form, done=done, labels=TRANSFER_LABELS)


@router.get("/transfers/{manifest_id}", response_class=HTMLResponse)
def manifest_page(request: Request, principal: PageUser, manifest_id: str,
                  done: str | None = None) -> Response:
    """manifest_page: legs, each person with their gates and handover, and the next step."""
    return _manifest_page(request, principal, manifest_id,
                          done=done if done in STEPS else None)


STEPS = ("approved", "departed", "arrived", "handed_over", "cancelled")


def _step(request: Request, principal: Principal, manifest_id: str, form: str,
          entered: dict[str, str], act: Callable[[Session], None]) -> Response:
    """_step runs one step of the manifest in a unit of work, then shows the manifest: with
    what was done, or with the error named in the step's form."""
    try:
        with unit_of_work(engine_of(request)) as db:
            # The service checks the user's state against the manifest's agreement and the
            # step's owner (DESIGN.md §12.1): another agreement's manifest is not found.
            act(db)
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _manifest_page(request, principal, manifest_id, problem=_problem(form, exc),
                              entered=entered)
    return RedirectResponse(f"/transfers/{quote(manifest_id)}?done={form}#{form}",
                            status_code=303)


def _entered(**values: str) -> dict[str, str]:
    blank = dict.fromkeys(("departed_at", "arrived_at", "handed_over_at", "public_id",
                           "biometric_reference_sha256", "reason", "late_reason"), "")
    return blank | values


@router.post("/transfers/{manifest_id}/approve", response_class=HTMLResponse)
def approve_form(request: Request, principal: FormUser, manifest_id: str) -> Response:
    """approve_form: the sending state approves a planned manifest."""
    def act(db: Session) -> None:
        transfers.approve(db, manifest_id, actor=principal.actor, party=principal.party_code)

    return _step(request, principal, manifest_id, "approved", _entered(), act)


@router.post("/transfers/{manifest_id}/cancel", response_class=HTMLResponse)
def cancel_form(request: Request, principal: FormUser, manifest_id: str,
                reason: str = Form("")) -> Response:
    """cancel_form: the receiving state cancels a manifest before it departs, saying why."""
    def act(db: Session) -> None:
        transfers.cancel(db, manifest_id, reason=reason.strip(), actor=principal.actor,
                         party=principal.party_code)

    return _step(request, principal, manifest_id, "cancelled", _entered(reason=reason), act)


@router.post("/transfers/{manifest_id}/depart", response_class=HTMLResponse)
def depart_form(request: Request, principal: FormUser, manifest_id: str,
                departed_at: str = Form(""), late_reason: str = Form("")) -> Response:
    """depart_form: wheels up — every gate is checked again; who fails is taken off. A
    departure entered past its late window says why (DESIGN.md §12.2)."""
    def act(db: Session) -> None:
        transfers.depart(db, manifest_id, departed_at=when(departed_at, "departed_at"),
                         actor=principal.actor, party=principal.party_code,
                         late_reason=late_reason.strip() or None)

    return _step(request, principal, manifest_id, "departed",
                 _entered(departed_at=departed_at, late_reason=late_reason), act)


@router.post("/transfers/{manifest_id}/arrive", response_class=HTMLResponse)
def arrive_form(request: Request, principal: FormUser, manifest_id: str,
                arrived_at: str = Form(""), late_reason: str = Form("")) -> Response:
    """arrive_form: the manifest reached the facility (entered late: with why)."""
    def act(db: Session) -> None:
        transfers.arrive(db, manifest_id, arrived_at=when(arrived_at, "arrived_at"),
                         actor=principal.actor, party=principal.party_code,
                         late_reason=late_reason.strip() or None)

    return _step(request, principal, manifest_id, "arrived",
                 _entered(arrived_at=arrived_at, late_reason=late_reason), act)


def _part(request: Request, principal: Principal, manifest_id: str, public_id: str,
          handed_over_at: str, biometric_reference_sha256: str, late_reason: str,
          record: Callable[..., object]) -> Response:
    """_part: the user's state records its own part of one person's handover or handback
    (RECORD), the user named as its officer (never a name typed for the other state); a
    part entered past its late window says why (DESIGN.md §12.2)."""
    entered = _entered(public_id=public_id, handed_over_at=handed_over_at,
                       biometric_reference_sha256=biometric_reference_sha256,
                       late_reason=late_reason)

    def act(db: Session) -> None:
        moment = when(handed_over_at, "handed_over_at")
        body = parse_or_422(HandoverPartIn, {
            "public_id": public_id, "handed_over_at": moment,
            "biometric_reference_sha256": biometric_reference_sha256.strip().lower() or None})
        record(db, manifest_id, body, officer=principal.display_name, actor=principal.actor,
               party=principal.party_code, late_reason=late_reason.strip() or None)

    return _step(request, principal, manifest_id, "handed_over", entered, act)


@router.post("/transfers/{manifest_id}/handover", response_class=HTMLResponse)
def handover_form(request: Request, principal: FormUser, manifest_id: str,
                  public_id: str = Form(""), handed_over_at: str = Form(""),
                  biometric_reference_sha256: str = Form(""),
                  late_reason: str = Form("")) -> Response:
    """handover_form: the user's state records its own part of one person's handover."""
    return _part(request, principal, manifest_id, public_id, handed_over_at,
                 biometric_reference_sha256, late_reason, transfers.hand_over)


@router.post("/transfers/{manifest_id}/handback", response_class=HTMLResponse)
def handback_form(request: Request, principal: FormUser, manifest_id: str,
                  public_id: str = Form(""), handed_over_at: str = Form(""),
                  late_reason: str = Form("")) -> Response:
    """handback_form: on arrival home, the facility's escort hands the person back and the
    sending state's officer receipts them — each state its own part."""
    return _part(request, principal, manifest_id, public_id, handed_over_at, "", late_reason,
                 transfers.hand_back)
