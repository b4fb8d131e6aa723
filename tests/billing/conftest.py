"""The API fixtures (the app on the demo database, a token per demo user) for billing tests."""

from tests.api.conftest import client, tokens

__all__ = ["client", "tokens"]
