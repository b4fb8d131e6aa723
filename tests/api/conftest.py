"""API fixtures: the app on a demo database, and a token per demo user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.app import create_app
from habeas.demo import DEMO_USERS
from tests.factories import a_token


@pytest.fixture
def client(demo_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(demo_engine), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def tokens(client: TestClient, engine: Engine) -> dict[str, str]:
    """tokens maps each demo username to a bearer token."""
    return {u.username: a_token(engine, u.username) for u in DEMO_USERS}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
