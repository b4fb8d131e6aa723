"""Custody pages: the facility map, a cell and who is in it (manifests: web/transfers.py).

Thin, as the other pages: parse, call a service, render. Figures come from
habeas.facilities.service; people from the custody and transfer services, scoped
to a sending user's own state (DESIGN.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TypeVar, get_args
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from habeas.api.deps import engine_of
from habeas.auth import audit
from habeas.auth.permissions import Action, allowed
from habeas.custody import service as custody
from habeas.custody.schemas import SecurityLevel
from habeas.db import read_session, unit_of_work, utcnow
from habeas.errors import DomainError, NotFound
from habeas.facilities import cell_reads
from habeas.facilities import service as facilities
from habeas.facilities.capacity import STANDARDS
from habeas.i18n import DEFAULT, N_, gettext, locale_of
from habeas.nominations.schemas import AffiliationBasis
from habeas.web import labels
from habeas.web.common import PageUser, page, refusal_page
from habeas.web.paging import Page, paginate

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
PUBLIC_ID = r"^[A-Z0-9]{1,16}$"
# The map's legend. Shown through _() in the template: a literal % is written %%.
BANDS = (("u0", N_("empty")), ("u1", N_("under 50%% of max capacity")), ("u2", N_("50–79%%")),
         ("u3", N_("80–99%%")), ("u4", N_("full (100%% or more)")))
MARKS = (("below-cpt", N_("below CPT (4 m² per person)")),
         ("below-icrc", N_("below ICRC (3.4 m² per person)")), ("inactive", N_("closed")))
SECURITY_LEVELS = get_args(SecurityLevel)
BASES = tuple(b.value for b in AffiliationBasis)
FRIENDLY = {"biometric_sha256": N_("must be the SHA-256 of the captured biometric: 64"
                                   " characters 0–9 and a–f")}

# The words for the codes the records store, translated where shown: {{ _(labels.x[code]) }}.
VERDICT = {"empty": N_("empty"), "meets": N_("meets ICRC and CPT"),
           "below ICRC": N_("below ICRC"), "below CPT": N_("below CPT")}
# A cell's attributes as the facility layouts name them; any other is shown as written.
CELL_ATTRIBUTES = {"bunks": N_("bunks"), "toilets": N_("toilets"), "sinks": N_("sinks"),
                   "showers": N_("showers"), "windows": N_("windows"),
                   "floors": N_("floors"), "yard": N_("yard")}
LABELS = {"prisoner_status": labels.PRISONER_STATUS, "kind": labels.PRISONER_KIND,
          "legal_status": labels.LEGAL_STATUS, "security": labels.SECURITY_LEVEL,
          "sex": labels.SEX, "basis": labels.AFFILIATION_BASIS,
          "level": labels.SEPARATION_LEVEL, "verdict": VERDICT, "attribute": CELL_ATTRIBUTES}


def without(listing: Page[T], *notices: str) -> Page[T]:
    """without: LISTING whose links leave out the query's one-time NOTICES (?done=,
    ?intake=), so the next page does not say again what was just done."""
    return replace(listing, query=tuple((k, v) for k, v in listing.query if k not in notices))


def affiliation_label(group: str | None, basis: str, lang: str = DEFAULT) -> str:
    """affiliation_label: an alleged group always with its basis, never as a bare fact;
    tattoos alone are flagged as unverified (DESIGN.md §4, §7). In LANG."""
    if not group:
        return gettext(lang, N_("none recorded"))
    if basis == "tattoo":
        return gettext(lang, N_("%(group)s (tattoos only — unverified)")) % {"group": group}
    basis_of = labels.AFFILIATION_BASIS
    said = gettext(lang, basis_of[basis]) if basis in basis_of else basis.replace("_", " ")
    return gettext(lang, N_("%(group)s (basis: %(basis)s)")) % {"group": group, "basis": said}


# --- the facility map -------------------------------------------------------------------


def band(view: facilities.CellView) -> str:
    """band is the utilisation class of a cell: u0 empty … u4 at or over max capacity."""
    if view.occupants == 0:
        return "u0"
    share = view.utilisation
    if share is None or share >= 1:
        return "u4"
    return "u3" if share >= 0.8 else "u2" if share >= 0.5 else "u1"


def verdict(view: facilities.CellView) -> str:
    """verdict judges a cell's space per person against ICRC, then CPT (DESIGN.md §7): a key
    of VERDICT."""
    if view.occupants == 0:
        return "empty"
    failed = [name for name, ok in view.meets.items() if not ok]
    return f"below {failed[0]}" if failed else "meets"


@dataclass(frozen=True)
class Square:
    """Square is one cell of the map; its accessible label is written by facility.html."""

    view: facilities.CellView
    href: str
    classes: str
    verdict: str


@dataclass
class Block:
    code: str
    name: str
    occupants: int = 0
    max_capacity: int = 0
    squares: list[Square] = field(default_factory=list)


def square(code: str, view: facilities.CellView) -> Square:
    """square is one cell of the map: colour by utilisation, a mark when below standard."""
    judged = verdict(view)
    mark = {"below ICRC": "below-icrc", "below CPT": "below-cpt"}.get(judged, "")
    classes = " ".join(c for c in ("cell", band(view), mark,
                                   "" if view.active else "inactive") if c)
    return Square(view, f"/facilities/{quote(code)}/cells/{quote(view.building)}/"
                  f"{quote(view.code)}", classes, judged)


def blocks(db: Session, code: str) -> list[Block]:
    """blocks groups the facility's cells by building: one query for cells and counts."""
    names = cell_reads.building_names(db, code)
    found: dict[str, Block] = {}
    for view in facilities.cells(db, code):
        block = found.setdefault(view.building, Block(view.building,
                                                      names.get(view.building, "")))
        block.occupants += view.occupants
        block.max_capacity += view.max_capacity
        block.squares.append(square(code, view))
    return list(found.values())


