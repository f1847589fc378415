"""Provincial rate schedules (law brief §5).

Amounts the law leaves to the Ministry of Finance or to a provincial People's Council live
here, one YAML file per province, never in code. Each rate has dated values; each value has a
citation, `confirmed`, and `under`, the regime whose decree the resolution implements, because
a 2020 resolution used for a 2025-law case is a question for a lawyer, not a fact.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from benefits_rules.errors import RulesDataError
from benefits_rules.provinces import is_known as province_is_known
from benefits_rules.yamlio import load_yaml

RATES_DIR = Path(__file__).parent / "rates"

#: rate key -> unit; every rate is money except the cap on travel-food days
RATE_KEYS: dict[str, str] = {
    "food_per_day_vnd": "vnd",
    "personal_items_vnd": "vnd",
    "medicines_flat_vnd": "vnd",
    "travel_food_per_day_vnd": "vnd",
    "travel_food_max_days": "days",
    "school_supplies_per_year_vnd": "vnd",
    "vocational_training_cap_vnd": "vnd",
    "initial_hardship_allowance_vnd": "vnd",
}
REGIMES = ("LAW_53_2024", "LAW_66_2011")
CASE_SUPPLIED = "case-supplied rate"

_FILE_KEYS = {"province", "sample", "sources", "rates"}
_SOURCE_KEYS = {"document", "article", "date", "url"}
_VALUE_KEYS = {"from", "value", "source", "confirmed", "under"}
_INLINE_KEYS = {"from", "value", "confirmed", "under", "citation"}


@dataclass(frozen=True, slots=True)
class RateValue:
    """One dated value of one provincial rate; `value` None means the rate ended."""

    province: str
    key: str
    value: int | None
    since: date
    confirmed: bool
    under: str
    citation: str

    @property
    def cite(self) -> str:
        """The citation id items carry for this rate."""
        return f"rate:{self.province}:{self.key}"


@dataclass(frozen=True, slots=True)
class RateSeries:
    """The history of one rate, sorted by date, for fast lookup by day."""

    dates: tuple[date, ...]
    values: tuple[RateValue, ...]

    def at(self, day: date) -> RateValue | None:
        """The value in force on `day`, or None when there is none (not yet, or ended)."""
        i = bisect.bisect_right(self.dates, day) - 1
        if i < 0:
            return None
        found = self.values[i]
        return None if found.value is None else found


@dataclass(frozen=True, slots=True)
class RateSchedule:
    """A province's rates. `sample` schedules are demo data with no legal value."""

    province: str
    sample: bool
    series: Mapping[str, RateSeries]

    def at(self, key: str, day: date) -> RateValue | None:
        """The rate `key` in force on `day`, or None (a missing rate is not an error)."""
        found = self.series.get(key)
        return None if found is None else found.at(day)

    def with_value(
        self,
        key: str,
        since: date,
        value: int | None,
        *,
        citation: str,
        confirmed: bool,
        under: str,
    ) -> RateSchedule:
        """A new schedule with one more dated value: rates are appended, never edited.

        A value from a day that already has one is refused, so that history cannot be
        rewritten by entering the same date twice.
        """
        if key not in RATE_KEYS:
            raise RulesDataError("rate", key, "unknown rate key")
        if under not in REGIMES:
            raise RulesDataError("rate", f"{key}.under", f"must be one of {', '.join(REGIMES)}")
        if not citation.strip():
            raise RulesDataError("rate", f"{key}.citation", "missing")
        checked = _rate_value("rate", f"{key}.value", RATE_KEYS[key], value)
        current = self.series.get(key)
        values = list(current.values) if current is not None else []
        if any(v.since == since for v in values):
            raise RulesDataError("rate", f"{key}.from", "a value from that day already exists")
        values.append(RateValue(self.province, key, checked, since, confirmed, under, citation))
        series = dict(self.series)
        series[key] = _series(values)
        return RateSchedule(self.province, self.sample, series)


def _is_date(raw: Any) -> bool:
    return isinstance(raw, date) and not isinstance(raw, datetime)


