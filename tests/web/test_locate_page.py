"""In a real browser: a family finds a person on the public locator, in English and in
Spanish, without logging in; a bad name is named; close spellings need the date of birth."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from tests.locator.conftest import World, world, world_template
from tests.servers import running_server

__all__ = ["world", "world_template"]  # the locator's people, for this module's server

pytestmark = pytest.mark.browser


@pytest.fixture
def server(engine: Engine, world: World) -> Iterator[str]:
    with running_server(engine) as url:
        yield url


def watched(browser: Browser, locale: str = "en-US") -> tuple[Page, list[str]]:
    context = browser.new_context(locale=locale)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return page, problems


def test_a_family_finds_a_person_by_name_in_english(browser: Browser, server: str) -> None:
    page, problems = watched(browser)
    page.goto(server + "/login")
    page.get_by_role("link", name="the public locator").click()
    expect(page).to_have_url(server + "/locate")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    form = page.get_by_role("form", name="Search by name")
    form.get_by_label("Family name(s)").fill("RIVERA LOPEZ")
    form.get_by_label("Given name(s)").fill("JOSE ANTONIO")
    form.get_by_label("Country of birth").select_option(label="El Salvador")
    form.get_by_role("button", name="Search").click()

    results = page.get_by_test_id("results")
    expect(results.get_by_role("heading", level=2)).to_have_text("1 person found")
    person = page.get_by_test_id("located")
    expect(person.get_by_role("heading")).to_have_text("José Antonio Rivera López")
    expect(person.get_by_test_id("status")).to_have_text("in custody")
    expect(person).to_contain_text("Centro de Confinamiento del Terrorismo (CECOT)")
    expect(person).to_contain_text("Carretera a Tecoluca, San Vicente, El Salvador")
    expect(person).to_contain_text("+503 2500 0000")
    expect(person).to_contain_text("United States (USA)")
    expect(person).to_contain_text("April 10, 2025")
    expect(person).not_to_contain_text("1994")
    # The form keeps what was typed, for a second try.
    expect(form.get_by_label("Family name(s)")).to_have_value("RIVERA LOPEZ")
    # From the result, the family asks to be told of changes (VINE-style).
    person.get_by_role("link", name="Be told when this changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Updates about a person in custody")
    expect(page.locator("main")).to_contain_text("José Antonio Rivera López")
    page.get_by_label("Address").fill("family@example.org")
    page.get_by_role("button", name="Send me the code").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    assert problems == [], problems


def test_close_spelling_needs_the_date_of_birth(browser: Browser, server: str) -> None:
    page, _ = watched(browser)
    page.goto(server + "/locate")
    form = page.get_by_role("form", name="Search by name")
    form.get_by_label("Family name(s)").fill("Ribera Lopez")
    form.get_by_label("Given name(s)").fill("Jose Antonio")
    form.get_by_label("Country of birth").select_option("SLV")
    form.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("results")).to_contain_text("No one was found.")

    form = page.get_by_role("form", name="Search by name")
    form.get_by_label("Date of birth (optional)").fill("1994-03-02")
    form.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("located")).to_have_count(2)
    expect(page.get_by_test_id("located").first.get_by_role("heading")).to_have_text(
        "José Antonio Rivera López")


def test_una_familia_busca_en_espanol(browser: Browser, server: str) -> None:
    page, problems = watched(browser)
    page.goto(server + "/locate")
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Buscar a una persona privada de libertad")
    form = page.get_by_role("form", name="Buscar por identificador")
    form.get_by_label("Referencia o número de documento").fill("a1234567")
    form.get_by_label("País de nacimiento").select_option(label="El Salvador")
    form.get_by_role("button", name="Buscar").click()

    expect(page.get_by_test_id("results").get_by_role("heading", level=2)).to_have_text(
        "1 persona encontrada")
    person = page.get_by_test_id("located")
    expect(person.get_by_test_id("status")).to_have_text("bajo custodia")
    expect(person).to_contain_text("10 de abril de 2025")
    expect(person).to_contain_text("Estados Unidos (USA)")
    expect(person).to_contain_text("Custodio legal")
    # The choice sticks: the next page load is in Spanish without ?lang=.
    page.goto(server + "/locate")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Buscar a una persona privada de libertad")
    assert problems == [], problems


def test_the_browsers_language_chooses_spanish_and_errors_are_named(
        browser: Browser, server: str) -> None:
    page, _ = watched(browser, locale="es-SV")
    page.goto(server + "/locate")
    form = page.get_by_role("form", name="Buscar por nombre")
    form.get_by_label("Apellido(s)").fill("Rivera")
    form.get_by_label("Nombre(s)").fill("J")
    form.get_by_label("País de nacimiento").select_option("SLV")
    form.get_by_role("button", name="Buscar").click()
    field = page.get_by_role("form", name="Buscar por nombre").get_by_label("Nombre(s)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text("Nombre(s): necesita al menos dos letras")
