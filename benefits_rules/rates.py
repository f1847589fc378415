"""Which rate schedule a case uses: the shipped one, or one the caller supplies.

`compute(..., rates=...)` takes either one schedule in the golden-file form (rate key to dated
values), which replaces the schedules of the case's `province` and `home_province`, or a
mapping of province slug to schedule, which replaces the shipped schedule of those provinces
only. Rates entered through the API arrive the second way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benefits_rules.catalogue import Regime
from benefits_rules.schedules import (
    RATE_KEYS,
    RateSchedule,
    empty_schedule,
    inline_schedule,
    shipped_schedules,
)

RatesArg = Mapping[str, Any] | None


def is_single_schedule(rates: Mapping[str, Any]) -> bool:
    """Whether `rates` is one schedule (rate keys) rather than schedules by province."""
    return all(key in RATE_KEYS for key in rates)


def schedule_for(province: str, regime: Regime, rates: RatesArg) -> RateSchedule:
    """The schedule the rules read for `province` in a case of `regime`."""
    if rates is not None:
        if is_single_schedule(rates):
            return inline_schedule(rates, province, regime)
        supplied = rates.get(province)
        if isinstance(supplied, RateSchedule):
            return supplied
        if supplied is not None:
            return inline_schedule(supplied, province, regime, source=f"rates.{province}")
    shipped = shipped_schedules()
    return shipped[province] if province in shipped else empty_schedule(province)
