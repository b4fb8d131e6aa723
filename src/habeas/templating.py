"""Jinja2 in the reader's language, for the pages (habeas.web) and the documents rendered
from templates (the invoice PDF, habeas.billing.document): the template's `lang` decides."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from habeas import i18n


def lang_of(context: Context) -> str:
    """lang_of is the language a template is rendered in (English if none is given)."""
    return context.get("lang") or i18n.DEFAULT


@pass_context
def _template_gettext(context: Context, message: str) -> str:
    return i18n.gettext(lang_of(context), message)


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return i18n.ngettext(lang_of(context), singular, plural, n)


@pass_context
def _day(context: Context, value: date | str | None) -> str:
    return i18n.format_day(value, lang_of(context))


@pass_context
def _moment(context: Context, value: datetime | str | None) -> str:
    return i18n.format_moment(value, lang_of(context))


@pass_context
def _number(context: Context, value: int | float | Decimal | None) -> str:
    return i18n.format_number(value, lang_of(context))


@pass_context
def _money(context: Context, minor: int | None, currency: str) -> str:
    return i18n.format_money(minor, currency, lang_of(context))


def install_language(env: Environment) -> None:
    """install_language adds Jinja2's i18n extension and the locale filters to ENV, speaking the
    template's `lang` (every page has it: habeas.web.common's context processor).

    `_()`, `gettext()` and `{% trans %}` translate; `|day`, `|moment`, `|number` and
    `|money(currency)` format (English when the context has no `lang`).
    """
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext, _template_ngettext, newstyle=True)
    env.filters.update(day=_day, moment=_moment, number=_number, money=_money)
    env.globals["languages"] = i18n.NAMES
