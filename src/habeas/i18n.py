"""Languages of the pages: gettext catalogues read at run time, and the reader's choice.

Catalogues are `habeas/locale/<lang>/LC_MESSAGES/messages.po`, read with Babel
(`read_po`) and turned into `babel.support.Translations` in memory when first
needed — no compile step, no .mo file. English is the source language (the
msgids); a message missing from a catalogue shows in English. The language of a
request is, in order: `?lang=`, the `lang` cookie (set when `?lang=` is used),
the Accept-Language header (RFC 9110 §12.5.4), English. A `?lang=` choice is
remembered in the cookie for a year (`remember`).

Dates, numbers and money on the pages are formatted for the reader's language by
Babel from CLDR data (the `day`, `moment`, `number` and `money` template filters).
A message asked for in Spanish that the catalogue lacks is shown in English,
logged once as a warning and kept in `untranslated("es")`, so the test that walks
every page in Spanish can fail on it. The pages' Jinja glue is habeas.web.common's.
"""

from __future__ import annotations

import gettext as _gettext
import io
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.support import Translations

if TYPE_CHECKING:  # this module is imported by the domain cores: no web code at run time
    from starlette.requests import Request
    from starlette.responses import Response

DEFAULT = "en"
SUPPORTED = ("en", "es")
COOKIE = "lang"
# Each language named in itself, for the switch in every page's header.
NAMES = {"en": "English", "es": "Español"}
REMEMBER_SECONDS = 365 * 24 * 3600
MONEY_PATTERN = "¤¤\u00a0#,##0.00;¤¤\u00a0-#,##0.00"
log = logging.getLogger(__name__)
_missed: dict[str, set[str]] = {}


def N_(message: str) -> str:
    """N_ marks MESSAGE for extraction where it is defined; it is translated where shown."""
    return message


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """translations is LOCALE's catalogue (English, or an unknown locale: no translation)."""
    if locale == DEFAULT or locale not in SUPPORTED:
        return _gettext.NullTranslations()
    path = resources.files("habeas") / "locale" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # in memory: nothing is compiled on disk
    compiled.seek(0)
    return Translations(compiled)


@cache
def _known(locale: str) -> frozenset[str]:
    catalog = getattr(translations(locale), "_catalog", {})
    return frozenset(k if isinstance(k, str) else k[0] for k in catalog)


def _note_miss(locale: str, message: str) -> None:
    if locale == DEFAULT or locale not in SUPPORTED or not message or message in _known(locale):
        return
    missed = _missed.setdefault(locale, set())
    if message not in missed:
        missed.add(message)
        log.warning("no %s translation for %r: shown in English", locale, message)


def is_translated(locale: str, message: str) -> bool:
    """is_translated: LOCALE's catalogue has MESSAGE (always, for English)."""
    return locale == DEFAULT or message in _known(locale)


def untranslated(locale: str) -> set[str]:
    """untranslated is every message asked for in LOCALE that its catalogue lacks (since the
    process started, or the set was cleared)."""
    return _missed.setdefault(locale, set())


def gettext(locale: str, message: str) -> str:
    """gettext is MESSAGE in LOCALE."""
    _note_miss(locale, message)
    return translations(locale).gettext(message)


def ngettext(locale: str, singular: str, plural: str, n: int) -> str:
    """ngettext is the form of SINGULAR/PLURAL for N in LOCALE."""
    _note_miss(locale, singular)
    return translations(locale).ngettext(singular, plural, n)


def _supported(tag: str | None) -> str | None:
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in SUPPORTED else None


def negotiate(accept_language: str | None) -> str | None:
    """negotiate picks the supported language the Accept-Language header prefers most."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = _supported(tag)
        if language is not None and quality > 0:
            choices.append((-quality, position, language))
    return min(choices)[2] if choices else None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """choose is the language of a request: ?lang=, then the cookie, then Accept-Language."""
    return _supported(query) or _supported(cookie) or negotiate(accept_language) or DEFAULT


def locale_of(request: Request) -> str:
    """locale_of is the language REQUEST asks for (see choose)."""
    return choose(request.query_params.get("lang"), request.cookies.get(COOKIE),
                  request.headers.get("accept-language"))


def remember(request: Request, response: Response) -> None:
    """remember keeps a `?lang=` choice in the cookie, so every later page speaks it."""
    chosen = _supported(request.query_params.get("lang"))
    if chosen is not None and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=REMEMBER_SECONDS, httponly=True,
                            samesite="lax", path="/")


def format_day(value: date | str | None, locale: str) -> str:
    """format_day is a calendar date as LOCALE writes it ("30 Nov 2026", "30 nov 2026")."""
    if value in (None, ""):
        return "—"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(day, date)
    return format_date(day, format="medium", locale=locale)


def format_moment(value: datetime | str | None, locale: str) -> str:
    """format_moment is an instant in UTC as LOCALE writes it; records are kept in UTC and
    the two states' officials read the same clock."""
    if value in (None, ""):
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment, format="medium", tzinfo=UTC, locale=locale) + " UTC"


def format_number(value: int | float | Decimal | None, locale: str) -> str:
    """format_number groups digits as LOCALE does (12,345 · 12 345)."""
    return "—" if value is None else format_decimal(value, locale=locale)


def format_money(minor: int | None, currency: str, locale: str) -> str:
    """format_money is integer MINOR units of CURRENCY (ISO 4217) in LOCALE's digits, always
    with the ISO code ("USD 1,234.50", "USD 1.234,50", "USD -5.00"): an invoice between two
    states names its currency, never an ambiguous "$". The decimals are the currency's own
    (JPY 0, BHD 3), from CLDR."""
    if minor is None:
        return "—"
    digits = get_currency_precision(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency, format=MONEY_PATTERN,
                           locale=locale, currency_digits=True)
