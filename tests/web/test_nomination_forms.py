"""The nomination, court-order and person pages without a browser: each speaks English and
Spanish, every screening finding is said in both, and a refused form comes back with what
was entered and the refusal next to the field it names (issue 9)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.agreements.models import Agreement
from habeas.app import create_app
from habeas.clock import simulated
from habeas.db import unit_of_work, utcnow
from habeas.holds.schemas import Hold, HoldKind, Scope
from habeas.i18n import untranslated
from habeas.nominations import service as nominations
from habeas.screening import rules
from habeas.screening.rules import Context
from habeas.web.nominations import FINDINGS, finding_text
from tests.conftest import log_in_as
from tests.screening.factories import nomination

AS_OF = date(2025, 3, 1)


@dataclass(frozen=True)
class Site:
    client: TestClient
    eligible: str  # W-1: eligible, writes Spanish
    minor: str  # W-2: ineligible, a minor


@pytest.fixture
def site(demo_engine: Engine) -> Iterator[Site]:
    # Nominated on 1 March 2025, recorded that day: notice and acceptance follow it.
    with simulated(datetime(2025, 3, 1, 9, tzinfo=UTC)), unit_of_work(demo_engine) as s:
        agreement = s.get_one(Agreement, "USA-SLV-2025")
        rows = [nominations.Row(1, nomination(external_ref="W-1").model_dump(mode="json")),
                nominations.Row(2, nomination(external_ref="W-2", **{
                    "person.date_of_birth": "2010-02-02"}).model_dump(mode="json"))]
        eligible, minor = nominations.import_rows(s, agreement, rows, as_of=AS_OF,
                                                  actor="test")
    assert eligible.decision == "eligible" and minor.decision == "ineligible"
    assert eligible.public_id is not None and minor.public_id is not None
    with TestClient(create_app(demo_engine)) as client:
        yield Site(client, eligible.public_id, minor.public_id)


def _form(html: str, action: str) -> str:
    """_form: the form posting to ACTION, from the error shown before it to its end."""
    start = html.index(f'action="{action}"')
    before = html.rfind("<form", 0, start)
    error = html.rfind('<p class="error"', 0, before)
    begins = error if error > html.rfind("</form>", 0, before) else before
    return html[begins:html.index("</form>", start)]


def _after(html: str, field: str) -> str:
    """_after: FIELD's input (or select) and what follows it up to the next label."""
    start = html.index(f'id="{field}"')
    ends = html.find("<label", start)
    return html[html.rfind("<", 0, start):ends if ends >= 0 else None]


class TestTheNoticeForm:
    def test_a_day_in_the_future_is_refused_next_to_it_and_the_rest_kept(
            self, site: Site) -> None:
        csrf = log_in_as(site.client, "us.officer")
        tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
        page = site.client.post(f"/nominations/{site.eligible}/notice", data={
            "csrf": csrf, "served_on": tomorrow, "language": "es", "method": "mail",
            "acknowledged": "no"})
        assert page.status_code == 422
        form = _form(page.text, f"/nominations/{site.eligible}/notice")
        served = _after(form, "served_on")
        assert f'value="{tomorrow}"' in served and 'aria-invalid="true"' in served
        assert 'data-testid="notice-error"' in served and "in the future" in served
        assert re.search(r'<option value="mail" selected>', form)
        assert re.search(r'<option value="no" selected>', form)
        assert 'value="es"' in _after(form, "language")

    def test_a_wrong_language_is_refused_next_to_it_in_the_reader_s_language(
            self, site: Site) -> None:
        csrf = log_in_as(site.client, "us.officer")
        page = site.client.post(f"/nominations/{site.eligible}/notice?lang=es", data={
            "csrf": csrf, "served_on": "2025-03-02", "language": "en", "method": "counsel",
            "acknowledged": "yes"})
        assert page.status_code == 422
        form = _form(page.text, f"/nominations/{site.eligible}/notice")
        language = _after(form, "language")
        assert 'value="en"' in language and 'aria-invalid="true"' in language
        assert "la notificación debe estar redactada en el idioma de la persona" in language
        assert "person&#39;s language (&#39;es&#39;)" in language  # the detail, as English
        assert 'value="2025-03-02"' in _after(form, "served_on")
        assert re.search(r'<option value="counsel" selected>', form)

    def test_a_served_notice_shows_on_the_page(self, site: Site) -> None:
        csrf = log_in_as(site.client, "us.officer")
        done = site.client.post(f"/nominations/{site.eligible}/notice", data={
            "csrf": csrf, "served_on": "2025-03-02", "language": "es", "method": "in_person",
            "acknowledged": "yes"}, follow_redirects=False)
        assert done.status_code == 303
        page = site.client.get(f"/nominations/{site.eligible}?lang=es").text
        assert "Notificada el 2 mar 2025 (en persona, en es); la persona acusó recibo." in page
        assert "AVISO DE TRASLADO PROPUESTO" in page


