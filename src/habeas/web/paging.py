"""Lists on pages come a page at a time (issue 9: nothing loads the whole population into a
page): limit/offset with one row more than the page, to know whether there is a next."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request

T = TypeVar("T")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    """Page is one page of a list: its items, its number (from 1), and the links to the pages
    either side, which keep the request's other query parameters."""

    items: Sequence[T]
    number: int
    size: int
    has_next: bool
    path: str
    query: tuple[tuple[str, str], ...]
    param: str = "page"

    def url(self, number: int) -> str:
        query = [(k, v) for k, v in self.query if k != self.param]
        if number > 1:
            query.append((self.param, str(number)))
        return self.path + ("?" + urlencode(query) if query else "")

    @property
    def first(self) -> int:
        """first is the position (from 1) of the page's first item in the whole list."""
        return (self.number - 1) * self.size + 1

    @property
    def previous_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.has_next else None


def page_number(request: Request, param: str = "page") -> int:
    """page_number is the request's page (from 1); anything else is page 1."""
    text = request.query_params.get(param, "")
    return int(text) if text.isdigit() and 0 < int(text) < 10**6 else 1


def paginate(request: Request, fetch: Callable[[int, int], Sequence[T]], *,
             param: str = "page", size: int | None = None, path: str | None = None) -> Page[T]:
    """paginate calls FETCH(limit, offset) for the request's page, asking one row more than
    SIZE to know whether a next page exists; its links go to PATH (default: the request's)."""
    size = size or PAGE_SIZE
    number = page_number(request, param)
    rows = fetch(size + 1, (number - 1) * size)
    return Page(list(rows[:size]), number, size, len(rows) > size, path or request.url.path,
                tuple(request.query_params.multi_items()), param)
