"""Languages of the pages: gettext catalogues read at run time, and the reader's choice.

Catalogues are `habeas/locale/<lang>/LC_MESSAGES/messages.po`, read with Babel
(`read_po`) and turned into `babel.support.Translations` in memory when first
needed — no compile step, no .mo file. English is the source language (the
msgids); a message missing from a catalogue shows in English. The language of a
request is, in order: `?lang=`, the `lang` cookie (set when `?lang=` is used),
the Accept-Language header (RFC 9110 §12.5.4), English.
"""

from __future__ import annotations

import gettext as _gettext
import io
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.requests import Request

DEFAULT = "en"
SUPPORTED = ("en", "es")
COOKIE = "lang"


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


def gettext(locale: str, message: str) -> str:
    """gettext is MESSAGE in LOCALE."""
    return translations(locale).gettext(message)


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


@pass_context
def _template_gettext(context: Context, message: str) -> str:
    return gettext(context.get("lang") or DEFAULT, message)


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang") or DEFAULT).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    """install adds Jinja2's i18n extension to ENV, translating into the template's `lang`.

    A page passes `lang` in its context; `_()`, `gettext()` and `{% trans %}` then
    speak that language (English when it passes none).
    """
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext, _template_ngettext, newstyle=True)
