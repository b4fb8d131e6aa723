"""One rule chooses a nomination's agreement, for the API, the CLI and the web (issue 17:
the API took the first by `registered_seq`, the web the first with no ORDER BY, the CLI
exactly one or `--agreement`).

The rule (nominations.service.choose_agreement): the agreement given, if the state is its
sending party (another agreement's state: not found; its receiving state: wrong_party);
otherwise the only agreement the state sends under; none or several is a 422 naming
`agreement` — never a guess.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from habeas.agreements import service as agreements
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError
from habeas.nominations import service


def _register(engine: Engine, ref: str, sending: str) -> None:
    text = agreements.profile_text("bilateral-fee-2025").replace(
        'ref = "USA-SLV-2025"', f'ref = "{ref}"').replace(
        'sending_party = "USA"', f'sending_party = "{sending}"')
    with unit_of_work(engine) as s:
        agreements.register(s, agreements.parse_agreement(text, "test"), actor="test")


def _choose(engine: Engine, party: str | None, ref: str | None = None) -> str:
    with read_session(engine) as s:
        return service.choose_agreement(s, party, ref).ref


def _refusal(engine: Engine, party: str | None, ref: str | None = None) -> DomainError:
    with pytest.raises(DomainError) as caught, read_session(engine) as s:
        service.choose_agreement(s, party, ref)
    return caught.value


def test_the_only_agreement_a_state_sends_under_is_chosen(engine: Engine) -> None:
    _register(engine, "USA-SLV-2025", "USA")
    _register(engine, "CRI-SLV-2025", "CRI")
    assert _choose(engine, "USA") == "USA-SLV-2025"
    assert _choose(engine, "CRI") == "CRI-SLV-2025"
    # The operator at the CLI acts for no state: two agreements are a choice to make.
    error = _refusal(engine, None)
    assert (error.status, error.details["field"]) == (422, "agreement")
    assert error.details["choices"] == ["CRI-SLV-2025", "USA-SLV-2025"]
    assert _choose(engine, None, "CRI-SLV-2025") == "CRI-SLV-2025"


def test_several_agreements_are_a_choice_never_a_guess(engine: Engine) -> None:
    _register(engine, "USA-SLV-2025", "USA")
    _register(engine, "USA-SLV-2027", "USA")
    error = _refusal(engine, "USA")
    assert (error.status, error.code, error.details["field"]) == (422, "validation_failed",
                                                                   "agreement")
    assert error.details["choices"] == ["USA-SLV-2025", "USA-SLV-2027"]
    assert _choose(engine, "USA", "USA-SLV-2027") == "USA-SLV-2027"


def test_a_state_nominates_only_under_its_own_agreements_as_the_sending_state(
        engine: Engine) -> None:
    _register(engine, "USA-SLV-2025", "USA")
    _register(engine, "CRI-SLV-2025", "CRI")
    theirs = _refusal(engine, "CRI", "USA-SLV-2025")
    nothing = _refusal(engine, "CRI", "NO-SUCH-2025")
    assert (theirs.status, theirs.code) == (nothing.status, nothing.code) == (404, "not_found")
    assert theirs.message == nothing.message.replace("NO-SUCH-2025", "USA-SLV-2025")
    receiving = _refusal(engine, "SLV", "USA-SLV-2025")
    assert (receiving.status, receiving.code) == (403, "wrong_party")
    none = _refusal(engine, "SLV")  # El Salvador sends under no agreement
    assert (none.status, none.details["field"]) == (422, "agreement")
