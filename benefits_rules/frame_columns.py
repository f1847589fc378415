"""Reading a facts frame's columns into typed numpy arrays for the bulk engine.

Each reader returns the values, a `present` mask and a `bad` mask. A bad value (wrong type,
unknown enum value) is never interpreted here: its row is handed to the scalar engine, which
reports the exact field and rule. So these readers only have to be right about the good rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_EPOCH = date(1970, 1, 1).toordinal()
_TICKS_PER_DAY = {
    "D": 1,
    "h": 24,
    "m": 1440,
    "s": 86_400,
    "ms": 86_400_000,
    "us": 86_400_000_000,
    "ns": 86_400_000_000_000,
}


@dataclass(slots=True)
class Column:
    """One fact column: values (days for dates, codes for enums), present and bad masks."""

    values: IntArray
    present: BoolArray
    bad: BoolArray


def _missing(n: int) -> Column:
    return Column(np.zeros(n, np.int64), np.zeros(n, np.bool_), np.zeros(n, np.bool_))


def _is_na(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and value != value


def read_dates(series: pd.Series[Any] | None, n: int) -> Column:
    """Dates as days since 1970-01-01. A time of day other than midnight is bad."""
    if series is None:
        return _missing(n)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        raw = series.to_numpy()
        unit, count = np.datetime_data(raw.dtype)
        per_day = _TICKS_PER_DAY.get(unit)
        ticks = raw.view(np.int64)
        present = ticks != np.iinfo(np.int64).min  # NaT
        if per_day is None:  # an unusual unit: let numpy convert
            days = raw.astype("datetime64[D]")
            bad = present & (raw != days.astype(raw.dtype))
            return Column(np.where(present, days.astype(np.int64), 0), present, bad)
        per_day //= count
        days, rest = np.divmod(ticks, per_day)
        return Column(np.where(present, days, 0), present, present & (rest != 0))
    values = np.zeros(n, np.int64)
    present = np.zeros(n, np.bool_)
    bad = np.zeros(n, np.bool_)
    for i, value in enumerate(series.to_numpy(dtype=object)):
        if _is_na(value):
            continue
        if isinstance(value, pd.Timestamp):
            if value.tzinfo is not None or value != value.normalize():
                bad[i] = True
                continue
            value = value.date()
        elif isinstance(value, np.datetime64):
            bad[i] = True
            continue
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                value = date.fromisoformat(value)
            except ValueError:
                bad[i] = True
                continue
        if isinstance(value, date) and not isinstance(value, datetime):
            values[i] = value.toordinal() - _EPOCH
            present[i] = True
        else:
            bad[i] = True
    return Column(values, present, bad)


def read_enum(series: pd.Series[Any] | None, n: int, allowed: Sequence[str]) -> Column:
    """Text values as codes into `allowed`; anything else is bad."""
    if series is None:
        return _missing(n)
    lookup = {name: i for i, name in enumerate(allowed)}
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        uniques = list(series.cat.categories)
    else:
        codes, uniques_index = pd.factorize(series, use_na_sentinel=True)
        uniques = list(uniques_index)
    mapping = np.array(
        [lookup.get(u, -2) if isinstance(u, str) else -2 for u in uniques] + [-1], np.int64
    )
    mapped = mapping[codes]  # code -1 (missing) picks the trailing -1
    present = mapped >= 0
    bad = mapped == -2
    return Column(np.where(present, mapped, 0), present, bad)


def read_flags(series: pd.Series[Any] | None, n: int) -> Column:
    """True/false facts; anything but a boolean is bad."""
    if series is None:
        return _missing(n)
    dtype = series.dtype
    if dtype == np.bool_:
        return Column(
            series.to_numpy().astype(np.int64), np.ones(n, np.bool_), np.zeros(n, np.bool_)
        )
    if isinstance(dtype, pd.BooleanDtype):
        present = ~series.isna().to_numpy()
        values = series.fillna(False).to_numpy(dtype=np.bool_).astype(np.int64)
        return Column(values, present, np.zeros(n, np.bool_))
    values = np.zeros(n, np.int64)
    present = np.zeros(n, np.bool_)
    bad = np.zeros(n, np.bool_)
    for i, value in enumerate(series.to_numpy(dtype=object)):
        if _is_na(value):
            continue
        if isinstance(value, bool | np.bool_):
            values[i] = int(value)
            present[i] = True
        else:
            bad[i] = True
    return Column(values, present, bad)


def read_ints(series: pd.Series[Any] | None, n: int) -> Column:
    """Whole numbers (VND, days). A float column's integral values count: pandas stores an
    integer column with gaps as floats. A fraction, a string or a boolean is bad."""
    if series is None:
        return _missing(n)
    dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(
        dtype, pd.api.extensions.ExtensionDtype
    ):
        return Column(
            series.to_numpy().astype(np.int64), np.ones(n, np.bool_), np.zeros(n, np.bool_)
        )
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(dtype):
        present = ~series.isna().to_numpy()
        values = series.to_numpy(dtype=np.int64, na_value=0)
        return Column(values, present, np.zeros(n, np.bool_))
    if pd.api.types.is_float_dtype(dtype):
        raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(raw)
        whole = np.where(present, raw, 0.0)
        bad = present & ((np.floor(whole) != whole) | (np.abs(whole) > 2**62))
        return Column(np.where(bad, 0, whole).astype(np.int64), present & ~bad, bad)
    values = np.zeros(n, np.int64)
    present = np.zeros(n, np.bool_)
    bad = np.zeros(n, np.bool_)
    for i, value in enumerate(series.to_numpy(dtype=object)):
        if _is_na(value):
            continue
        if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
            values[i] = int(value)
            present[i] = True
        else:
            bad[i] = True
    return Column(values, present, bad)


def read_present(series: pd.Series[Any] | None, n: int) -> BoolArray:
    """Which rows hold any value at all in a column (for columns the engine does not know)."""
    if series is None:
        return np.zeros(n, np.bool_)
    return ~series.isna().to_numpy(dtype=np.bool_)


def read_refused(
    series: pd.Series[Any] | None, n: int, keys: Sequence[str]
) -> tuple[IntArray, BoolArray]:
    """`refused` as a bit set over `keys` per row; anything but a list of known keys is bad."""
    bits = np.zeros(n, np.int64)
    bad = np.zeros(n, np.bool_)
    if series is None:
        return bits, bad
    index = {key: 1 << i for i, key in enumerate(keys)}
    values = series.to_numpy(dtype=object)
    # an empty list and None are falsy: only the other rows need a look (NaN is truthy)
    seen: dict[tuple[Any, ...], int] = {}
    for i in np.flatnonzero(values.astype(np.bool_)).tolist():
        value = values[i]
        if not isinstance(value, list | tuple):
            bad[i] = not _is_na(value)
            continue
        try:
            key_tuple = tuple(value)
            mask = seen.get(key_tuple)
        except TypeError:  # an unhashable element: certainly not an item key
            bad[i] = True
            continue
        if mask is None:
            mask = 0
            for key in key_tuple:
                bit = index.get(key) if isinstance(key, str) else None
                if bit is None:
                    mask = -1
                    break
                mask |= bit
            seen[key_tuple] = mask
        if mask < 0:
            bad[i] = True
        else:
            bits[i] = mask
    return bits, bad