def _rate_value(source: str, key: str, unit: str, raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        what = "a whole number of VND (never a float)" if unit == "vnd" else "a whole number"
        raise RulesDataError(source, key, f"value must be {what}")
    if raw < 0:
        raise RulesDataError(source, key, "value must not be negative")
    return raw


def _series(values: Iterable[RateValue]) -> RateSeries:
    ordered = sorted(values, key=lambda v: v.since)
    return RateSeries(tuple(v.since for v in ordered), tuple(ordered))


def _source_text(source: str, key: str, entry: Any) -> str:
    if not isinstance(entry, dict):
        raise RulesDataError(source, key, "a source must be a mapping")
    extra = set(entry) - _SOURCE_KEYS
    if extra:
        raise RulesDataError(source, f"{key}.{sorted(map(str, extra))[0]}", "unknown key")
    document = entry.get("document")
    if not isinstance(document, str) or not document.strip():
        raise RulesDataError(source, f"{key}.document", "missing")
    parts = [document]
    if entry.get("article"):
        parts.append(str(entry["article"]))
    if entry.get("date") is not None:
        if not _is_date(entry["date"]):
            raise RulesDataError(source, f"{key}.date", "must be an ISO date YYYY-MM-DD")
        parts.append(f"ngày {entry['date'].strftime('%d/%m/%Y')}")
    if entry.get("url"):
        parts.append(str(entry["url"]))
    return ", ".join(parts)


def parse_schedule(data: Any, source: str, expected_province: str | None = None) -> RateSchedule:
    """Check a schedule file's content strictly and build the `RateSchedule`."""
    if not isinstance(data, dict):
        raise RulesDataError(source, "-", "a schedule must be a mapping")
    extra = set(data) - _FILE_KEYS
    if extra:
        raise RulesDataError(source, sorted(map(str, extra))[0], "unknown key")
    province = data.get("province")
    if not isinstance(province, str) or not province_is_known(province):
        raise RulesDataError(source, "province", "must be a province slug of the registry")
    if expected_province is not None and province != expected_province:
        raise RulesDataError(source, "province", f"must match the file name ({expected_province})")
    sample = data.get("sample", False)
    if not isinstance(sample, bool):
        raise RulesDataError(source, "sample", "must be true or false")
    sources_raw = data.get("sources") or {}
    if not isinstance(sources_raw, dict):
        raise RulesDataError(source, "sources", "must be a mapping of source id to citation")
    sources = {
        str(sid): _source_text(source, f"sources.{sid}", entry)
        for sid, entry in sources_raw.items()
    }
    rates_raw = data.get("rates")
    if not isinstance(rates_raw, dict):
        raise RulesDataError(source, "rates", "must be a mapping of rate key to dated values")
    series: dict[str, RateSeries] = {}
    for rate_key, values in rates_raw.items():
        where = f"rates.{rate_key}"
        if rate_key not in RATE_KEYS:
            raise RulesDataError(source, where, "unknown rate key")
        if not isinstance(values, list) or not values:
            raise RulesDataError(source, where, "must be a non-empty list of dated values")
        parsed: list[RateValue] = []
        seen: set[date] = set()
        for i, entry in enumerate(values):
            at = f"{where}.{i}"
            if not isinstance(entry, dict):
                raise RulesDataError(source, at, "must be a mapping")
            extra = set(entry) - _VALUE_KEYS
            if extra:
                raise RulesDataError(source, f"{at}.{sorted(map(str, extra))[0]}", "unknown key")
            for required in ("from", "value", "source", "confirmed", "under"):
                if required not in entry:
                    raise RulesDataError(source, f"{at}.{required}", "missing")
            since = entry["from"]
            if not _is_date(since):
                raise RulesDataError(source, f"{at}.from", "must be an ISO date YYYY-MM-DD")
            if since in seen:
                raise RulesDataError(source, f"{at}.from", "two values from the same day")
            seen.add(since)
            if not isinstance(entry["source"], str) or entry["source"] not in sources:
                raise RulesDataError(source, f"{at}.source", "must name an entry of sources")
            if not isinstance(entry["confirmed"], bool):
                raise RulesDataError(source, f"{at}.confirmed", "must be true or false")
            if entry["under"] not in REGIMES:
                raise RulesDataError(source, f"{at}.under", f"must be one of {', '.join(REGIMES)}")
            value = _rate_value(source, f"{at}.value", RATE_KEYS[rate_key], entry["value"])
            parsed.append(
                RateValue(
                    province,
                    rate_key,
                    value,
                    since,
                    entry["confirmed"],
                    entry["under"],
                    sources[entry["source"]],
                )
            )
        series[rate_key] = _series(parsed)
    return RateSchedule(province, sample, series)


def inline_schedule(rates: Any, province: str, regime: str, source: str = "rates") -> RateSchedule:
    """A schedule given with one case (golden files, `compute(..., rates=...)`).

    Such values are confirmed and `under` the case's own regime unless they say otherwise,
    and cite "case-supplied rate" unless they give a citation (law brief §5).
    """
    if rates is None:
        rates = {}
    if not isinstance(rates, Mapping):
        raise RulesDataError(source, "-", "rates must be a mapping of rate key to dated values")
    series: dict[str, RateSeries] = {}
    for rate_key, values in rates.items():
        where = f"{source}.{rate_key}"
        if rate_key not in RATE_KEYS:
            raise RulesDataError(source, str(rate_key), "unknown rate key")
        if not isinstance(values, list):
            raise RulesDataError(source, str(rate_key), "must be a list of dated values")
        parsed: list[RateValue] = []
        days: set[date] = set()
        for i, entry in enumerate(values):
            at = f"{where}.{i}"
            if not isinstance(entry, Mapping):
                raise RulesDataError(source, at, "must be a mapping")
            extra = set(entry) - _INLINE_KEYS
            if extra:
                raise RulesDataError(source, f"{at}.{sorted(map(str, extra))[0]}", "unknown key")
            since = entry.get("from")
            if isinstance(since, str):
                try:
                    since = date.fromisoformat(since) if len(since) == 10 else None
                except ValueError:
                    since = None
            if not isinstance(since, date) or isinstance(since, datetime):
                raise RulesDataError(source, f"{at}.from", "must be an ISO date YYYY-MM-DD")
            if since in days:
                raise RulesDataError(source, f"{at}.from", "two values from the same day")
            days.add(since)
            if "value" not in entry:
                raise RulesDataError(source, f"{at}.value", "missing")
            value = _rate_value(source, f"{at}.value", RATE_KEYS[rate_key], entry["value"])
            confirmed = entry.get("confirmed", True)
            if not isinstance(confirmed, bool):
                raise RulesDataError(source, f"{at}.confirmed", "must be true or false")
            under = entry.get("under", regime)
            if under not in REGIMES:
                raise RulesDataError(source, f"{at}.under", f"must be one of {', '.join(REGIMES)}")
            citation = entry.get("citation", CASE_SUPPLIED)
            if not isinstance(citation, str) or not citation.strip():
                raise RulesDataError(source, f"{at}.citation", "must be text")
            parsed.append(
                RateValue(province, str(rate_key), value, since, confirmed, under, citation)
            )
        series[str(rate_key)] = _series(parsed)
    return RateSchedule(province, False, series)


class ScheduleSet(Mapping[str, RateSchedule]):
    """Schedules by province slug, with a version that hashes their content."""

    def __init__(self, schedules: dict[str, RateSchedule], version: str) -> None:
        self._schedules = schedules
        self.version = version

    def __getitem__(self, province: str) -> RateSchedule:
        return self._schedules[province]

    def __iter__(self) -> Any:
        return iter(self._schedules)

    def __len__(self) -> int:
        return len(self._schedules)


def load_schedules(directory: Path = RATES_DIR) -> ScheduleSet:
    """Load every `<province>.yaml` in `directory` strictly."""
    digest = hashlib.sha256()
    schedules: dict[str, RateSchedule] = {}
    for path in sorted(directory.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        schedules[path.stem] = parse_schedule(load_yaml(path), str(path), path.stem)
    return ScheduleSet(schedules, digest.hexdigest()[:16])


@cache
def shipped_schedules() -> ScheduleSet:
    """The schedules shipped with the engine, loaded once per process."""
    return load_schedules()


def empty_schedule(province: str) -> RateSchedule:
    """The schedule of a province that has entered no rates: every rate is missing."""
    return RateSchedule(province, False, {})
