"""The public locator page (/locate): no login, English and Spanish (habeas.i18n).

Thin: it reads the form, runs the same search as GET /api/v1/locate (rate limit
and search log included) and renders only what that search answers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pycountry
from babel import Locale
from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from habeas import i18n
from habeas.api.deps import engine_of, optional_principal
from habeas.auth.principal import Principal
from habeas.db import utcnow
from habeas.errors import DomainError, ValidationFailed
from habeas.locator.api import client_of, run_search
from habeas.locator.normalise import name_key
from habeas.locator.schemas import LocatedPerson
from habeas.locator.service import RateLimited, parse_query
from habeas.web.common import navigation, templates

router = APIRouter(include_in_schema=False)

FIELDS = {"identifier": ("identifier", "country_of_birth"),
          "name": ("family_name", "given_names", "country_of_birth", "date_of_birth")}


@cache
def countries(lang: str) -> list[tuple[str, str]]:
    """countries is every ISO 3166-1 country as (alpha-3, name in LANG), sorted by name."""
    names = Locale.parse(lang).territories
    found = [(c.alpha_3, str(names.get(c.alpha_2) or c.name)) for c in pycountry.countries]
    return sorted(found, key=lambda pair: name_key(pair[1]))


def country_label(lang: str, code: str) -> str:
    return dict(countries(lang)).get(code, code)


def _principal(request: Request) -> Principal | None:
    try:
        return optional_principal(request)
    except DomainError:
        return None


def _view(lang: str, person: LocatedPerson) -> dict[str, Any]:
    # Only the fields of LocatedPerson, in the reader's language.
    return {"name": person.name, "status": i18n.gettext(lang, person.status),
            "since": format_date(person.status_changed_on, format="long", locale=lang),
            "facility": person.facility,
            "custodian": f"{country_label(lang, person.legal_custodian.code)} "
                         f"({person.legal_custodian.code})",
            "subscribe_token": person.subscribe_token}


@router.get("/locate", response_class=HTMLResponse)
def locate_page(request: Request) -> Response:
    lang = i18n.locale_of(request)
    params = request.query_params
    by = params.get("by") if params.get("by") in FIELDS else None
    values = {field: params.get(field, "") for field in FIELDS["name"] + ("identifier",)}
    principal = _principal(request)
    context: dict[str, Any] = {
        "by": by or "name", "values": values, "countries": countries(lang),
        "principal": principal, "nav": navigation(principal) if principal else [],
        "results": None, "error": None, "searched": by is not None}
    status, headers = 200, {}
    if by is not None:
        try:
            query = parse_query(**{f: params.get(f) for f in FIELDS[by]},
                                today=utcnow().date())
            found = run_search(engine_of(request), query, client_of(request))
            context["results"] = [_view(lang, p) for p in found]
        except ValidationFailed as exc:
            field = exc.details["field"]
            context["error"] = {"field": field if field in FIELDS[by] else FIELDS[by][0],
                                "problem": i18n.gettext(lang, exc.details["problem"])}
            status = 422
        except RateLimited as exc:
            minutes = max(1, -(-exc.retry_after // 60))
            context["error"] = {"field": None, "rate_limited": minutes}
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
    return templates.TemplateResponse(request, "locate.html", context,
                                      status_code=status, headers=headers)