class TestTheDecisionForms:
    def test_an_acceptance_after_the_term_keeps_the_day_and_names_the_field(
            self, site: Site) -> None:
        csrf = log_in_as(site.client, "sv.warden")
        page = site.client.post(f"/nominations/{site.eligible}/accept",
                                data={"csrf": csrf, "on": "2027-01-04"})
        assert page.status_code == 422
        on = _after(_form(page.text, f"/nominations/{site.eligible}/accept"), "on")
        assert 'value="2027-01-04"' in on and 'aria-invalid="true"' in on
        assert 'data-testid="accept-error"' in on and "after the agreement&#39;s term" in on

    def test_accepting_an_ineligible_nomination_is_refused_above_the_form(
            self, site: Site) -> None:
        csrf = log_in_as(site.client, "sv.warden")
        page = site.client.post(f"/nominations/{site.minor}/accept?lang=es",
                                data={"csrf": csrf, "on": "2025-03-20"})
        assert page.status_code == 409
        form = _form(page.text, f"/nominations/{site.minor}/accept")
        assert form.startswith('<p class="error" role="alert" id="accept-error"')
        assert "solo se puede aceptar una propuesta admisible" in form
        assert 'value="2025-03-20"' in _after(form, "on")

    def test_a_rejection_without_a_reason_is_refused_in_spanish(self, site: Site) -> None:
        csrf = log_in_as(site.client, "sv.warden")
        page = site.client.post(f"/nominations/{site.minor}/reject?lang=es",
                                data={"csrf": csrf, "reason": "   "})
        assert page.status_code == 422
        reason = _after(_form(page.text, f"/nominations/{site.minor}/reject"), "reason")
        assert 'aria-invalid="true"' in reason
        assert "indique por qué se rechaza la propuesta" in reason

    def test_an_acceptance_shows_its_day_in_the_reader_s_language(self, site: Site) -> None:
        csrf = log_in_as(site.client, "sv.warden")
        done = site.client.post(f"/nominations/{site.eligible}/accept",
                                data={"csrf": csrf, "on": "2025-03-20"},
                                follow_redirects=False)
        assert done.status_code == 303
        english = site.client.get(f"/nominations/{site.eligible}?lang=en").text
        assert "accepted by the receiving state — on Mar 20, 2025" in english
        spanish = site.client.get(f"/nominations/{site.eligible}?lang=es").text
        assert "aceptada por el Estado receptor — el 20 mar 2025" in spanish


class TestTheCourtOrderForm:
    def test_an_order_that_expires_before_it_is_issued_is_refused_at_its_expiry(
            self, site: Site) -> None:
        csrf = log_in_as(site.client, "us.officer")
        page = site.client.post("/holds?lang=es", data={
            "csrf": csrf, "hold_ref": "1:25-cv-0001", "court": "D.D.C.", "kind": "stay",
            "issued": "2025-04-19", "expires": "2025-04-01", "scope_field": "external_ref",
            "scope_value": "W-1", "bars_removal_to": "any"})
        assert page.status_code == 422
        expires = _after(page.text, "expires")
        assert 'aria-invalid="true"' in expires and 'data-testid="hold-error"' in expires
        assert "la fecha de vencimiento es anterior a la de emisión" in expires
        assert '<option value="stay" selected>suspensión</option>' in page.text
        assert 'value="W-1"' in _after(page.text, "scope_value")

    def test_a_registered_order_is_listed_in_spanish(self, site: Site) -> None:
        csrf = log_in_as(site.client, "us.officer")
        page = site.client.post("/holds?lang=es", data={
            "csrf": csrf, "hold_ref": "1:25-cv-0002", "court": "D.D.C.", "kind": "tro",
            "issued": "2025-04-19", "expires": "", "scope_field": "external_ref",
            "scope_value": "W-1", "bars_removal_to": "any"})
        assert page.status_code == 200
        assert "Orden judicial 1:25-cv-0002 registrada; 1 decisión modificada." in page.text
        assert "orden de restricción temporal" in page.text
        assert "desde el 19 abr 2025 hasta que se levante" in page.text
        assert "persona W-1" in page.text


