"""Statistics with small-cell suppression: counts safe to publish, for a province and a year."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ActorDep
from api.errors import AUTH, INVALID
from api.params import ReceptionYear, ScopeProvince
from cases import statistics
from cases.stats_schemas import StatsRead

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=StatsRead, responses={**AUTH, **INVALID})
def read_stats(
    actor: ActorDep,
    year: ReceptionYear,
    province: ScopeProvince = None,
) -> StatsRead:
    """Persons by stage, regime, sex, age band, group of support and follow-up outcome, with
    money. No figure describes fewer than 11 persons: such cells are `null` and `suppressed`,
    counts are rounded down to a multiple of 5, and enough further cells are suppressed that
    none can be recovered from a total (the rule is stated in `rule`). Every read is audited."""
    return statistics.statistics(actor, province, year)
