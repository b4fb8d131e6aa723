"""Path and query parameters shared by the API's routes.

Numbers are bounded to what the databases hold (PostgreSQL `bigint`, SQLite
`INTEGER`: signed 64-bit), so an id too large to store is a 422 naming the
parameter rather than a driver overflow (found by tests/api/test_fuzz.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_BIGINT = 2**63 - 1
# Days a query may name: wide enough for any record, narrow enough that date arithmetic
# (a term, a window of days back) cannot leave the calendar (`on=0001-01-01` was a 500).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)

Seq = Annotated[int, Path(ge=0, le=MAX_BIGINT, description="a ledger sequence number")]
Offset = Annotated[int, Query(ge=0, le=MAX_BIGINT, description="rows to skip")]

Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]
