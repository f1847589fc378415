"""Shared generator of random, valid benchmark cases in the frame format.

One row per case, dotted column names. Dates are pandas ``datetime64[us]``
columns (the pandas 3 default resolution) with ``NaT`` for missing values,
optional integers are nullable ``Int64`` with ``pd.NA``, flags are ``bool``,
strings are ``object`` with ``None`` for missing values and ``refused`` is an
object column of Python lists of strings.

Everything is vectorised with numpy; the generator is deterministic for a
given ``(n, seed)``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "FRAME_COLUMNS",
    "generate_cases",
]

#: Every date except ``birth_date`` lies in this closed interval.
DATE_MIN = np.datetime64("2025-07-01", "D")
DATE_MAX = np.datetime64("2027-06-30", "D")

#: Longest stay generated, in days (the food cap is 120 days plus extensions).
MAX_STAY_DAYS = 200

FRAME_COLUMNS: tuple[str, ...] = (
    "case_id",
    "as_of",
    "status",
    "accompanies_status",
    "nationality",
    "location",
    "birth_date",
    "sex",
    "province",
    "home_province",
    "received_on",
    "identified_on",
    "stay.from",
    "stay.to",
    "extension_days",
    "insured",
    "needs_interpreter",
    "costs.health_check_vnd",
    "costs.treatment_vnd",
    "costs.interpretation_vnd",
    "travel.fare_vnd",
    "travel.journey_days",
    "travel.date",
    "returning_home",
    "continues_school",
    "poor_household",
    "vocational_course_cost_vnd",
    "application_date",
    "refused",
    "regime_override.regime",
    "regime_override.reason",
)

_DATE_DTYPE = "datetime64[us]"
_NAT = np.datetime64("NaT", "D")

DayArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]


def _uniform_days(rng: np.random.Generator, low: DayArray, high: DayArray) -> DayArray:
    """One uniformly drawn day in each closed interval ``[low, high]``."""
    span = (high - low).astype(np.int64)
    offsets: IntArray = rng.integers(0, span + 1)
    days: DayArray = low + offsets.astype("timedelta64[D]")
    return days


def _years_before(days: DayArray, years: IntArray) -> DayArray:
    """``days`` shifted back by whole calendar ``years`` (no 29 February input)."""
    months = days.astype("datetime64[M]")
    day_of_month = (days - months.astype("datetime64[D]")).astype(np.int64)
    month_index = months.astype(np.int64)  # months since 1970-01
    shifted = (month_index - 12 * years).astype("datetime64[M]")
    result: DayArray = shifted.astype("datetime64[D]") + day_of_month.astype("timedelta64[D]")
    return result


def _birth_dates(rng: np.random.Generator, as_of: DayArray, ages: IntArray) -> DayArray:
    """Birth dates making each person exactly ``ages`` full years old on ``as_of``.

    ``as_of`` never falls on 29 February (no leap day between 2025-07-01 and
    2027-06-30), so the calendar shifts are exact. Births on 29 February are
    moved to 28 February (or 1 March when that would leave the age window) so
    that the age does not depend on a leap-day convention.
    """
    latest = _years_before(as_of, ages)
    earliest = _years_before(as_of, ages + 1) + np.timedelta64(1, "D")
    birth = _uniform_days(rng, earliest, latest)
    months = birth.astype("datetime64[M]")
    day_of_month = (birth - months.astype("datetime64[D]")).astype(np.int64) + 1
    leap_day = (months.astype(np.int64) % 12 == 1) & (day_of_month == 29)
    if leap_day.any():
        feb_28 = birth - np.timedelta64(1, "D")
        mar_1 = birth + np.timedelta64(1, "D")
        birth = np.where(leap_day, np.where(feb_28 >= earliest, feb_28, mar_1), birth)
    return birth


def _optional_days(values: DayArray, present: BoolArray) -> DayArray:
    return np.where(present, values, _NAT)


def _date_series(values: DayArray) -> pd.Series:
    return pd.Series(values.astype(_DATE_DTYPE))


def _object_series(values: ObjArray) -> pd.Series:
    return pd.Series(values, dtype=object)


def _optional_int_series(values: IntArray, present: BoolArray) -> pd.Series:
    return pd.Series(pd.arrays.IntegerArray(values.astype(np.int64), ~present))


def _money(rng: np.random.Generator, n: int, low_vnd: int, high_vnd: int) -> IntArray:
    """Random amounts in ``[low_vnd, high_vnd]``, multiples of 1,000 VND."""
    return rng.integers(low_vnd // 1000, high_vnd // 1000 + 1, size=n) * 1000


def _pick(rng: np.random.Generator, n: int, values: list[object], p: list[float]) -> ObjArray:
    choices = np.empty(len(values), dtype=object)
    choices[:] = values
    return choices[rng.choice(len(values), size=n, p=p)]


def generate_cases(n: int, seed: int = 0) -> pd.DataFrame:
    """Return ``n`` random valid cases (one row each) in the frame format.

    Validity, for every row: all dates except ``birth_date`` lie between
    2025-07-01 and 2027-06-30; ``received_on <= identified_on <= as_of``;
    ``received_on <= stay.from <= stay.to <= as_of``; ``travel.date`` and
    ``application_date`` are ``<= as_of``; adults (victims and persons
    undergoing identification) are 18..60 and accompanying minors 0..17 full
    years old on ``as_of``. Stays last up to 200 days, so some exceed the
    120-day food cap.
    """
    if n < 0:
        msg = f"n must be >= 0, got {n}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)

    # --- status and identity -------------------------------------------------
    status_code = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    is_victim = status_code == 0
    is_minor = status_code == 2
    status = np.array(["victim", "undergoing_identification", "accompanying_minor"], dtype=object)[
        status_code
    ]
    minor_of_victim = is_minor & (rng.random(n) < 0.75)
    accompanies_status = np.full(n, None, dtype=object)
    accompanies_status[is_minor] = "undergoing_identification"
    accompanies_status[minor_of_victim] = "victim"
    nationality = _pick(rng, n, ["vietnamese", "stateless_resident", "foreign"], [0.85, 0.05, 0.10])
    location = _pick(rng, n, ["in_vietnam", "abroad"], [0.9, 0.1])
    sex = _pick(rng, n, ["female", "male"], [0.6, 0.4])
    province = np.full(n, "sample", dtype=object)
    home_province = _pick(rng, n, [None, "sample"], [0.8, 0.2])

    # --- timeline ------------------------------------------------------------
    # Built backwards from as_of: the stay ends on as_of (open stays) or a
    # little before it, lasts 1..200 days, and starts 0..30 days after intake.
    # Dates that would fall before DATE_MIN are clamped, which only shortens
    # the stay.
    lo = np.full(n, DATE_MIN)
    as_of = _uniform_days(rng, lo, np.full(n, DATE_MAX))
    has_stay = rng.random(n) < 0.8
    has_stay_to = has_stay & (rng.random(n) < 0.8)
    end_gap = np.where(has_stay_to, rng.integers(0, 61, size=n), 0)
    stay_days = rng.integers(1, MAX_STAY_DAYS + 1, size=n)
    intake_gap = rng.integers(0, 31, size=n)
    stay_to = as_of - end_gap.astype("timedelta64[D]")
    stay_from = stay_to - (stay_days - 1).astype("timedelta64[D]")
    received_on = np.maximum(stay_from - intake_gap.astype("timedelta64[D]"), lo)
    stay_from = np.maximum(stay_from, received_on)
    stay_to = np.maximum(stay_to, stay_from)
    has_identification = is_victim | minor_of_victim
    identified_on = _optional_days(_uniform_days(rng, received_on, as_of), has_identification)

    extension_days = np.where(rng.random(n) < 0.1, rng.integers(10, 61, size=n), 0)

    has_travel = rng.random(n) < 0.7
    travel_date = _optional_days(
        _uniform_days(rng, received_on, as_of), has_travel & (rng.random(n) < 0.1)
    )
    application_date = _optional_days(_uniform_days(rng, received_on, as_of), rng.random(n) < 0.1)

    # --- birth dates (ages on as_of) ------------------------------------------
    ages = np.where(is_minor, rng.integers(0, 18, size=n), rng.integers(18, 61, size=n))
    birth_date = _birth_dates(rng, as_of, ages)

    # --- refusals -------------------------------------------------------------
    refused_code = rng.choice(3, size=n, p=[0.9, 0.05, 0.05])
    # A fresh list per row, so that mutating one row never affects another.
    refused_lists: list[list[str]] = [[] for _ in range(n)]
    for row in np.flatnonzero(refused_code == 1).tolist():
        refused_lists[row].append("psychological")
    for row in np.flatnonzero(refused_code == 2).tolist():
        refused_lists[row].append("vocational.training")
    refused = pd.Series(refused_lists, dtype=object)

    columns: dict[str, pd.Series] = {
        "case_id": _object_series(np.array([f"C{i:06d}" for i in range(1, n + 1)], dtype=object)),
        "as_of": _date_series(as_of),
        "status": _object_series(status),
        "accompanies_status": _object_series(accompanies_status),
        "nationality": _object_series(nationality),
        "location": _object_series(location),
        "birth_date": _date_series(birth_date),
        "sex": _object_series(sex),
        "province": _object_series(province),
        "home_province": _object_series(home_province),
        "received_on": _date_series(received_on),
        "identified_on": _date_series(identified_on),
        "stay.from": _date_series(_optional_days(stay_from, has_stay)),
        "stay.to": _date_series(_optional_days(stay_to, has_stay_to)),
        "extension_days": pd.Series(extension_days.astype(np.int64)),
        "insured": pd.Series(rng.random(n) < 0.6),
        "needs_interpreter": pd.Series(rng.random(n) < 0.15),
        "costs.health_check_vnd": _optional_int_series(
            _money(rng, n, 200_000, 2_000_000), rng.random(n) < 0.5
        ),
        "costs.treatment_vnd": _optional_int_series(
            _money(rng, n, 500_000, 50_000_000), rng.random(n) < 0.5
        ),
        "costs.interpretation_vnd": _optional_int_series(
            _money(rng, n, 200_000, 5_000_000), rng.random(n) < 0.5
        ),
        "travel.fare_vnd": _optional_int_series(_money(rng, n, 50_000, 3_000_000), has_travel),
        "travel.journey_days": _optional_int_series(rng.integers(1, 8, size=n), has_travel),
        "travel.date": _date_series(travel_date),
        "returning_home": pd.Series(rng.random(n) < 0.6),
        "continues_school": pd.Series(rng.random(n) < np.where(is_minor, 0.7, 0.1)),
        "poor_household": pd.Series(rng.random(n) < 0.3),
        "vocational_course_cost_vnd": _optional_int_series(
            _money(rng, n, 1_000_000, 9_000_000), rng.random(n) < 0.4
        ),
        "application_date": _date_series(application_date),
        "refused": refused,
        "regime_override.regime": _object_series(np.full(n, None, dtype=object)),
        "regime_override.reason": _object_series(np.full(n, None, dtype=object)),
    }
    return pd.DataFrame(columns, columns=list(FRAME_COLUMNS))


def _summary(frame: pd.DataFrame) -> str:
    stay_end = frame["stay.to"].fillna(frame["as_of"])
    stay_days = (stay_end - frame["stay.from"]).dt.days + 1
    lines = [
        f"{len(frame)} cases, {frame.shape[1]} columns",
        "status: " + frame["status"].value_counts(normalize=True).round(3).to_dict().__repr__(),
        "nationality: "
        + frame["nationality"].value_counts(normalize=True).round(3).to_dict().__repr__(),
        f"as_of: {frame['as_of'].min().date()} .. {frame['as_of'].max().date()}",
        f"stays: {frame['stay.from'].notna().mean():.1%} present, "
        f"{frame['stay.to'].isna().sum() - frame['stay.from'].isna().sum()} open, "
        f"{(stay_days > 120).sum()} longer than 120 days, max {stay_days.max():.0f}",
        f"travel: {frame['travel.journey_days'].notna().mean():.1%} present",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    generate_cases(1000)  # warm-up
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        cases = generate_cases(100_000, seed=1)
        timings.append(time.perf_counter() - start)
    print(_summary(cases))
    print(f"generate_cases(100_000): median {sorted(timings)[2] * 1000:.1f} ms over 5 runs")
    print(cases.head(3).T.to_string())


def facts_of(row: Mapping[str, Any]) -> tuple[date, dict[str, Any]]:
    """One generated row back as (as_of, nested facts) for the scalar engine: the inverse of
    the frame format, so `compute` and `compute_frame` can be given the same case."""
    facts: dict[str, Any] = {}
    for name, value in row.items():
        if name in ("case_id", "as_of") or value is None or value is pd.NaT or value is pd.NA:
            continue
        if isinstance(value, float) and np.isnan(value):
            continue
        if isinstance(value, pd.Timestamp):
            value = value.date()
        elif isinstance(value, np.generic):
            value = value.item()
        head, _, tail = name.partition(".")
        if tail:
            facts.setdefault(head, {})[tail] = value
        else:
            facts[name] = value
    return row["as_of"].date(), facts