@router.get("/facilities", response_class=HTMLResponse)
def first_facility(request: Request, principal: PageUser) -> Response:
    """first_facility sends the user to the first facility's map (the nav's 'Facility')."""
    with read_session(engine_of(request)) as db:
        known = facilities.list_facilities(db)
    if not known:
        return refusal_page(request, principal, NotFound("no facility is registered yet"))
    return RedirectResponse(f"/facilities/{quote(known[0].code)}", status_code=303)


@router.get("/facilities/{code}", response_class=HTMLResponse)
def facility_page(request: Request, principal: PageUser, code: str,
                  intake: str | None = Query(default=None, pattern=PUBLIC_ID)) -> Response:
    """facility_page: capacity against the standards, cells coloured by use, intake queue."""
    with read_session(engine_of(request)) as db:
        try:
            facility = facilities.get_facility(db, code)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        may_intake = allowed(principal.role, Action.RECORD_INTAKE)
        waiting = without(paginate(request, lambda limit, offset: custody.waiting_for_intake(
            db, code, limit=limit, offset=offset) if may_intake else []), "intake")
        return page(
            request, principal, "facility.html", labels=LABELS, facility=facility,
            summary=facilities.capacity(db, code),
            forecast=facilities.forecast(db, code, utcnow().date()),
            by_status=custody.count_by_status(db, code), blocks=blocks(db, code),
            waiting=waiting.items, waiting_page=waiting,
            may_intake=may_intake, may_open=allowed(principal.role, Action.READ_CUSTODY),
            standards=STANDARDS, bands=BANDS, marks=MARKS, taken_in=intake)


# --- a cell and who is in it ------------------------------------------------------------


def find_cell(db: Session, code: str, building: str, cell: str) -> facilities.CellView:
    """find_cell is one cell of facility CODE with its occupancy, or NotFound."""
    for view in facilities.cells(db, code, building):
        if view.code == cell:
            return view
    raise NotFound(f"cell {building}/{cell} not found in {code}")


@router.get("/facilities/{code}/cells/{building}/{cell}", response_class=HTMLResponse)
def cell_page(request: Request, principal: PageUser, code: str, building: str,
              cell: str) -> Response:
    """cell_page: a cell's figures, who is in it (as the reader may see them), and the
    non-associations binding them."""
    with unit_of_work(engine_of(request)) as db:
        try:
            facility = facilities.get_facility(db, code)
            view = find_cell(db, code, building, cell)
        except DomainError as exc:
            return refusal_page(request, principal, exc)
        scope = principal.scope
        listed = paginate(request, lambda limit, offset: cell_reads.occupants_seen(
            db, code, building, cell, scope, limit=limit, offset=offset))
        shown = list(listed.items)
        bonds = cell_reads.open_bonds(db, [p.public_id for p in shown])
        # "in this cell" is said of anyone the reader may see in it, on this page or another.
        named = {n.person_a for n in bonds} | {n.person_b for n in bonds}
        here = cell_reads.seen_among(db, code, building, cell, scope, named)
        # Who is in which cell is personal data: the read is recorded (Mandela Rule 9).
        audit.record_read(db, principal, kind="cell", record_id=f"{code}/{building}/{cell}",
                         channel="web", purpose="cell occupants")
        return page(
            request, principal, "cell.html", labels=LABELS, facility=facility,
            building=building, view=view,
            verdict=verdict(view), people=[(p, affiliation_label(
                p.affiliation_group, p.affiliation_basis, locale_of(request))) for p in shown],
            listed=listed, hidden=cell_reads.hidden_in(db, code, building, cell, scope),
            bonds=bonds, here=here, standards=STANDARDS)
