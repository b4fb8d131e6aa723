"""The agreement page's proposals (DESIGN.md §12.1: renewing the agreement, changing its
fees or quota, holding a person past its term — a proposal by one state, in force only once
the other accepts). Each form happy and hostile, on the lived demo with a second agreement
(Costa Rica's), on both engines: the proposing state cannot accept its own proposal (403
wrong_party, said on the page), another agreement's officer reads everything as not found
(404) and changes nothing, a bad field comes back named with what was typed."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.agreements.models import Agreement, AgreementChange
from habeas.custody.models import Prisoner
from habeas.db import read_session
from habeas.facilities.service import PRESENT
from tests.conftest import OTHER_OFFICER, log_in_as
from tests.factories import event_count

REF = "USA-SLV-2025"
PAGE = f"/agreements/{REF}"


def _newest(engine: Engine) -> AgreementChange:
    with read_session(engine) as db:
        return db.scalars(select(AgreementChange).order_by(AgreementChange.seq.desc())
                          ).first()  # type: ignore[return-value]


def _change(engine: Engine, seq: int) -> AgreementChange:
    with read_session(engine) as db:
        return db.get_one(AgreementChange, seq)


def _term_months(engine: Engine) -> int:
    with read_session(engine) as db:
        return db.get_one(Agreement, REF).term_months


def _propose_renewal(client: TestClient, csrf: str, months: str = "6",
                     basis: str = "Exchange of notes of 1 July 2025") -> int:
    response = client.post(PAGE + "/renewals", data={"months": months, "basis": basis,
                                                     "csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == PAGE + "?done=proposed#changes"
    return int(re.findall(r'data-testid="change-(\d+)"', client.get(PAGE).text)[0])


class TestTheAgreementPage:
    def test_both_states_and_the_monitors_read_it_another_agreements_state_does_not(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, _ = lived
        for username in ("us.officer", "sv.warden", "monitor"):
            log_in_as(client, username)
            page = client.get(PAGE)
            assert page.status_code == 200, username
            assert 'data-testid="pending"' in page.text and 'data-testid="past"' in page.text
            forms = 'action="/agreements/USA-SLV-2025/renewals"' in page.text
            assert forms == (username != "monitor"), username
        log_in_as(client, OTHER_OFFICER)
        assert client.get(PAGE).status_code == 404
        assert client.get("/agreements/CRI-SLV-2025").status_code == 200
        # The same answer as for an agreement that does not exist.
        missing = client.get("/agreements/NO-SUCH-1")
        assert missing.status_code == 404
        home = client.get("/")
        assert 'href="/agreements/CRI-SLV-2025"' in home.text


class TestRenewal:
    def test_one_state_proposes_the_other_accepts_and_the_term_grows(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, engine = lived
        months = _term_months(engine)
        csrf = log_in_as(client, "us.officer")
        seq = _propose_renewal(client, csrf)
        page = client.get(PAGE).text
        assert "Exchange of notes of 1 July 2025" in page and "awaiting the other state" in page
        assert _term_months(engine) == months  # a proposal changes nothing yet

        # The proposing state accepts its own proposal: refused, said plainly, no change.
        before = event_count(engine)
        own = client.post(f"{PAGE}/changes/{seq}/accept", data={"csrf": csrf})
        assert own.status_code == 403
        assert f'data-testid="decide-{seq}-error"' in own.text
        assert "wrong_party" in own.text or "belongs to SLV" in own.text
        assert event_count(engine) == before and _change(engine, seq).status == "proposed"

        csrf = log_in_as(client, "sv.warden")
        assert f'action="/agreements/{REF}/changes/{seq}/accept"' in client.get(PAGE).text
        done = client.post(f"{PAGE}/changes/{seq}/accept", data={"csrf": csrf},
                           follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].endswith("#changes")
        page = client.get(done.headers["location"]).text
        assert "Proposal accepted" in page and f'data-testid="status-{seq}"' in page
        assert (_change(engine, seq).status, _term_months(engine)) == ("accepted", months + 6)

        # Posted again: already decided, nothing recorded twice.
        before = event_count(engine)
        again = client.post(f"{PAGE}/changes/{seq}/accept", data={"csrf": csrf})
        assert again.status_code == 409 and event_count(engine) == before

    def test_another_agreements_officer_gets_404_and_changes_nothing(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, engine = lived
        seq = _propose_renewal(client, log_in_as(client, "us.officer"))
        csrf = log_in_as(client, OTHER_OFFICER)
        before = event_count(engine)
        for path, data in ((f"{PAGE}/changes/{seq}/accept", {}),
                           (f"{PAGE}/changes/{seq}/reject", {"reason": "no"}),
                           (f"{PAGE}/changes/{seq}/withdraw", {}),
                           (f"{PAGE}/renewals", {"months": "120", "basis": "a forged note"}),
                           (f"{PAGE}/quota", {"quota": "1", "basis": "a forged note"}),
                           (f"{PAGE}/fees", {"effective_from": "2031-01-01",
                                             "rate_kind": "annual", "rate": "x",
                                             "basis": "a forged note"})):
            refused = client.post(path, data={**data, "csrf": csrf})
            assert refused.status_code == 404, (path, refused.text[:300])
        assert event_count(engine) == before and _change(engine, seq).status == "proposed"

    def test_a_bad_field_is_named_next_to_it_with_what_was_typed(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, engine = lived
        csrf = log_in_as(client, "us.officer")
        before = event_count(engine)
        bad = client.post(PAGE + "/renewals", data={"months": "500", "basis": "Note 7/25",
                                                    "csrf": csrf})
        assert bad.status_code == 422
        assert re.search(r'id="months"[^>]*value="500"[^>]*aria-invalid="true"', bad.text)
        assert 'data-testid="renewal-error"' in bad.text and 'value="Note 7/25"' in bad.text
        blank = client.post(PAGE + "/renewals", data={"months": "6", "basis": "  ",
                                                      "csrf": csrf})
        assert blank.status_code == 422
        assert re.search(r'id="renewal-basis"[^>]*aria-invalid="true"', blank.text)
        assert event_count(engine) == before

    def test_a_form_without_its_token_is_refused(self, lived: tuple[TestClient, Engine]
                                                 ) -> None:
        client, engine = lived
        log_in_as(client, "us.officer")
        before = event_count(engine)
        forged = client.post(PAGE + "/renewals", data={"months": "6", "basis": "Note",
                                                       "csrf": "forged"})
        assert forged.status_code == 403 and event_count(engine) == before


class TestFeesAndQuota:
    def test_new_fees_proposed_then_rejected_with_a_reason(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, engine = lived
        csrf = log_in_as(client, "sv.warden")
        bad = client.post(PAGE + "/fees", data={
            "effective_from": "2031-01-01", "rate_kind": "per_diem", "rate": "12,5,0",
            "intake_fee": "", "basis": "Note 9/25", "csrf": csrf})
        assert bad.status_code == 422
        assert re.search(r'id="rate"[^>]*value="12,5,0"[^>]*aria-invalid="true"', bad.text)
        assert 'data-testid="fees-error"' in bad.text
        done = client.post(PAGE + "/fees", data={
            "effective_from": "2031-01-01", "rate_kind": "per_diem", "rate": "95.50",
            "intake_fee": "250", "basis": "Note 9/25", "csrf": csrf}, follow_redirects=False)
        assert done.status_code == 303, done.text[:500]
        change = _newest(engine)
        assert (change.kind, change.proposed_party) == ("fees", "SLV")
        assert (change.terms["per_diem_minor"], change.terms["annual_rate_minor"],
                change.terms["intake_fee_minor"]) == (9550, None, 25000)

        csrf = log_in_as(client, "us.officer")
        blank = client.post(f"{PAGE}/changes/{change.seq}/reject", data={"reason": " ",
                                                                         "csrf": csrf})
        assert blank.status_code == 422
        assert re.search(rf'id="reason-{change.seq}"[^>]*aria-invalid="true"', blank.text)
        done = client.post(f"{PAGE}/changes/{change.seq}/reject",
                           data={"reason": "Above the budget line", "csrf": csrf},
                           follow_redirects=False)
        assert done.status_code == 303
        page = client.get(done.headers["location"]).text
        assert "Above the budget line" in page and "Proposal rejected" in page
        assert _change(engine, change.seq).status == "rejected"

    def test_a_quota_proposal_is_withdrawn_by_its_proposer_only(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, engine = lived
        csrf = log_in_as(client, "us.officer")
        done = client.post(PAGE + "/quota", data={"quota": "350", "basis": "Note 11/25",
                                                  "csrf": csrf}, follow_redirects=False)
        assert done.status_code == 303
        change = _newest(engine)
        assert (change.kind, change.terms) == ("quota", {"quota": 350})
        assert f'action="/agreements/{REF}/changes/{change.seq}/withdraw"' in \
            client.get(PAGE).text

        csrf = log_in_as(client, "sv.warden")
        theirs = client.post(f"{PAGE}/changes/{change.seq}/withdraw", data={"csrf": csrf})
        assert theirs.status_code == 403
        assert f'data-testid="decide-{change.seq}-error"' in theirs.text

        csrf = log_in_as(client, "us.officer")
        gone = client.post(f"{PAGE}/changes/{change.seq}/withdraw", data={"csrf": csrf},
                           follow_redirects=False)
        assert gone.status_code == 303
        assert _change(engine, change.seq).status == "withdrawn"
        assert "Proposal withdrawn" in client.get(gone.headers["location"]).text


def _held(engine: Engine) -> tuple[str, date]:
    """_held: a U.S. transferee in custody at CECOT, and a day before their release."""
    with read_session(engine) as db:
        prisoner = db.scalars(select(Prisoner).where(
            Prisoner.legal_custodian == "USA", Prisoner.kind == "transferee",
            Prisoner.status.in_(PRESENT), Prisoner.release_date.is_not(None))
            .order_by(Prisoner.public_id)).first()
        assert prisoner is not None and prisoner.release_date is not None
        return prisoner.public_id, prisoner.release_date - timedelta(days=1)


class TestPersonTerm:
    def test_proposed_on_the_persons_page_and_accepted_there_by_the_other_state(
            self, lived: tuple[TestClient, Engine]) -> None:
        client, engine = lived
        public_id, until = _held(engine)
        url = f"/people/{public_id}"
        csrf = log_in_as(client, "us.officer")
        assert f'action="{url}/renewal"' in client.get(url).text
        blank = client.post(url + "/renewal", data={"until": until.isoformat(), "reason": "",
                                                    "csrf": csrf})
        assert blank.status_code == 422
        assert re.search(r'id="term_reason"[^>]*aria-invalid="true"', blank.text)
        assert f'value="{until.isoformat()}"' in blank.text
        done = client.post(url + "/renewal", data={
            "until": until.isoformat(), "reason": "Order of the Ministry of Justice 12/25",
            "csrf": csrf}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].endswith("#term")
        change = _newest(engine)
        assert (change.kind, change.subject) == ("person_term", public_id)
        assert f'data-testid="term-{change.seq}"' in client.get(done.headers["location"]).text

        csrf = log_in_as(client, "sv.warden")
        page = client.get(url).text
        assert f'action="/agreements/{REF}/changes/{change.seq}/accept"' in page
        accepted = client.post(f"{PAGE}/changes/{change.seq}/accept",
                               data={"csrf": csrf, "back": f"{url}#term"},
                               follow_redirects=False)
        assert accepted.status_code == 303 and accepted.headers["location"] == f"{url}#term"
        with read_session(engine) as db:
            assert db.get_one(Prisoner, public_id).term_renewed_until == until
        # The same page then reads "accepted"; the other agreement's view of it is 404.
        csrf = log_in_as(client, OTHER_OFFICER)
        refused = client.post(url + "/renewal", data={"until": until.isoformat(),
                                                      "reason": "forged", "csrf": csrf})
        assert refused.status_code == 404

    def test_back_never_leads_off_the_site(self, lived: tuple[TestClient, Engine]) -> None:
        client, _ = lived
        seq = _propose_renewal(client, log_in_as(client, "us.officer"))
        csrf = log_in_as(client, "sv.warden")
        gone = client.post(f"{PAGE}/changes/{seq}/reject",
                           data={"csrf": csrf, "reason": "not now",
                                 "back": "//evil.example/"}, follow_redirects=False)
        assert gone.status_code == 303
        assert gone.headers["location"] == PAGE + "?done=rejected#changes"


@pytest.mark.parametrize("lang", ["es"])
def test_the_page_speaks_spanish(lived: tuple[TestClient, Engine], lang: str) -> None:
    client, _ = lived
    log_in_as(client, "us.officer")
    page = client.get(PAGE + "?lang=" + lang).text
    assert "Cambios propuestos" in page and "Proponer la renovación" in page
