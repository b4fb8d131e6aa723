"""English and Spanish: the catalogue covers every message of the translated pages, and the
reader's language is chosen as habeas.i18n says."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from habeas import i18n

SOURCE = Path(str(resources.files("habeas")))
# What is translated today: the locator's page, the shared header, the locator's messages.
TRANSLATED = [("jinja2.ext:babel_extract", "web/templates/locate.html"),
              ("jinja2.ext:babel_extract", "web/templates/base.html"),
              ("python", "locator/schemas.py"), ("python", "locator/service.py"),
              # The custody ledger and an event's proof; of the person's file, the legal
              # basis, the release dates and the timeline (the rest is English for now).
              ("jinja2.ext:babel_extract", "web/templates/ledger.html"),
              ("jinja2.ext:babel_extract", "web/templates/event.html"),
              ("jinja2.ext:babel_extract", "web/templates/person.html"),
              # The home page's dashboards and the staff search (issue 9).
              ("jinja2.ext:babel_extract", "web/templates/home.html"),
              ("jinja2.ext:babel_extract", "web/templates/search.html")]


def messages() -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for method, path in TRANSLATED:
        options = {"extensions": "jinja2.ext.i18n"} if method != "python" else None
        for _, message, _, _ in extract_from_file(method, str(SOURCE / path), options=options):
            found.add(message)
    return found


def catalogue() -> dict[str, str | tuple[str, ...]]:
    path = SOURCE / "locale" / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale="es")
    return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}


def test_every_message_of_the_translated_pages_is_in_spanish() -> None:
    spanish = catalogue()
    assert len(messages()) > 30
    for message in messages():
        key = message if isinstance(message, str) else message[0]
        assert key in spanish, f"missing from es/messages.po: {key!r}"
        translated = spanish[key]
        forms = [translated] if isinstance(translated, str) else list(translated)
        assert all(forms), f"untranslated: {key!r}"
        for form in forms:  # the same placeholders, so no translation breaks a page
            assert set(re.findall(r"%\(\w+\)s", form)) == set(re.findall(r"%\(\w+\)s", key))


def test_the_catalogue_holds_no_stale_messages() -> None:
    ids = {m if isinstance(m, str) else m[0] for m in messages()}
    assert set(catalogue()) <= ids


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
