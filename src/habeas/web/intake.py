"""The intake form (Mandela Rule 7): a handed-over person taken in, field by field; then
housed by the placement engine.

The form's lines for property ("description; quantity") and contacts ("name;
relationship; phone; email; emergency") become the intake record's lists; a bad
field comes back with the entered values kept and the field named.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import ValidationError

from habeas.api.deps import engine_of
from habeas.auth import audit
from habeas.auth.principal import Principal
from habeas.custody import file_reads
from habeas.custody import service as custody
from habeas.custody.models import Prisoner
from habeas.custody.schemas import IntakeIn
from habeas.db import unit_of_work, utcnow
from habeas.errors import Conflict, DomainError, ErrorCode, NotFound, ValidationFailed, field_error
from habeas.facilities import housing
from habeas.i18n import DEFAULT, N_, SUPPORTED, gettext, locale_of
from habeas.validation import describe
from habeas.web import labels
from habeas.web.common import FormUser, PageUser, page, refusal_page
from habeas.web.custody import BASES, FRIENDLY, LABELS, SECURITY_LEVELS, affiliation_label
from habeas.web.transfers import when

router = APIRouter(include_in_schema=False)
# What the sending state said, in the words of the page (codes as the nomination stores them).
DOCUMENT = {"passport": N_("passport"), "national_id": N_("national identity card"),
            "travel_document": N_("travel document"), "other": N_("other document")}
# The word that ends an emergency contact's line, in any language of the pages.
EMERGENCY = N_("emergency")
PROPERTY_LINE = N_("write “description; quantity”, the quantity a whole number")
CONTACT_LINE = N_("write “name; relationship; phone; email” (phone and email may be left out)")


def _lines(text: str) -> list[tuple[int, list[str]]]:
    return [(n, [part.strip() for part in line.split(";")])
            for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def line_error(field: str, line: int, problem: str) -> ValidationFailed:
    """line_error: LINE of a many-line FIELD is wrong; the page says which, in its language."""
    return ValidationFailed(f"{field}: line {line}: {problem}",
                            details={"field": field, "problem": problem, "line": line})


def parse_property(text: str) -> list[dict[str, Any]]:
    """parse_property reads one item per line: 'description; quantity' (quantity 1 if left
    out). Property is recorded and stored (Mandela Rule 67)."""
    items = []
    for n, parts in _lines(text):
        quantity = parts[1] if len(parts) > 1 and parts[1] else "1"
        if len(parts) > 2 or not re.fullmatch(r"[0-9]{1,5}", quantity):
            raise line_error("property", n, PROPERTY_LINE)
        items.append({"description": parts[0], "quantity": int(quantity)})
    return items


def is_emergency(word: str) -> bool:
    """is_emergency: WORD marks an emergency contact, in English or the reader's language."""
    return word.lower() in {gettext(lang, EMERGENCY).lower() for lang in SUPPORTED}


def parse_contacts(text: str) -> list[dict[str, Any]]:
    """parse_contacts reads one contact per line: 'name; relationship; phone; email', ending
    '; emergency' for whom to tell of serious illness or death (Mandela Rules 68–69)."""
    contacts = []
    for n, parts in _lines(text):
        emergency = len(parts) > 2 and is_emergency(parts[-1])
        fields = parts[:-1] if emergency else parts
        if not 2 <= len(fields) <= 4:
            raise line_error("contacts", n, CONTACT_LINE)
        fields += [""] * (4 - len(fields))
        contacts.append({"name": fields[0], "relationship": fields[1],
                         "phone": fields[2] or None, "email": fields[3] or None,
                         "emergency": emergency})
    return contacts


def intake_body(form: dict[str, str]) -> dict[str, Any]:
    """intake_body turns the form's fields into the IntakeIn document the API takes."""
    group = form["affiliation_group"].strip()
    basis = form["affiliation_basis"] or "none"
    return {
        "document_checked": form["document_checked"].strip(),
        "biometric_sha256": form["biometric_sha256"].strip().lower() or None,
        "visible_injuries": form["visible_injuries"].strip(),
        "ill_treatment_complaint": form["ill_treatment_complaint"].strip(),
        "property": parse_property(form["property"]),
        "contacts": parse_contacts(form["contacts"]),
        "language": form["language"].strip().lower(),
        "medical_flags": [f.strip() for f in form["medical_flags"].split(",") if f.strip()],
        "security_level": form["security_level"],
        "affiliation": {"group": group or None, "basis": basis,
                        "source": form["affiliation_source"].strip() or None}
        if group or basis != "none" else {},
        "legal_status": form["legal_status"],
        # The person's requests about notifications (Mandela Rules 68-69; VCCR art. 36).
        "do_not_notify": form.get("do_not_notify") == "on",
        "do_not_notify_consulate": form.get("do_not_notify_consulate") == "on",
    }


