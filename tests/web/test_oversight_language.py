"""The oversight, notification and login pages in Spanish, over HTTP (issue 9): every word
from the catalogue, dates and numbers as a Spanish reader writes them, and the integrity
report's checks and drill-down notes said again from the facts the report wrote in English.

The data is the browser tests' (tests/web/test_oversight_pages.py): the demo after its two
flights and a year of custody, an inspection with an answered and an overdue finding, and two
grievances.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from fastapi.testclient import TestClient

from habeas import i18n
from habeas.app import create_app
from habeas.custody import integrity
from habeas.db import read_session
from habeas.i18n import format_day, gettext
from habeas.web.oversight import CHECK_SHORT, CHECKS, NOTES, say_note
from tests.conftest import log_in_as
from tests.web.test_oversight_pages import AS_OF, Site, _build


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, flights_template: Path) -> Iterator[Site]:
    built = _build(flights_template, tmp_path_factory)
    yield built
    built.engine.dispose()


@pytest.fixture
def monitor(site: Site) -> TestClient:
    client = TestClient(create_app(site.engine))
    log_in_as(client, "monitor")
    client.get("/?lang=es")  # remembered in the cookie from now on
    return client


PAGES = ("grievance", "grievances", "inspection", "inspections", "integrity", "login",
         "mail_sink", "notifications", "subscribe")


@cache
def _ours() -> frozenset[str]:
    """_ours: every message these pages and their modules mark (the pages they extend are
    checked by tests/web/test_security.py)."""
    web = Path(str(resources.files("habeas"))) / "web"
    sources = [("jinja2.ext:babel_extract", web / "templates" / f"{page}.html") for page in PAGES]
    sources += [("python", web / f"{module}.py") for module in ("oversight", "notify", "routes")]
    found = set()
    for method, path in sources:
        options = {"extensions": "jinja2.ext.i18n"} if method != "python" else None
        for _, message, _, _ in extract_from_file(method, str(path), options=options):
            found.add(message if isinstance(message, str) else message[0])
    return frozenset(found)


def _missed() -> set[str]:
    """_missed: the messages of these pages asked for in Spanish that the catalogue lacks."""
    return i18n.untranslated("es") & _ours()


def _text(page: str) -> str:
    """_text: what a reader sees of PAGE's main part, blanks squeezed."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#39;", "'")


# --- the report's checks and notes --------------------------------------------------------


def test_each_check_is_labelled_as_the_report_names_it(site: Site) -> None:
    with read_session(site.engine) as db:
        lines = integrity.report(db, AS_OF).lines
    assert {line.check for line in lines} == set(CHECKS) == set(CHECK_SHORT)
    for line in lines:
        said = CHECKS[line.check]
        assert gettext("en", said.title) % {"days": integrity.FAMILY_CONTACT_DAYS} == line.title
        assert said.citation == line.citation
        assert said.rule is None or said.rule == line.rule.replace("_", " "), line.check


SAMPLES = [  # one note of each kind, as habeas.custody.integrity writes it
    "N1: release date 2026-01-02, 3 day(s) ago",
    "N1: the term ended on 2026-01-02",
    "N1 on T1401 (2025-03-15): barred by tro 1:25-cv-00001, stay 2",
    "N1 on T1401: notice served 3 day(s) before departure; 7 required",
    "CECOT M1/C-01: 5 people, certified for 4",
    "CECOT M1/C-01: 1.35 m² each for 5 people",
    "N1: 19 days from 2025-09-29; NO independent review",
    "N1: 19 days from 2025-09-29 (ongoing); independently reviewed by Inés Duarte",
    "N1: last family contact 2025-06-06 (admitted 2025-04-10)",
    "N1: last family contact never (admitted 2025-04-10)",
    "N1: died 2025-10-01; no investigation recorded",
    "N1: stopped in transit on T1401; appeal pending in US-NY",
    "N1: 1:25-cv-00001 required return by 2026-01-02",
    "finding 12 (critical) at CECOT: response due 2026-04-10, 20 day(s) overdue",
    "N5.1: death notice to the consulate, owed 2026-01-02 10:00 UTC: "
    "delivered 2026-01-04 11:30 UTC",
    "N5.1: admission notice to the family, owed 2026-01-02 10:00 UTC: dead after 6 attempt(s)",
    "N2 (in_custody): the same person as N1 (in_custody)",
    # the review of an episode, quoted in the notes above
    "independently reviewed by Inés Duarte", "NO independent review",
]
# The screening rules' own findings, quoted by notes: said as the nomination page says them.
QUOTED = ["appeal pending in US-NY", "appeal status unknown in US-NY",
          "no judgment to be final", "barred by tro 1:25-cv-00001", "no notice served",
          "notice served 3 day(s) before departure; 7 required",
          "protected from removal to SLV by cat_protection A-1"]


def _read_by(note: str) -> str:
    """_read_by: the pattern that reads NOTE (the first in NOTES that matches it whole)."""
    return next(pattern for pattern, _ in NOTES if re.fullmatch(pattern, note))


def test_each_kind_of_note_is_said_in_spanish() -> None:
    assert {_read_by(note) for note in SAMPLES} == {pattern for pattern, _ in NOTES}
    for note in SAMPLES:
        assert 'lang="en"' not in say_note("es", note), note
    for finding in QUOTED:
        quoted = say_note("es", f"N1: stopped in transit on T1401; {finding}")
        assert 'lang="en"' not in quoted and finding not in quoted, finding
    assert say_note("es", SAMPLES[6]) == ("N1: 19 días desde el 29 sept 2025; "
                                          "SIN revisión independiente")
    assert say_note("es", SAMPLES[2]) == ("N1 en T1401 (15 mar 2025): impedido por orden de "
                                          "restricción temporal 1:25-cv-00001, suspensión 2")
    assert say_note("es", SAMPLES[5]) == "CECOT M1/C-01: 1,35 m² por persona para 5 personas"
    assert say_note("en", SAMPLES[0]) == "N1: release date Jan 2, 2026, 3 day(s) ago"


