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
from benefits_rules.errors import RulesDataError
from benefits_rules.provinces import is_known as province_is_known
from benefits_rules.schedules import (
    RATE_KEYS,
    RateSchedule,
    empty_schedule,
    inline_schedule,
    shipped_schedules,
)

RatesArg = Mapping[str, Any] | None


def is_single_schedule(rates: Mapping[str, Any]) -> bool:
    """Whether `rates` is one schedule (rate keys) rather than schedules by province.

    A key that is neither a rate key nor a province slug, or a mix of both, is refused: a
    misspelt rate key must not silently turn a schedule into an empty set of provinces.
    """
    if all(key in RATE_KEYS for key in rates):
        return True
    for key in rates:
        if key not in RATE_KEYS and not (isinstance(key, str) and province_is_known(key)):
            raise RulesDataError("rates", str(key), "neither a rate key nor a province slug")
    for key in rates:
        if key in RATE_KEYS:
            raise RulesDataError("rates", str(key), "mixes rate keys and province slugs")
    return False


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
