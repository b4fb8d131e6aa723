"""The staff search: names found whatever their accents and capitals, identifiers by prefix,
at most PER_KIND per kind, and only what the role may read within its scope (DESIGN.md §2)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.auth.models import Role
from habeas.billing.models import Invoice
from habeas.custody.models import Prisoner
from habeas.db import read_session
from habeas.locator.normalise import name_key
from habeas.nominations.models import NominationRecord
from habeas.search import service
from tests.conftest import OTHER_OFFICER as OTHER
from tests.conftest import log_in_as as log_in

# SQL-heavy: search (SQLite and PostgreSQL take different paths) (docs/testing.md)
pytestmark = pytest.mark.both_engines

World = tuple[TestClient, Engine]


def _accented(engine: Engine) -> Prisoner:
    with read_session(engine) as db:
        people = list(db.scalars(select(Prisoner).where(Prisoner.kind == "transferee")
                                 .order_by(Prisoner.public_id)))
    return next(p for p in people if name_key(p.family_name) != p.family_name.lower())


def _search(engine: Engine, query: str, role: Role = Role.MONITOR,
            scope: str | None = None) -> service.Results:
    with read_session(engine) as db:
        return service.search(db, query, role=role, scope=scope)


class TestNames:
    def test_a_name_is_found_without_its_accents_in_capitals(self, lived: World) -> None:
        person = _accented(lived[1])
        typed = name_key(person.family_name).upper()  # "ÁBREGO" typed as "ABREGO"
        hits = _search(lived[1], typed).kinds["people"]
        assert person.public_id in {h.href.rsplit("/", 1)[1] for h in hits} or \
            len(hits) == service.PER_KIND
        both = _search(lived[1], f"{person.given_names.split()[0]} {typed.lower()}")
        assert f"/people/{person.public_id}" in {h.href for h in both.kinds["people"]}
        assert f"/nominations/{person.public_id}" in {h.href for h in both.kinds["nominations"]}

    def test_every_hit_has_every_word_and_the_count_is_the_rows_that_do(self, lived: World
                                                                         ) -> None:
        person = _accented(lived[1])
        words = name_key(f"{person.given_names} {person.family_name}").split()[:2]
        hits = _search(lived[1], " ".join(words).upper()).kinds["nominations"]
        with read_session(lived[1]) as db:
            expected = sorted(n.public_id for n in db.scalars(select(NominationRecord))
                              if all(w in name_key(f"{n.given_names} {n.family_name}")
                                     for w in words))
        assert sorted(h.href.rsplit("/", 1)[1] for h in hits) == expected[:service.PER_KIND]

    def test_the_sql_fold_is_the_python_fold(self, lived: World) -> None:
        with read_session(lived[1]) as db:
            db.execute(select(Prisoner.public_id).limit(1))
            service._register_fold(db)  # what search() does first
            folded = db.scalar(select(service.folded("ÁÉÍÓÚÑÜÇ áéíóúñüç Rivera-López")))
        assert folded == service.fold_text("ÁÉÍÓÚÑÜÇ áéíóúñüç Rivera-López") == \
            "aeiounuc aeiounuc rivera-lopez"


class TestIdentifiers:
    def test_a_public_id_prefix_finds_the_person_and_the_nomination(self, lived: World
                                                                    ) -> None:
        person = _accented(lived[1])
        found = _search(lived[1], person.public_id[:6].lower())
        assert f"/people/{person.public_id}" in {h.href for h in found.kinds["people"]}
        assert f"/nominations/{person.public_id}" in {h.href for h in found.kinds["nominations"]}

    def test_an_external_reference_finds_the_nomination(self, lived: World) -> None:
        with read_session(lived[1]) as db:
            n = db.scalars(select(NominationRecord).order_by(NominationRecord.public_id)).first()
        assert n is not None
        hits = _search(lived[1], n.external_ref.lower()).kinds["nominations"]
        assert f"/nominations/{n.public_id}" in {h.href for h in hits}

    def test_invoices_by_number_and_period_and_orders_by_reference(self, lived: World) -> None:
        with read_session(lived[1]) as db:
            invoice = db.scalars(select(Invoice).order_by(Invoice.seq)).first()
        assert invoice is not None
        by_number = _search(lived[1], invoice.number.lower()).kinds["invoices"]
        assert [h.href for h in by_number] == [f"/billing/invoices/{invoice.seq}"]
        by_period = _search(lived[1], invoice.period).kinds["invoices"]
        assert f"/billing/invoices/{invoice.seq}" in {h.href for h in by_period}
        orders = _search(lived[1], "cv-01101").kinds["holds"]
        assert [h.title for h in orders] == ["1:25-cv-01101-TRO"]
        assert _search(lived[1], "district court").kinds["holds"]  # by the court's name

    def test_at_most_per_kind_hits_and_the_page_says_there_are_more(self, lived: World
                                                                    ) -> None:
        found = _search(lived[1], "a a")  # a letter every name has
        assert len(found.kinds["people"]) == service.PER_KIND and "people" in found.more


class TestScope:
    @pytest.mark.parametrize(("role", "kinds"), [
        (Role.ADMIN, ["nominations", "holds"]),
        (Role.SENDING, ["people", "nominations", "holds", "invoices"]),
        (Role.RECEIVING, ["people", "nominations", "holds", "invoices"]),
        # Counsel searches people, finding only its clients of record (§12.1).
        (Role.COUNSEL, ["people", "holds"]),
        (Role.MONITOR, ["people", "nominations", "holds", "invoices"]),
    ])
    def test_a_role_searches_only_the_kinds_it_may_read(self, role: Role,
                                                        kinds: list[str]) -> None:
        assert service.kinds_for(role) == kinds

    def test_another_sending_state_finds_none_of_ours(self, lived: World) -> None:
        person = _accented(lived[1])
        with read_session(lived[1]) as db:
            invoice = db.scalars(select(Invoice).order_by(Invoice.seq)).first()
        assert invoice is not None
        for query in (person.family_name, person.public_id, invoice.number, invoice.period):
            ours = _search(lived[1], query, Role.SENDING, "USA")
            theirs = _search(lived[1], query, Role.SENDING, "CRI")
            assert ours.total > 0, query
            assert {k: v for k, v in theirs.kinds.items() if k != "holds"} == \
                {"people": [], "nominations": [], "invoices": []}, query

    def test_the_page_for_each_role(self, lived: World) -> None:
        client, engine = lived
        person = _accented(engine)
        typed = name_key(f"{person.given_names} {person.family_name}")
        log_in(client, OTHER)
        assert person.family_name not in client.get("/search", params={"q": typed}).text
        log_in(client, "us.officer")
        empty = client.get("/search")
        assert empty.status_code == 200 and 'id="search-page-q"' in empty.text
        assert 'data-testid="search-summary"' not in empty.text
        page = client.get("/search", params={"q": typed}).text
        assert f'href="/people/{person.public_id}"' in page
        log_in(client, "counsel")
        page = client.get("/search", params={"q": typed}).text
        assert f"/people/{person.public_id}" not in page and 'data-testid="results-holds"' in page
        assert client.get("/search", params={"q": "x"}).status_code == 200  # too short
