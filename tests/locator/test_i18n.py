"""English and Spanish at run time: messages, the reader's choice of language, and dates,
numbers and money written as each language writes them. (That every page's text is in the
catalogue is tests/web/test_language.py's.)"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from habeas import i18n


def test_statuses_and_problems_are_translated_at_run_time() -> None:
    assert i18n.gettext("es", "in custody") == "bajo custodia"
    assert i18n.gettext("es", "needs at least two letters") == "necesita al menos dos letras"
    assert i18n.gettext("en", "in custody") == "in custody"
    assert i18n.gettext("fr", "in custody") == "in custody"


@pytest.mark.parametrize(("query", "cookie", "header", "chosen"), [
    ("es", "en", "en", "es"),
    (None, "es", "en", "es"),
    ("de", "es", "en", "es"),  # an unsupported ?lang= is ignored
    (None, None, "es-SV,es;q=0.9,en;q=0.8", "es"),
    (None, None, "en-US,en;q=0.9,es;q=0.8", "en"),
    (None, None, "fr-CH, fr;q=0.9, es;q=0.5", "es"),
    (None, None, "es;q=0, en;q=0.1", "en"),
    (None, None, "es;q=bad", "en"),
    (None, None, None, "en"),
    (None, "xx", "", "en"),
])
def test_the_language_is_query_then_cookie_then_header_then_english(
        query: str | None, cookie: str | None, header: str | None, chosen: str) -> None:
    assert i18n.choose(query, cookie, header) == chosen


def test_dates_numbers_and_money_are_written_as_each_language_writes_them() -> None:
    assert i18n.format_day(date(2026, 11, 30), "en") == "Nov 30, 2026"
    assert i18n.format_day("2026-11-30", "es") == "30 nov 2026"
    assert i18n.format_number(1234567, "en") == "1,234,567"
    assert i18n.format_number(1234567, "es") == "1.234.567"
    assert i18n.format_money(123456789, "USD", "en") == "USD\u00a01,234,567.89"
    assert i18n.format_money(123456789, "USD", "es") == "USD\u00a01.234.567,89"
    assert i18n.format_money(-5, "USD", "en") == "USD\u00a0-0.05"
    assert i18n.format_money(1234, "JPY", "en") == "JPY\u00a01,234"  # no minor unit
    assert i18n.format_money(None, "USD", "es") == "—"
    moment = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    assert i18n.format_moment(moment, "en").endswith("UTC")
    assert "2:05:00" in i18n.format_moment(moment, "en")
    assert i18n.format_moment(moment, "es").startswith("30 nov 2026")


def test_a_message_missing_from_spanish_is_shown_in_english_and_kept() -> None:
    i18n.untranslated("es").discard("A sentence no catalogue has")
    assert i18n.gettext("es", "A sentence no catalogue has") == "A sentence no catalogue has"
    assert "A sentence no catalogue has" in i18n.untranslated("es")
    assert i18n.gettext("en", "Another one") == "Another one"
    assert "Another one" not in i18n.untranslated("es") | i18n.untranslated("en")
    i18n.untranslated("es").discard("A sentence no catalogue has")
