"""API fuzzing: schemathesis against the live OpenAPI schema, every operation, authenticated.

Each operation is called with generated valid and invalid input as a user whose role may
use it (DESIGN.md §2; the first demo user allowed, so the request reaches the handler
rather than stopping at 403), on the demo database, on SQLite and PostgreSQL. Checked:
no 5xx, every status code and content type is one the schema documents, and every
response body matches the schema. `make test` runs a bounded number of examples per
operation; `make fuzz` runs many more (HABEAS_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from habeas.app import create_app
from habeas.auth.permissions import allowed
from habeas.db import make_engine
from habeas.demo import DEMO_USERS
from habeas.ledger.keys import ensure_log_key
from tests.api.conftest import bearer
from tests.api.test_permissions import ALL_ROUTES
from tests.conftest import fresh_database
from tests.factories import a_token

# the fuzzer: whatever input reaches each engine's SQL (docs/testing.md)
pytestmark = pytest.mark.both_engines

EXAMPLES = int(os.environ.get("HABEAS_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ACTIONS = {(m, p): a for m, p, a in ALL_ROUTES}


def _operations() -> list[tuple[str, str]]:
    paths = create_app(None).openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


OPERATIONS = _operations()


def user_for(method: str, path: str) -> str | None:
    """user_for: the first demo user allowed to use the route (None: public)."""
    action = ACTIONS.get((method, path))
    if action is None:
        return None
    return next(u.username for u in DEMO_USERS if allowed(u.role, action))


# schemathesis' own pytest plugin does not run under pytest 9, so its strategies are driven
# with hypothesis directly: one test per operation and per engine, valid and invalid input.
@dataclass
class Fuzzed:
    """Fuzzed: the demo on one engine, its live schema and a token per demo user, shared
    by the module's tests (what one operation's examples create, the next may meet)."""

    schema: schemathesis.BaseSchema
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def fuzzed(migrated: tuple[str, str], demo_template: Engine,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    ensure_log_key()  # signing a checkpoint needs the log's key (in the tests' data dir)
    with fresh_database(migrated, tmp_path_factory.mktemp("fuzz"), demo_template) as url:
        engine = make_engine(url)
        # The schema's load waits as long as the suite's hang guard, not schemathesis' 10 s:
        # on a busy machine (and under coverage) building it has taken longer.
        yield Fuzzed(schemathesis.openapi.from_asgi("/openapi.json", create_app(engine),
                                                    timeout=300),
                     {u.username: a_token(engine, u.username) for u in DEMO_USERS})
        engine.dispose()


# schemathesis' own pytest plugin does not run under pytest 9, so its strategies are driven
# with hypothesis directly: one test per operation and per engine, valid and invalid input.
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_no_operation_breaks_its_schema(fuzzed: Fuzzed, method: str, path: str,
                                        mode: GenerationMode) -> None:
    operation = fuzzed.schema[path][method]
    username = user_for(method, path)
    headers = bearer(fuzzed.tokens[username]) if username else {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    def call(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        call()
    except Unsatisfiable:
        # Only for invalid input: an operation whose every input is a free-form string
        # (an id in the path, no body) has no invalid request to make.
        assert mode is GenerationMode.NEGATIVE
        pytest.skip(f"no invalid request exists for {method} {path}: it takes no input, or "
                    "only free-form strings (the valid-input run covers it)")


def test_every_api_route_is_in_the_schema_fuzzed() -> None:
    """Routes hidden from the schema would escape the fuzzer: only pages may be."""
    documented = set(OPERATIONS)
    api = {(m, p) for m, p, _ in ALL_ROUTES if p.startswith("/api/")}
    assert api - documented == set()
