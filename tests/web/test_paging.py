"""Lists on pages come a page at a time: at most the page size, and a "next" link when there
are more (issue 9: nothing loads the whole population into a page). The page size is made
small here so that a handful of records spans several pages."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.requests import Request

from habeas.app import create_app
from habeas.db import unit_of_work
from habeas.holds import service as holds
from habeas.oversight import service as oversight
from habeas.oversight.schemas import InspectionIn
from habeas.web import paging
from tests.factories import with_demo
from tests.web.test_security import log_in

SIZE = 2


def _rows(html: str, testid: str) -> int:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return len(re.findall(r"<tr[ >]", table.split("<tbody>", 1)[1]))


def _next(html: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """client: the demo's agreement, facility and users, 5 court orders and 5 inspections."""
    monkeypatch.setattr(paging, "PAGE_SIZE", SIZE)
    with_demo(engine)
    day = date(2025, 4, 1)
    with unit_of_work(engine) as s:
        for n in range(5):
            holds.register(s, holds.parse_hold({
                "hold_ref": f"1:25-cv-{n:05d}", "court": "D.D.C.", "kind": "tro",
                "issued": (day + timedelta(days=n)).isoformat(), "expires": None,
                "scope": {"external_ref": f"US-2025-{n:06d}"}, "bars_removal_to": "any"}),
                actor="test", party=None, as_of=day + timedelta(days=n))
            oversight.record_inspection(s, InspectionIn(
                facility_code="CECOT", visited_on=day + timedelta(days=n), announced=False,
                areas=["kitchen"], inspectors=["Inés Duarte"], summary=f"visit {n}"),
                actor="user:monitor", today=day + timedelta(days=30))
    return TestClient(create_app(engine))


def _walk(client: TestClient, url: str, testid: str) -> list[int]:
    """_walk follows the next links from URL; the rows on each page."""
    counts: list[int] = []
    next_url: str | None = url
    while next_url is not None:
        page = client.get(next_url)
        assert page.status_code == 200
        counts.append(_rows(page.text, testid))
        next_url = _next(page.text)
        assert len(counts) < 10, "the next links never end"
    return counts


def test_court_orders_come_a_page_at_a_time(client: TestClient) -> None:
    assert log_in(client, "counsel").status_code == 303
    assert _walk(client, "/holds", "holds") == [SIZE, SIZE, 1]
    last = client.get("/holds?page=3").text
    assert 'rel="prev" href="/holds?page=2"' in last and _next(last) is None


def test_inspections_come_a_page_at_a_time(client: TestClient) -> None:
    assert log_in(client, "monitor").status_code == 303
    assert _walk(client, "/inspections", "inspections") == [SIZE, SIZE, 1]
    assert _next(client.get("/inspections").text) == "/inspections?page=2"


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/list", "headers": [],
                    "query_string": query.encode(), "root_path": "", "scheme": "http",
                    "server": ("testserver", 80)})


class TestPaginate:
    def test_asks_one_more_than_the_page_to_know_of_a_next(self) -> None:
        asked: list[tuple[int, int]] = []

        def fetch(limit: int, offset: int) -> list[int]:
            asked.append((limit, offset))
            return list(range(offset, min(offset + limit, 7)))

        page = paging.paginate(_request("kind=tro&page=2"), fetch, size=3)
        assert asked == [(4, 3)]
        assert page.items == [3, 4, 5] and page.has_next
        assert page.next_url == "/list?kind=tro&page=3"
        assert page.previous_url == "/list?kind=tro"
        last = paging.paginate(_request("kind=tro&page=3"), fetch, size=3)
        assert last.items == [6] and last.next_url is None

    def test_a_page_that_is_not_a_number_is_the_first(self) -> None:
        for query in ("page=x", "page=0", "page=-1", ""):
            assert paging.page_number(_request(query)) == 1

    def test_uses_the_page_size_of_the_module(self) -> None:
        page = paging.paginate(_request(""), lambda limit, offset: list(range(limit)))
        assert len(page.items) == paging.PAGE_SIZE and page.has_next
