"""Searching the locator: who can be found, how, and who never is (DESIGN.md §9, ADR 0015)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from habeas.db import read_session, unit_of_work
from habeas.errors import ValidationFailed
from habeas.locator import service
from habeas.locator.models import LocatorEntry
from habeas.locator.schemas import LocatedPerson
from tests.locator.conftest import AFTER_RELEASES, RELEASED_LONG_AGO, RELEASED_RECENTLY, World

pytestmark = pytest.mark.both_engines  # SQL-heavy: the locator's name search (docs/testing.md)

TODAY = date(2025, 9, 15)
CECOT = {"name": "Centro de Confinamiento del Terrorismo (CECOT)",
         "address": "Carretera a Tecoluca, San Vicente, El Salvador", "phone": "+503 2500 0000"}


def find(engine: Engine, today: date = TODAY, **typed: Any) -> list[LocatedPerson]:
    query = service.parse_query(today=today, **typed)
    with read_session(engine) as s:
        return service.search(s, query, today)


def names(found: list[LocatedPerson]) -> list[str]:
    return [p.name for p in found]


class TestByName:
    def test_finds_the_exact_name_whatever_the_accents_case_and_spacing(
            self, engine: Engine, world: World) -> None:
        found = find(engine, family_name="RIVERA  LOPEZ", given_names="jose antonio",
                     country_of_birth="SLV")
        assert names(found) == ["José Antonio Rivera López"]
        [person] = found
        assert person.status == "in custody"
        assert person.status_changed_on == date(2025, 4, 10)
        assert person.facility.model_dump() == CECOT
        assert (person.legal_custodian.code, person.legal_custodian.name) == \
            ("USA", "United States")

    def test_the_country_of_birth_must_match(self, engine: Engine, world: World) -> None:
        assert find(engine, family_name="Rivera López", given_names="José Antonio",
                    country_of_birth="GTM") == []

    def test_a_close_spelling_is_not_found_without_the_date_of_birth(
            self, engine: Engine, world: World) -> None:
        assert find(engine, family_name="Ribera Lopez", given_names="Jose Antonio",
                    country_of_birth="SLV") == []

    def test_with_the_date_of_birth_close_spellings_are_found_best_first(
            self, engine: Engine, world: World) -> None:
        found = find(engine, family_name="Ribera Lopez", given_names="Jose Antonio",
                     country_of_birth="SLV", date_of_birth="1994-03-02")
        assert names(found) == ["José Antonio Rivera López", "José Antonio Rivera Lopes"]

    def test_names_in_another_order_are_close_with_the_date_of_birth(
            self, engine: Engine, world: World) -> None:
        found = find(engine, family_name="Jose Antonio", given_names="Rivera Lopez",
                     country_of_birth="SLV", date_of_birth="1994-03-02")
        assert "José Antonio Rivera López" in names(found)

    def test_the_date_of_birth_gates_close_spelling_it_does_not_widen_it(
            self, engine: Engine, world: World) -> None:
        assert find(engine, family_name="Ribera Lopez", given_names="Jose Antonio",
                    country_of_birth="SLV", date_of_birth="1994-03-03") == []
        # A different surname on the right day is not "close".
        assert find(engine, family_name="Hernández", given_names="José Antonio",
                    country_of_birth="SLV", date_of_birth="1994-03-02") == []
        assert service.FUZZY_THRESHOLD == 85.0

    def test_in_transit_is_shown_with_the_facility_it_goes_to(
            self, engine: Engine, world: World) -> None:
        [person] = find(engine, family_name="Hernandez Cruz", given_names="Maria Jose",
                        country_of_birth="SLV")
        assert (person.status, person.legal_custodian.code) == ("in transit", "USA")

    def test_a_person_sent_back_by_a_court_order_in_flight_is_returned(
            self, engine: Engine, world: World) -> None:
        [person] = find(engine, family_name="Ramírez", given_names="Jonathan",
                        country_of_birth="SLV", today=date(2025, 5, 1))
        assert (person.status, person.status_changed_on) == ("returned", date(2025, 4, 11))

    def test_a_death_in_custody_is_shown(self, engine: Engine, world: World) -> None:
        [person] = find(engine, family_name="Flores", given_names="Oscar",
                        country_of_birth="SLV")
        assert (person.status, person.status_changed_on) == ("deceased", date(2025, 5, 2))

    def test_recaptured_is_in_custody_again_from_the_day_of_recapture(
            self, engine: Engine, world: World) -> None:
        [person] = find(engine, family_name="Mejía", given_names="Kevin",
                        country_of_birth="SLV")
        assert (person.status, person.status_changed_on) == ("in custody", date(2025, 5, 20))


class TestByIdentifier:
    @pytest.mark.parametrize("identifier", ["US-2025-000123", "us 2025 000123", "A1234567",
                                            "a-123-4567"])
    def test_finds_by_the_sending_states_reference_or_a_document_number(
            self, engine: Engine, world: World, identifier: str) -> None:
        assert names(find(engine, identifier=identifier, country_of_birth="SLV")) == \
            ["José Antonio Rivera López"]

    def test_the_country_of_birth_must_match(self, engine: Engine, world: World) -> None:
        assert find(engine, identifier="A1234567", country_of_birth="HND") == []

    def test_a_passport_of_someone_else_finds_only_them(self, engine: Engine,
                                                        world: World) -> None:
        assert names(find(engine, identifier="B7654321", country_of_birth="SLV")) == \
            ["María José Hernández Cruz"]


class TestNeverFound:
    def test_a_nomination_that_never_left(self, engine: Engine, world: World) -> None:
        assert find(engine, family_name="Rivera López", given_names="Ana",
                    country_of_birth="SLV") == []
        assert find(engine, identifier="US-2025-000302", country_of_birth="SLV") == []

    def test_a_domestic_prisoner_even_with_a_transferees_name(
            self, engine: Engine, world: World) -> None:
        found = find(engine, family_name="Rivera López", given_names="José Antonio",
                     country_of_birth="SLV", date_of_birth="1994-03-02")
        assert len(found) == 2  # the transferee and the namesake; not the domestic prisoner

    def test_an_escaped_person(self, engine: Engine, world: World) -> None:
        assert find(engine, family_name="Castro", given_names="Wilber",
                    country_of_birth="SLV") == []

    def test_released_more_than_60_days_ago(self, engine: Engine, world: World) -> None:
        def released(on: date) -> list[str]:
            return names(find(engine, today=on, family_name="Gómez",
                              given_names="Luis Alberto", country_of_birth="SLV"))

        assert released(RELEASED_LONG_AGO + timedelta(days=60)) == ["Luis Alberto Gómez"]
        assert released(RELEASED_LONG_AGO + timedelta(days=61)) == []
        [recent] = find(engine, today=AFTER_RELEASES, family_name="Martínez",
                        given_names="Carlos", country_of_birth="SLV")
        assert (recent.status, recent.status_changed_on) == ("released", RELEASED_RECENTLY)

    def test_returned_more_than_60_days_ago(self, engine: Engine, world: World) -> None:
        assert find(engine, family_name="Ramírez", given_names="Jonathan",
                    country_of_birth="SLV", today=date(2025, 6, 11)) == []

    def test_a_minor_even_if_one_reached_the_index(self, engine: Engine, world: World) -> None:
        # Screening refuses minors (ADULT is always on); the locator checks again anyway.
        born = date(2008, 9, 16)
        with unit_of_work(engine) as s:
            s.execute(insert(LocatorEntry).values(
                public_id="NMINOR0000001", family_name="Menor", given_names="Niño",
                family_key="menor", given_key="nino", birth_country="SLV", date_of_birth=born,
                external_ref_key="MINOR1", status="in_custody", facility_code="CECOT",
                legal_custodian="USA", status_changed_on=date(2025, 4, 10)))
        typed = {"family_name": "Menor", "given_names": "Niño", "country_of_birth": "SLV"}
        assert find(engine, today=date(2026, 9, 15), **typed) == []
        assert names(find(engine, today=date(2026, 9, 16), **typed)) == ["Niño Menor"]


@pytest.mark.parametrize(("today", "born_by"), [
    (date(2026, 3, 1), date(2008, 3, 1)),
    (date(2026, 2, 28), date(2008, 2, 28)),  # born 29 Feb 2008: of age on 1 March 2026
    (date(2028, 2, 29), date(2010, 2, 28)),
])
def test_adult_born_by_agrees_with_the_adult_rule(today: date, born_by: date) -> None:
    from habeas.screening.rules import eighteenth_birthday

    assert service.adult_born_by(today) == born_by
    assert eighteenth_birthday(born_by) <= today
    assert eighteenth_birthday(born_by + timedelta(days=1)) > today


class TestBadInput:
    @pytest.mark.parametrize(("typed", "field"), [
        ({"family_name": "", "given_names": "Jose", "country_of_birth": "SLV"}, "family_name"),
        ({"family_name": "R", "given_names": "Jose", "country_of_birth": "SLV"}, "family_name"),
        ({"family_name": "Rivera", "given_names": "J.", "country_of_birth": "SLV"},
         "given_names"),
        ({"family_name": "Rivera", "given_names": "<>", "country_of_birth": "SLV"},
         "given_names"),
        ({"family_name": "Rivera", "given_names": "Jose"}, "country_of_birth"),
        ({"family_name": "Rivera", "given_names": "Jose", "country_of_birth": "XXX"},
         "country_of_birth"),
        ({"family_name": "Rivera", "given_names": "Jose", "country_of_birth": "SV"},
         "country_of_birth"),
        ({"family_name": "Rivera", "given_names": "Jose", "country_of_birth": "SLV",
          "date_of_birth": "02/03/1994"}, "date_of_birth"),
        ({"family_name": "Rivera", "given_names": "Jose", "country_of_birth": "SLV",
          "date_of_birth": "1994-02-30"}, "date_of_birth"),
        ({"family_name": "Rivera", "given_names": "Jose", "country_of_birth": "SLV",
          "date_of_birth": "2099-01-01"}, "date_of_birth"),
        ({"family_name": "x" * 301, "given_names": "Jose", "country_of_birth": "SLV"},
         "family_name"),
        ({"identifier": "A1", "country_of_birth": "SLV"}, "identifier"),
        ({"identifier": "A1234567", "family_name": "Rivera", "given_names": "Jose",
          "country_of_birth": "SLV"}, "identifier"),
        ({"country_of_birth": "SLV"}, "identifier"),
    ])
    def test_names_the_field(self, typed: dict[str, str], field: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            service.parse_query(today=TODAY, **typed)
        assert caught.value.details["field"] == field
        assert caught.value.status == 422

    def test_a_lower_case_country_code_is_accepted(self) -> None:
        assert service.parse_query(identifier="A1234567", country_of_birth=" slv ",
                                   today=TODAY).country_of_birth == "SLV"


def test_the_query_hash_is_of_the_normalised_query() -> None:
    def digest(**typed: str) -> str:
        return service.query_sha256(service.parse_query(today=TODAY, **typed))

    assert digest(family_name="RIVERA LOPEZ", given_names="JOSE ANTONIO",
                  country_of_birth="SLV") == \
        digest(family_name="Rivera López", given_names="José  Antonio", country_of_birth="slv")
    assert digest(identifier="A1234567", country_of_birth="SLV") != \
        digest(identifier="A1234568", country_of_birth="SLV")
