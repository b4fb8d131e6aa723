"""The messages in English and Spanish: plain, humane, and saying what the rules require."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from habeas.notify import templates
from habeas.notify.models import Notification

CECOT = {"name": "CECOT", "address": "Tecoluca, San Vicente", "phone": "+503 2500 0000"}
FACTS = {"name": "José Antonio Rivera López", "date": "2025-09-14", "facility": CECOT,
         "country": "SLV", "custodian": "USA"}


def row(reason: str, audience: str = "family", locale: str = "en", **params: Any
        ) -> Notification:
    return Notification(
        id="N7.1", seq=7, kind="subscription" if audience == "subscriber" else "mandatory",
        reason=reason, audience=audience, channel="email", recipient="x@example.org",
        recipient_name="Ana López" if audience == "family" else None, locale=locale,
        subject="N7K2M4P9Q3R5", subscription_id="S5" if audience == "subscriber" else None,
        params={**FACTS, **params}, idempotency_key="7:0123456789abcdef",
        created_at=datetime(2025, 9, 14, tzinfo=UTC))


def text(n: Notification) -> str:
    message = templates.render(n, base_url="https://habeas.example")
    return message.subject + "\n" + message.text


class TestDeath:
    def test_says_who_to_contact_the_investigation_and_the_body(self) -> None:
        message = templates.render(row("death"), base_url="https://habeas.example")
        assert message.subject == "The death of José Antonio Rivera López"
        body = message.text
        assert body.startswith("Dear Ana López,")
        assert "died on September 14, 2025 at CECOT" in body
        assert "We are very sorry for your loss." in body
        # Rule 71: an independent investigation; Rule 72: the body returned with dignity.
        assert "authority independent of the prison" in body and "Rule 71" in body
        assert "returned to you as soon as reasonably possible" in body and "Rule 72" in body
        assert "Who to contact:\nCECOT\nTecoluca, San Vicente\nTelephone: +503 2500 0000" in body
        assert "United States" in body and "Rule 69" in body
        assert "Reference: 7:0123456789abcdef" in body

    def test_in_spanish(self) -> None:
        body = text(row("death", locale="es"))
        assert body.startswith("El fallecimiento de José Antonio Rivera López\nEstimada/o")
        assert "falleció el 14 de septiembre de 2025 en CECOT" in body
        assert "regla 71" in body and "(regla 72)" in body and "Estados Unidos" in body
        assert "Teléfono: +503 2500 0000" in body

    def test_to_a_consulate_cites_article_37(self) -> None:
        body = text(row("death", "consulate", nationality="HND", date_of_birth="1994-03-02"))
        assert "José Antonio Rivera López, born on March 2, 1994, a national of Honduras, " \
               "died on" in body
        assert "article 37(a) of the Vienna Convention" in body
        assert "Consular officers may visit" not in body


class TestOtherNotices:
    @pytest.mark.parametrize(("reason", "params", "en", "es"), [
        ("admission", {}, "was admitted to CECOT on September 14, 2025",
         "ingresó en CECOT el 14 de septiembre de 2025"),
        ("transfer", {"direction": "outbound"}, "left on September 14, 2025 for CECOT, in "
         "El Salvador", "partió el 14 de septiembre de 2025 hacia CECOT, en El Salvador"),
        ("transfer", {"direction": "released"}, "to be handed back to the authorities of "
         "United States", "para ser entregado a las autoridades de Estados Unidos"),
        ("transfer", {"direction": "stopped"}, "was flown back to United States on "
         "September 14, 2025 without being handed over to CECOT", "fue devuelto a Estados "
         "Unidos el 14 de septiembre de 2025 sin haber sido entregado a CECOT"),
        ("illness", {"nature": "injury", "treated_at": "Hospital Rosales"},
         "was seriously injured", "sufrió una lesión grave"),
    ])
    @pytest.mark.parametrize("audience", ["family", "consulate", "counsel"])
    def test_say_what_happened_in_both_languages(self, reason: str, params: dict[str, Any],
                                                 en: str, es: str, audience: str) -> None:
        extra = {"nationality": "HND", "date_of_birth": "1994-03-02", "reference": "US-1"}
        assert en in text(row(reason, audience, **params, **extra))
        assert es in text(row(reason, audience, locale="es", **params, **extra))

    def test_an_admission_tells_the_family_their_right_and_how_to_reach_the_prison(
            self) -> None:
        body = text(row("admission"))
        assert "named you as someone to be told where they are held" in body
        assert "Rule 68" in body and "Telephone: +503 2500 0000" in body

    def test_illness_never_carries_clinical_details(self) -> None:
        body = text(row("illness", nature="illness", treated_at="Hospital Rosales"))
        assert "became seriously ill" in body and "cared for at Hospital Rosales" in body
        assert "Medical details are confidential" in body

    def test_consular_admission_cites_article_36(self) -> None:
        body = text(row("admission", "consulate", nationality="GTM",
                        date_of_birth="1994-03-02"))
        assert "Consular notification (admission)" in body and "Guatemala" in body
        assert "article 36(1)(b)" in body


class TestSubscriberMessages:
    def test_a_status_update_says_only_what_the_locator_shows(self) -> None:
        update = row("status", "subscriber", status="released", since="2025-08-01")
        update.params = {k: update.params[k] for k in ("name", "facility", "custodian")} | {
            "status": "released", "since": "2025-08-01"}
        body = text(update)
        assert "Update about José Antonio Rivera López: released" in body
        assert "Since: August 1, 2025" in body
        assert "only what the public locator shows" in body
        assert "https://habeas.example/subscribe/revoke?token=S5." in body
        assert "N7K2M4P9Q3R5" not in body
        es = text(row("status", "subscriber", locale="es", status="escaped",
                      since="2025-08-01"))
        assert "Situación: evadido" in es and "Desde: 1 de agosto de 2025" in es

    def test_a_confirmation_carries_its_link_and_the_way_out(self) -> None:
        body = text(row("confirm", "subscriber"))
        assert "https://habeas.example/subscribe/confirm?code=S5." in body
        assert "If you did not ask for this, ignore this message" in body


class TestCatalogue:
    def test_every_message_has_a_spanish_translation(self) -> None:
        path = resources.files("habeas") / "locale" / "es" / "LC_MESSAGES" / "notify.po"
        with path.open("rb") as po:
            catalog = read_po(po, locale="es")
        translated = {m.id for m in catalog if m.id and m.string}
        source = resources.files("habeas")
        wanted = {msg for _, msg, _, _ in extract_from_file(
            "python", str(source / "notify" / "templates.py"), keywords={"N_": None})}
        assert wanted - translated == set()
        assert {m.id for m in catalog if m.id} - wanted == set()  # nothing stale
        placeholders = re.compile(r"%\(\w+\)s")
        for message in catalog:
            if message.id:
                assert sorted(placeholders.findall(str(message.id))) == sorted(
                    placeholders.findall(str(message.string))), message.id
