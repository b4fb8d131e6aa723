"""The lived demo of tests/dashboard, searched here."""

from tests.dashboard.conftest import lived, lived_template

__all__ = ["lived", "lived_template"]
