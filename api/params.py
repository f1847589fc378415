"""Query parameters several routes share, declared once so their rules and docs agree."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

#: the year whose receptions a statistic or an export covers
ReceptionYear = Annotated[int, Query(description="year of reception (received_on)")]
#: the province a statistic or an export covers
ScopeProvince = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="a province slug; omitted: your province, or every province for a "
        "national account",
    ),
]
