"""The sweep: every national parameter and every shipped rate, resolved on the first day of
every month from 2020-01 to 2027-12.

A resolved value must carry a citation and, when it is money, be an int (never a bool or a
float). A parameter asked for before its first value must raise `ParameterNotInForce`; the
sweep counts those and checks that the gaps are exactly where the encoded law says they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from benefits_rules.citations import citations
from benefits_rules.errors import ParameterNotInForce
from benefits_rules.parameters import UNITS, Parameter, ParamValue, national_parameters
from benefits_rules.schedules import RATE_KEYS, REGIMES, RateValue, shipped_schedules

MONTHS: tuple[date, ...] = tuple(
    date(year, month, 1) for year in range(2020, 2028) for month in range(1, 13)
)
RULE = "test_sweep"
NEW_LAW = date(2025, 7, 1)

#: parameter name prefix -> first month from which every parameter under it must resolve
MUST_RESOLVE_FROM: dict[str, date] = {
    "LAW_53_2024.": NEW_LAW,
    "health_insurance.": NEW_LAW,
    "LAW_66_2011.": date(2020, 1, 1),
    "regime.cutover_date": date(2020, 1, 1),
}


@dataclass
class ParameterSweep:
    """What the sweep of one parameter found."""

    resolved: dict[date, ParamValue] = field(default_factory=dict)
    not_in_force: list[date] = field(default_factory=list)


def _sweep_parameter(name: str) -> ParameterSweep:
    params = national_parameters()
    found = ParameterSweep()
    errors: list[tuple[date, ParameterNotInForce]] = []
    for day in MONTHS:
        try:
            found.resolved[day] = params.at(name, day, RULE)
        except ParameterNotInForce as exc:
            errors.append((day, exc))
    for day, error in errors:
        assert (error.parameter, error.on, error.rule) == (name, day, RULE)
        assert name in str(error)
        assert day.isoformat() in str(error)
        assert RULE in str(error)
        found.not_in_force.append(day)
    return found


def _is_money_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not isinstance(value, float)


def _check_value_type(param: Parameter, value: ParamValue) -> None:
    where = f"{param.name} on {value.since}"
    if value.value is None:
        return
    if param.unit == "vnd":
        assert _is_money_int(value.value), f"{where}: money must be an int, got {value.value!r}"
        assert type(value.value) is int, where
    elif param.unit == "bool":
        assert type(value.value) is bool, where
    elif param.unit == "date":
        assert type(value.value) is date, where
    else:
        assert UNITS[param.unit] is int
        assert type(value.value) is int, where


PARAMETER_NAMES = sorted(national_parameters())


def test_the_sweep_covers_96_months() -> None:
    assert len(MONTHS) == 96
    assert MONTHS[0] == date(2020, 1, 1)
    assert MONTHS[-1] == date(2027, 12, 1)


@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_parameter_resolves_with_citation_on_every_month(name: str) -> None:
    param = national_parameters()[name]
    known = citations()
    found = _sweep_parameter(name)
    assert len(found.resolved) + len(found.not_in_force) == len(MONTHS)
    # the gaps are exactly the months before the first value: once in force, always in force
    assert found.not_in_force == [day for day in MONTHS if day < param.dates[0]]
    for day, value in found.resolved.items():
        assert value.name == name
        assert value.since <= day
        assert not any(value.since < since <= day for since in param.dates), (
            f"{name} on {day}: {value.since} is not the latest value in force"
        )
        assert value.cite in known, f"{name} on {day}: unknown citation {value.cite}"
        assert isinstance(value.confirmed, bool)
        _check_value_type(param, value)


@pytest.mark.parametrize(("prefix", "since"), sorted(MUST_RESOLVE_FROM.items()))
def test_parameters_resolve_from_their_regime_on(prefix: str, since: date) -> None:
    names = [name for name in PARAMETER_NAMES if name.startswith(prefix)]
    assert names, f"no shipped parameter under {prefix}"
    for name in names:
        gaps = [day for day in _sweep_parameter(name).not_in_force if day >= since]
        assert not gaps, f"{name} is not in force on {gaps[0]}"


def test_not_in_force_count_matches_the_first_dates() -> None:
    params = national_parameters()
    total = resolved = 0
    for name in PARAMETER_NAMES:
        found = _sweep_parameter(name)
        total += len(found.not_in_force)
        resolved += len(found.resolved)
    expected = sum(1 for name in PARAMETER_NAMES for day in MONTHS if day < params[name].dates[0])
    assert total == expected
    assert total + resolved == len(PARAMETER_NAMES) * len(MONTHS)
    # the new law's parameters cannot resolve before it took effect: the sweep must see gaps
    assert total > 0
    assert _sweep_parameter("LAW_53_2024.food_cap_days").not_in_force[-1] == date(2025, 6, 1)


def test_cutover_date_resolves_on_every_month() -> None:
    found = _sweep_parameter("regime.cutover_date")
    assert not found.not_in_force
    assert {value.value for value in found.resolved.values()} == {NEW_LAW}


# --- rates --------------------------------------------------------------------------------

SHIPPED_RATES = sorted(
    (province, key) for province, schedule in shipped_schedules().items() for key in schedule.series
)


def test_every_shipped_schedule_has_rates() -> None:
    assert {province for province, _ in SHIPPED_RATES} == set(shipped_schedules())


@pytest.mark.parametrize(("province", "key"), SHIPPED_RATES)
def test_rate_resolves_with_citation_on_every_month(province: str, key: str) -> None:
    assert key in RATE_KEYS
    schedule = shipped_schedules()[province]
    series = schedule.series[key]
    resolved: dict[date, RateValue] = {}
    for day in MONTHS:
        value = schedule.at(key, day)
        if value is None:
            continue
        resolved[day] = value
        where = f"{province} {key} on {day}"
        assert value.province == province, where
        assert value.key == key, where
        assert value.cite == f"rate:{province}:{key}", where
        assert isinstance(value.citation, str), where
        assert value.citation.strip(), f"{where}: empty citation"
        assert isinstance(value.confirmed, bool), where
        assert value.under in REGIMES, where
        assert value.since <= day, where
        assert not any(value.since < since <= day for since in series.dates), where
        if key.endswith("_vnd"):
            assert _is_money_int(value.value), f"{where}: money must be an int"
            assert type(value.value) is int, where
        else:
            assert type(value.value) is int, where
        assert value.value is not None
        assert value.value >= 0, where
    assert resolved, f"{province} {key} is never in force between 2020 and 2027"