def validation_error(exc: ValidationError) -> DomainError:
    """validation_error names the form field of the first problem, as the page shows it.

    Not parse_or_422: the page words three problems its own way: which item of a many-line
    field is wrong ("item 2"), the group and its basis under the form's affiliation fields,
    and a malformed biometric hash in plain words (FRIENDLY)."""
    error = exc.errors()[0]
    path, problem = describe(error)
    loc = [str(p) for p in error["loc"]] or ["form"]
    if error["type"] == "string_pattern_mismatch" and loc[0] in FRIENDLY:
        problem = FRIENDLY[loc[0]]
    if loc[0] in ("property", "contacts", "medical_flags") and len(loc) > 1:
        rest = f", {'.'.join(loc[2:])}" if len(loc) > 2 else ""
        return field_error(loc[0], f"item {int(loc[1]) + 1}{rest}: {problem}")
    if loc[0] == "affiliation":  # the group and its basis are checked together
        return field_error(f"affiliation_{loc[1] if len(loc) > 1 else 'basis'}", problem)
    return field_error(path, problem)


def default_form(prisoner: Prisoner, data: dict[str, Any], lang: str) -> dict[str, str]:
    """default_form fills the intake form from what the sending state said, in LANG."""
    person = data.get("person", {})
    document = (person.get("documents") or [{}])[0]
    kin = data.get("next_of_kin") or []
    return {
        "document_checked": f"{document.get('type', '')} {document.get('number', '')}".strip(),
        "biometric_sha256": "", "visible_injuries": "", "ill_treatment_complaint": "",
        "property": "", "medical_flags": "", "language": person.get("language", ""),
        "contacts": "\n".join("; ".join([k["name"], k["relationship"], k.get("phone") or "",
                                         k.get("email") or "", gettext(lang, EMERGENCY)])
                              for k in kin),
        "security_level": prisoner.security_level or "",
        "affiliation_group": prisoner.affiliation_group or "",
        "affiliation_basis": prisoner.affiliation_basis,
        "affiliation_source": gettext(lang, N_("sending state's nomination"))
        if prisoner.affiliation_group else "",
        "legal_status": prisoner.legal_status, "at": "", "late_reason": "",
    }


def _intake_page(request: Request, principal: Principal, public_id: str,
                 form: dict[str, str] | None = None, error: DomainError | None = None
                 ) -> Response:
    """_intake_page renders the intake form, with ERROR and the values entered if any."""
    lang = locale_of(request)
    with unit_of_work(engine_of(request)) as db:
        try:
            prisoner = custody.get_prisoner(db, public_id, principal.scope)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        nomination = file_reads.nomination_of(db, public_id)
        data = nomination.data if nomination is not None else {}
        handover = file_reads.handover_of(db, public_id)
        # Opening a person's file is recorded: who, when, why (Mandela Rule 9).
        audit.record_read(db, principal, kind="prisoner", record_id=public_id, channel="web",
                         purpose="intake")
        return page(
            request, principal, "intake.html", status_code=error.status if error else 200,
            p=prisoner, n=nomination, data=data, handover=handover,
            said=affiliation_label((data.get("affiliation") or {}).get("group"),
                                   (data.get("affiliation") or {}).get("basis", "none"), lang),
            form=form or default_form(prisoner, data, lang), levels=SECURITY_LEVELS,
            bases=BASES, error=error, bad=error.details.get("field") if error else None,
            labels={**LABELS, "document": DOCUMENT, "standing": labels.STANDING})


@router.get("/people/{public_id}/intake", response_class=HTMLResponse)
def intake_page(request: Request, principal: PageUser, public_id: str) -> Response:
    """intake_page shows what the sending state said and the intake form."""
    return _intake_page(request, principal, public_id)