def test_a_note_no_pattern_reads_is_shown_as_written_and_marked_english() -> None:
    assert say_note("es", "something <new>") == '<span lang="en">something &lt;new&gt;</span>'
    assert say_note("en", "something <new>") == "something &lt;new&gt;"
    # A quoted reason no pattern reads stays English inside the Spanish sentence.
    assert say_note("es", "N1: stopped in transit on T1; flown back") == (
        'N1: detenido en tránsito en T1; <span lang="en">flown back</span>')


def test_every_note_of_the_report_is_read_back(site: Site) -> None:
    with read_session(site.engine) as db:
        notes = [n for line in integrity.report(db, AS_OF).lines for n in line.notes]
    assert notes
    assert [n for n in notes if 'lang="en"' in say_note("es", n)] == []


# --- the pages ----------------------------------------------------------------------------


def test_the_integrity_report_in_spanish(monitor: TestClient) -> None:
    i18n.untranslated("es").clear()
    page = monitor.get(f"/integrity?on={AS_OF}")
    assert page.status_code == 200 and '<html lang="es">' in page.text
    text = _text(page.text)
    assert "Integridad de la custodia al 30 abr 2026" in text
    assert "Aislamiento durante más de 15 días consecutivos" in text
    assert "Quién y qué hay detrás de estos 2 casos" in text
    assert "SIN revisión independiente" in text
    assert "Sin contacto familiar en 30 días" in text
    assert re.search(r"\d+ personas recluidas al 30 abr 2026; incumplimiento detectado en "
                     r"\d+ de 17 controles", text)
    assert "Regla Nelson Mandela 71(1); Protocolo de Minnesota (2016)" in text
    assert "aislamiento prolongado 2" in text  # the run the demo recorded
    assert _missed() == set()


def test_inspections_and_grievances_in_spanish(monitor: TestClient, site: Site) -> None:
    i18n.untranslated("es").clear()
    visits = _text(monitor.get("/inspections").text)
    assert "10 mar 2026" in visits and "sin previo aviso" in visits
    assert re.search(r"1 vencida ?, 1 respondida", visits)
    visit = _text(monitor.get(f"/inspections/{site.inspection}").text)
    assert "aceptada el 25 mar 2026 por user:sv.warden" in visit
    assert re.search(r"ninguna — \d+ días de retraso", visit)
    assert "crítica" in visit and "Registrar una constatación" in visit
    grievances = _text(monitor.get("/grievances").text)
    assert "trato" in grievances and "remitida a los observadores" in grievances
    grievance = _text(monitor.get(f"/grievances/{site.alleged}").text)
    assert "remitida al observador" in grievance
    assert "no puede responderla ni cerrarla" in grievance
    assert _missed() == set()


def test_a_refused_finding_is_explained_in_spanish(monitor: TestClient, site: Site) -> None:
    csrf = monitor.get(f"/inspections/{site.inspection}").text.split(
        'name="csrf" value="')[1].split('"')[0]
    refused = monitor.post(f"/inspections/{site.inspection}/findings", data={
        "text": "x", "recommendation": "y", "severity": "high", "response_due": "soon",
        "people": "", "csrf": csrf})
    assert refused.status_code == 422
    assert "indique la fecha límite de la respuesta" in refused.text
    assert '<option value="high" selected>alta</option>' in refused.text


def test_the_outbox_and_the_mail_sink_in_spanish(monitor: TestClient) -> None:
    i18n.untranslated("es").clear()
    outbox = _text(monitor.get("/notifications").text)
    assert "Notificaciones fallidas" in outbox and "pendiente" in outbox
    assert "(obligatoria, " in outbox  # the kind of each row, named
    sink = _text(monitor.get("/notifications/mail").text)
    assert "Buzón de prueba" in sink and "mensajes recibidos" in sink
    assert _missed() == set()


def test_logging_in_in_spanish(site: Site) -> None:
    client = TestClient(create_app(site.engine), headers={"Accept-Language": "es"})
    form = client.get("/login")
    assert "Iniciar sesión" in form.text and "Nombre de usuario" in form.text
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = client.post("/login", data={"username": "monitor", "password": "not it",
                                        "csrf": csrf})
    assert wrong.status_code == 401
    assert "Nombre de usuario o contraseña incorrectos." in wrong.text
    expired = client.post("/login", data={"username": "monitor", "password": "x",
                                          "csrf": "forged"})
    assert "Su formulario de inicio de sesión ha caducado." in expired.text


def test_subscribing_speaks_the_readers_language(site: Site) -> None:
    client = TestClient(create_app(site.engine))
    gone = client.get("/subscribe?token=forged&lang=es")
    assert gone.status_code == 404
    assert "Este enlace ya no corresponde a nadie que muestre el localizador." in gone.text
    assert "This link no longer names anyone" in client.get(
        "/subscribe?token=forged&lang=en").text


def test_english_dates_are_written_as_an_english_reader_writes_them(monitor: TestClient,
                                                                    site: Site) -> None:
    page = _text(monitor.get(f"/inspections/{site.inspection}?lang=en").text)
    assert f"accepted on {format_day(date(2026, 3, 25), 'en')} by user:sv.warden" in page
