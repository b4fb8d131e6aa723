"""Where the suite measures coverage (docs/testing.md, "Coverage").

Branch coverage is measured on every test but the PostgreSQL repeats of the tests marked
both_engines: those run the same test functions through the same Python a second time, and
tracing them again doubled their cost for nothing but the few lines that only PostgreSQL
reaches. Those lines then count as not covered, so the figure errs low, never high.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def _controller(config: pytest.Config) -> object | None:
    plugin = config.pluginmanager.getplugin("_cov")
    return getattr(plugin, "cov_controller", None) if plugin is not None else None


def repeats_on_postgresql(item: pytest.Item) -> bool:
    """repeats_on_postgresql: ITEM is the PostgreSQL instance of a both-engines test."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("migrated") == "postgresql"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    controller = _controller(item.config)
    paused = controller is not None and getattr(controller, "started", False) \
        and repeats_on_postgresql(item)
    if paused:
        controller.pause()  # type: ignore[union-attr]
    try:
        yield
    finally:
        if paused:
            controller.resume()  # type: ignore[union-attr]