def test_every_page_of_the_group_asks_spanish_for_nothing_it_lacks(site: Site) -> None:
    log_in_as(site.client, "us.officer")
    untranslated("es").clear()
    for url in ("/nominations", "/nominations?decision=ineligible", "/nominations/import",
                f"/nominations/{site.eligible}", f"/nominations/{site.minor}", "/holds"):
        page = site.client.get(url + ("&" if "?" in url else "?") + "lang=es")
        assert page.status_code == 200, url
        assert '<html lang="es">' in page.text
    assert untranslated("es") == set()


def test_the_trace_says_why_in_spanish(site: Site) -> None:
    log_in_as(site.client, "us.officer")
    page = site.client.get(f"/nominations/{site.minor}?lang=es").text
    trace = page.split('data-testid="trace"', 1)[1].split("</table>", 1)[0]
    assert "menor de edad hasta el 2 feb 2028" in trace
    assert "18 años o más en la fecha de referencia" in trace
    assert "no superado" in trace and 'lang="en"' not in trace


# --- every finding the screening rules write is said in words a catalogue translates -----


def _findings() -> list[str]:
    """_findings: one finding of every branch of every rule."""
    barring = [Hold(hold_ref="STAY-1", court="D.D.C.", kind=HoldKind.STAY,
                    issued=date(2025, 1, 1), scope=Scope(external_ref="US-2025-000123"),
                    bars_removal_to="any"),
               Hold(hold_ref="CAT-1", court="Immigration Court",
                    kind=HoldKind.CAT_PROTECTION, issued=date(2025, 1, 1),
                    scope=Scope(external_ref="US-2025-000123"), bars_removal_to=["SLV"])]
    plain = Context(as_of=AS_OF, receiving_party="SLV")
    held = Context(as_of=AS_OF, receiving_party="SLV", holds=barring,
                   offence_table={"18USC1951": "robo"})
    people = [nomination(), nomination(**{"person.date_of_birth": "2010-02-02"}),
              nomination(convictions=[], pending_charges=[{"offense": "x"}]),
              nomination(**{"convictions.0.appeal_status": "pending"}),
              nomination(**{"convictions.0.appeal_status": "unknown"}),
              nomination(**{"convictions.0.sentence": {"kind": "life"}}),
              nomination(**{"convictions.0.sentence.years": 1}),
              nomination(**{"person.nationalities": ["USA"], "person.documents": []}),
              nomination(**{"consent": {"given": True, "date": "2025-01-01"}}),
              nomination(**{"consent": {"given": None, "date": None}}),
              nomination(**{"consent": {"given": False, "date": "2025-01-01"},
                            "convictions.0.offense_code": "X1"})]
    found = [rule(n, ctx).message for n in people for ctx in (plain, held)
             for rule in rules.PERSON_RULES.values()]
    found += [rules.notice(None, date(2025, 4, 1), plain).message,
              rules.notice(date(2025, 3, 1), date(2025, 4, 1), plain).message,
              rules.quota(3, None).message, rules.quota(3, 300).message,
              rules.quota(300, 300).message, rules.capacity(4).message,
              rules.capacity(0).message]
    return sorted(set(found))


def test_every_finding_of_the_rules_is_read_and_translated() -> None:
    found = _findings()
    read = {pattern.pattern for f in found for pattern, _ in FINDINGS if pattern.fullmatch(f)}
    assert len(read) == len(FINDINGS)  # each pattern is still written by some rule
    for finding in found:
        if finding.startswith("document "):  # the MRZ's own words stay as written
            continue
        spanish = finding_text("es", finding)
        assert 'lang="en"' not in spanish, finding
        assert spanish != finding, finding
