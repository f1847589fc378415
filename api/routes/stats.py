"""Statistics with small-cell suppression: counts safe to publish, for a province and a year."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep
from api.errors import AUTH, INVALID
from cases import statistics
from cases.stats_schemas import StatsRead

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=StatsRead, responses={**AUTH, **INVALID})
def read_stats(
    actor: ActorDep,
    year: Annotated[int, Query(description="year of reception (received_on)")],
    province: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="a province slug; omitted: your province, or every province for a "
            "national account",
        ),
    ] = None,
) -> StatsRead:
    """Persons by stage, regime, sex, age band, group of support and follow-up outcome, with
    money. No figure describes fewer than 11 persons: such cells are `null` and `suppressed`,
    counts are rounded down to a multiple of 5, and enough further cells are suppressed that
    none can be recovered from a total (the rule is stated in `rule`). Every read is audited."""
    return statistics.statistics(actor, province, year)
