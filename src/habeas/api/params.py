"""Path and query parameters shared by the API's routes.

Numbers are bounded to what the databases hold (PostgreSQL `bigint`, SQLite
`INTEGER`: signed 64-bit), so an id too large to store is a 422 naming the
parameter rather than a driver overflow (found by tests/api/test_fuzz.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_BIGINT = 2**63 - 1

Seq = Annotated[int, Path(ge=0, le=MAX_BIGINT, description="a ledger sequence number")]
Offset = Annotated[int, Query(ge=0, le=MAX_BIGINT, description="rows to skip")]