@router.post("/people/{public_id}/intake", response_class=HTMLResponse)
def intake_form(request: Request, principal: FormUser, public_id: str,
                document_checked: str = Form(""),
                biometric_sha256: str = Form(""), visible_injuries: str = Form(""),
                ill_treatment_complaint: str = Form(""), items: str = Form("", alias="property"),
                contacts: str = Form(""), language: str = Form(""),
                medical_flags: str = Form(""), security_level: str = Form(""),
                affiliation_group: str = Form(""), affiliation_basis: str = Form(""),
                affiliation_source: str = Form(""), legal_status: str = Form(""),
                do_not_notify: str = Form(""), do_not_notify_consulate: str = Form(""),
                at: str = Form(""), late_reason: str = Form("")) -> Response:
    """intake_form records the intake, taken now or at the time given (past its late window:
    with why, DESIGN.md §12.2); a bad field re-renders the form naming it."""
    form = {"document_checked": document_checked, "biometric_sha256": biometric_sha256,
            "visible_injuries": visible_injuries, "ill_treatment_complaint":
            ill_treatment_complaint, "property": items, "contacts": contacts,
            "language": language, "medical_flags": medical_flags,
            "security_level": security_level, "affiliation_group": affiliation_group,
            "affiliation_basis": affiliation_basis, "affiliation_source": affiliation_source,
            "legal_status": legal_status, "do_not_notify": do_not_notify,
            "do_not_notify_consulate": do_not_notify_consulate, "at": at,
            "late_reason": late_reason}
    try:
        with unit_of_work(engine_of(request)) as db:
            prisoner = custody.get_prisoner(db, public_id, principal.scope)
            try:
                intake = IntakeIn.model_validate(intake_body(form))
            except ValidationError as exc:
                raise validation_error(exc) from None
            # The admission record of Mandela Rule 7, taken by the officer logged in.
            custody.record_intake(db, public_id, intake, officer=principal.display_name,
                                  actor=principal.actor, party=principal.party_code,
                                  at=when(at, "at") if at.strip() else utcnow(),
                                  late_reason=late_reason.strip() or None)
    except NotFound as exc:
        return refusal_page(request, principal, exc)
    except DomainError as exc:
        return _intake_page(request, principal, public_id, form, exc)
    return RedirectResponse(f"/facilities/{quote(prisoner.facility_code)}?intake={public_id}",
                            status_code=303)


# The separation rules (habeas.facilities.rules) by number, as the page names the one that
# kept a person out of every cell.
SEPARATION_TEXTS = {
    "SEP-001": N_("minors are never admitted"),
    "SEP-002": N_("men and women are held entirely apart"),
    "SEP-003": N_("untried prisoners are kept apart from convicted"),
    "SEP-004": N_("rival groups are kept apart at the configured level"),
    "SEP-005": N_("two people under a non-association are kept apart at its level"),
    "SEP-006": N_("no cell above its max capacity"),
    "SEP-007": N_("nobody is placed in a cell out of use")}


class NotPlaced(Conflict):
    """NotPlaced: the placement engine found PERSON no cell; WHY names the rule and the
    engine's reason (habeas.facilities.housing.HousingReport.unplaced)."""

    def __init__(self, person: str, why: dict[str, str]) -> None:
        super().__init__(f"{person} could not be placed: {why['rule']} — {why['reason']}",
                         code=ErrorCode.SEPARATION_VIOLATION,
                         details={"field": "person", **why})
        self.person, self.rule, self.reason = person, why["rule"], why["reason"]


def not_placed_page(request: Request, principal: Principal, exc: NotPlaced) -> Response:
    """not_placed_page names the rule in the reader's language; the engine's reason, which
    names cells and counts, stays in English and is marked so (WCAG 2.2 SC 3.1.2)."""
    lang = locale_of(request)
    rule = SEPARATION_TEXTS.get(exc.rule)
    reason = escape(exc.reason) if lang == DEFAULT else \
        Markup('<span lang="en">{}</span>').format(exc.reason)
    return page(
        request, principal, "error.html", status_code=exc.status, title=N_("Not placed"),
        message=N_("%(person)s could not be placed: %(rule)s, %(text)s — %(reason)s"),
        values={"person": exc.person, "rule": exc.rule, "reason": reason,
                "text": gettext(lang, rule) if rule else ""})


@router.post("/facilities/{code}/housing", response_class=HTMLResponse)
def house_form(request: Request, principal: FormUser, code: str,
               person: str = Form("")) -> Response:
    """house_form places one person taken in, by the engine that places every group (DESIGN.md
    §7); posted twice, the second finds the person already in the cell and shows it again."""
    try:
        with unit_of_work(engine_of(request)) as db:
            prisoner = custody.get_prisoner(db, person, principal.scope)
            if prisoner.facility_code != code:
                raise NotFound(f"person {person!r} not found at {code}")
            place = f"{prisoner.building_code}/{prisoner.cell_code}"
            if prisoner.cell_code is None:
                report = housing.house(db, code, on=utcnow().date(), actor=principal.actor,
                                       public_ids=[person], party=principal.party_code)
                if report.unplaced:
                    raise NotPlaced(person, report.unplaced[0])
                place = report.placed[person]
    except NotPlaced as exc:
        return not_placed_page(request, principal, exc)
    except DomainError as exc:
        return refusal_page(request, principal, exc)
    building, cell = place.split("/", 1)
    return RedirectResponse(f"/facilities/{quote(code)}/cells/{quote(building)}/"
                            f"{quote(cell)}", status_code=303)
