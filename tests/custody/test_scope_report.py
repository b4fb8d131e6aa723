"""The integrity report is scoped to its reader (issue 17): Costa Rica's officer, whose
agreement sends to the same prison, reads none of the United States' people, by API or page
(DESIGN.md §12.1: integrity lines are for the parties of the person's agreement).

On the lived demo (tests/conftest.py), shared by this module's tests, which only read.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.custody.models import Prisoner
from habeas.db import read_session
from tests.api.conftest import bearer
from tests.conftest import OTHER_OFFICER as OTHER
from tests.conftest import log_in_as
from tests.factories import a_token

pytestmark = pytest.mark.both_engines  # SQL-heavy: the scope report (aggregates) (docs/testing.md)


def _readers(client: TestClient, engine: Engine) -> dict[str, dict[str, object]]:
    return {who: client.get("/api/v1/integrity", headers=bearer(a_token(engine, who))).json()
            for who in ("monitor", "us.officer", OTHER, "sv.warden")}


class TestTheReportIsScoped:
    def test_costa_ricas_officer_reads_no_united_states_person(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, engine = lived
        with read_session(engine) as s:
            ours = set(s.scalars(select(Prisoner.public_id).where(
                Prisoner.legal_custodian == "USA")))
        seen = _readers(client, engine)
        named = {who: {p for x in body["lines"] for p in x["people"]}  # type: ignore[index]
                 for who, body in seen.items()}
        assert named["monitor"] & ours, "the monitor's report names U.S. people"
        assert named["us.officer"] and named["us.officer"] <= ours
        assert named[OTHER] == set()
        # Counts over its own people too: none held, nobody counted. Only the findings of
        # the prison it sends to (which name no one) are the same for every state there.
        assert seen[OTHER]["population"] == 0
        for x in seen[OTHER]["lines"]:  # type: ignore[attr-defined]
            if x["check"] != "finding_response_overdue":
                assert (x["count"], x["notes"]) == (0, []), x
        # The receiving state runs the prison: it sees everyone held there.
        assert seen["sv.warden"]["population"] == seen["monitor"]["population"]

    def test_the_page_names_no_united_states_person_to_costa_rica(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, engine = lived
        with read_session(engine) as s:
            ours = list(s.scalars(select(Prisoner.public_id).where(
                Prisoner.legal_custodian == "USA")))
        log_in_as(client, "monitor")
        assert any(p in client.get("/integrity").text for p in ours)
        log_in_as(client, OTHER)
        page = client.get("/integrity")
        assert page.status_code == 200
        assert not [p for p in ours if p in page.text]
        client.cookies.clear()
