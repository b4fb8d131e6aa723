"""The custody pages' lists come a page at a time (issue 9: nothing loads the whole population
into a page): the transfers, a manifest's people, a facility's intake queue and a cell's
people. Each list is made longer than a page by a small page size; the first page shows the
pager, the second the rest, and no one twice.

The database is the demo after its two flights (tests/web/conftest.py) plus three domestic
prisoners in one cell; served by FastAPI's test client, not a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from habeas.app import create_app
from habeas.custody import service as custody
from habeas.db import read_session, unit_of_work
from habeas.transfers.models import Manifest, ManifestPerson
from habeas.web import paging
from tests.web.conftest import after_the_flights
from tests.web.test_custody_pages import _admit, _domestic
from tests.web.test_security import log_in


@dataclass(frozen=True)
class Demo:
    engine: Engine
    cell: str  # "building/cell" holding the three domestic prisoners
    manifest: str  # the larger flight
    on_manifest: int


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, flights_template: Path) -> Iterator[Demo]:
    engine = after_the_flights(flights_template,
                               tmp_path_factory.mktemp("custody-lists") / "lists.db")
    with unit_of_work(engine) as db:
        _, place = _admit(db, _domestic("L-1", "Uno", "conviction"))
        for n in (2, 3):
            _admit(db, _domestic(f"L-{n}", f"Otro{n}", "conviction", place))
    with read_session(engine) as db:
        manifest, people = db.execute(
            select(ManifestPerson.manifest_id, func.count()).group_by(ManifestPerson.manifest_id)
            .order_by(func.count().desc())).first() or ("", 0)
    yield Demo(engine, place, manifest, people)
    engine.dispose()


@pytest.fixture
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.engine)) as test_client:
        yield test_client


def _ids(html: str, pattern: str) -> list[str]:
    """_ids: what PATTERN's group finds in the page's main content (not the header)."""
    return re.findall(pattern, html.split('<main id="main">', 1)[1])


def _next(html: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _two_pages(client: TestClient, url: str, pattern: str, size: int,
               monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """_two_pages: the ids on URL's first page and on the page its "next" link opens, whose
    own "next" link must not exist: the list spans exactly two pages of SIZE."""
    monkeypatch.setattr(paging, "PAGE_SIZE", size)
    first = client.get(url)
    assert first.status_code == 200, first.text
    assert 'data-testid="pager"' in first.text
    second_url = _next(first.text)
    assert second_url is not None
    second = client.get(second_url)
    assert second.status_code == 200
    assert _next(second.text) is None and 'rel="prev"' in second.text
    return _ids(first.text, pattern), _ids(second.text, pattern)


def test_the_transfers_come_a_page_at_a_time(client: TestClient, demo: Demo,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert log_in(client, "us.officer").status_code == 303
    first, second = _two_pages(client, "/transfers", r'<a href="/transfers/(\w+)">', 1,
                               monkeypatch)
    with read_session(demo.engine) as db:
        manifests = set(db.scalars(select(Manifest.id)))
    assert len(first) == len(second) == 1 and set(first + second) == manifests


def test_a_manifests_people_come_a_page_at_a_time(client: TestClient, demo: Demo,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert log_in(client, "sv.warden").status_code == 303
    size = (demo.on_manifest + 1) // 2
    first, second = _two_pages(client, f"/transfers/{demo.manifest}",
                               r'data-testid="person-(\w+)"', size, monkeypatch)
    assert len(first) == size and len(second) == demo.on_manifest - size
    assert len(set(first + second)) == demo.on_manifest
    # The counts are of the whole manifest, whichever page is shown.
    page = client.get(f"/transfers/{demo.manifest}?page=2").text
    assert re.search(r'data-testid="counts">130 handed over, 1 removed<', page)


def test_the_intake_queue_comes_a_page_at_a_time(client: TestClient, demo: Demo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with read_session(demo.engine) as db:
        waiting = [p.public_id for p in custody.waiting_for_intake(db, "CECOT")]
    assert len(waiting) == 3
    assert log_in(client, "sv.warden").status_code == 303
    first, second = _two_pages(client, f"/facilities/CECOT?intake={waiting[0]}",
                               r'href="/people/(\w+)/intake"', 2, monkeypatch)
    assert first + second == waiting
    # The notice of an intake just recorded is not carried to the next page.
    assert "intake=" not in (_next(client.get("/facilities/CECOT?intake=X1").text) or "")


def test_a_cells_people_come_a_page_at_a_time(client: TestClient, demo: Demo,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert log_in(client, "monitor").status_code == 303
    first, second = _two_pages(client, f"/facilities/CECOT/cells/{demo.cell}",
                               r"<tr><td><code>(\w+)</code>", 2, monkeypatch)
    assert len(first) == 2 and len(second) == 1 and len(set(first + second)) == 3
    # The cell's figures count everyone in it, whichever page is shown.
    page = client.get(f"/facilities/CECOT/cells/{demo.cell}?page=2").text
    assert re.search(r'data-testid="occupants">3 of ', page)
