"""English and Spanish on every page (issue 9): no template holds text outside a translation
call, every message of the pages is in the Spanish catalogue, and walking every page in
Spanish asks the catalogue for nothing it lacks."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from jinja2 import Environment

SOURCE = Path(str(resources.files("habeas")))
TEMPLATES = sorted((SOURCE / "web" / "templates").glob("*.html"))
# Text a reader sees in both languages alike: names, codes and standards' own names.
SAME_IN_BOTH = {"habeas", "English", "Español", "UTC", "CSV", "JSON", "PDF", "SHA",
                "RFC", "ICAO", "MRZ", "API", "ISO", "HMAC", "URL", "ID", "IDs", "Chart",
                "m²"}
# Attributes a reader sees or hears (a screen reader speaks labels and titles).
READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
HOLE = "\x00"  # where a template expression or statement stood


def literal_text(source: str) -> str:
    """literal_text is SOURCE with every Jinja expression, statement and translated block
    replaced by HOLE: what is left is what the template writes as it is."""
    out: list[str] = []
    in_trans = 0
    pending: list[str] = []
    lexer = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    for _, kind, value in lexer.lex(source):
        if kind == "block_begin":
            pending = []
        elif kind == "name" and pending == [] and value in ("trans", "pluralize"):
            in_trans += value == "trans"
        elif kind == "name" and pending == [] and value == "endtrans":
            in_trans -= 1
        if kind in ("name", "operator", "string", "integer"):
            pending.append(value)
        if kind == "data" and not in_trans:
            out.append(value)
        elif not out or out[-1] != HOLE:
            out.append(HOLE)
    return "".join(out)


class Words(HTMLParser):
    """Words collects the text and the read attributes an HTML fragment writes as it is."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.found.append(value)
            if name == "value" and dict(attrs).get("type") in ("submit", "button") and value:
                self.found.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


def untranslated_words(source: str) -> list[str]:
    parser = Words()
    parser.feed(literal_text(source))
    found = []
    for text in parser.found:
        # A macro writing attributes into the tag that calls it leaves them as text here.
        text = re.sub(r'(?<![\w-])(?!(?:placeholder|title|aria-label|alt)=)[\w-]+="[^"]*"', HOLE,
                      text)
        for piece in text.split(HOLE):
            words = [w for w in re.findall(r"[^\W\d_]{2,}", piece)
                     if w not in SAME_IN_BOTH and not w.isupper()]  # codes: USD, FAC, SLV
            if words and not piece.strip().startswith("/"):  # a path: /subscribe/revoke
                found.append(piece.strip())
    return found


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_writes_text_outside_a_translation(template: Path) -> None:
    assert untranslated_words(template.read_text()) == []


def test_the_checker_finds_literal_text_and_passes_translated_text() -> None:
    assert untranslated_words('<p>Hello {{ name }}</p>') == ["Hello"]
    assert untranslated_words('<input placeholder="Search">') == ["Search"]
    assert untranslated_words('<p>{{ _("Hello") }} {{ x|day }}</p>') == []
    assert untranslated_words('{% trans %}Hello {{ n }}{% endtrans %}') == []
    assert untranslated_words('<script>var a = "b";</script><td>USD · 12</td>') == []


def extracted() -> dict[str, tuple[str, int]]:
    """extracted is every message the pages and the Python code mark, with where."""
    found: dict[str, tuple[str, int]] = {}
    sources = [("jinja2.ext:babel_extract", p) for p in TEMPLATES]
    # The notices (habeas.notify.templates) have their own catalogue, notify.po, and its tests.
    sources += [("python", p) for p in sorted(SOURCE.rglob("*.py"))
                if p != SOURCE / "notify" / "templates.py"]
    for method, path in sources:
        options = {"extensions": "jinja2.ext.i18n"} if method != "python" else None
        for line, message, _, _ in extract_from_file(method, str(path), options=options):
            key = message if isinstance(message, str) else message[0]
            if key:
                found.setdefault(key, (str(path.relative_to(SOURCE)), line))
    return found


def catalogue() -> dict[str, str | tuple[str, ...]]:
    path = SOURCE / "locale" / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale="es")
    return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}


def test_every_marked_message_is_in_spanish() -> None:
    spanish = catalogue()
    missing = [f"{where}:{line}: {key!r}" for key, (where, line) in extracted().items()
               if key not in spanish or not all(
                   [spanish[key]] if isinstance(spanish[key], str) else spanish[key])]
    assert missing == []


def test_translations_keep_their_placeholders() -> None:
    # A translation that drops or renames %(name)s would break its page at run time.
    for key, translated in catalogue().items():
        for form in [translated] if isinstance(translated, str) else translated:
            assert set(re.findall(r"%\(\w+\)s", form)) == set(re.findall(r"%\(\w+\)s", key)), key


def test_the_catalogue_holds_no_stale_messages() -> None:
    stale = set(catalogue()) - set(extracted())
    assert stale == set()
