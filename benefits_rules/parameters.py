"""National legal parameters as dated data.

Each legal quantity is one YAML file under `parameters/`; its name is the file's path with dots
(`LAW_53_2024/food_cap_days.yaml` is `LAW_53_2024.food_cap_days`). Values are keyed by the date
they take effect and each carries its citation id and `confirmed`, so that the engine can say
for every amount which law produced it and whether that law was actually read.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from benefits_rules.citations import citations
from benefits_rules.errors import ParameterNotInForce, RulesDataError
from benefits_rules.yamlio import load_yaml

PARAMETERS_DIR = Path(__file__).parent / "parameters"

ParamScalar = int | bool | date | None

#: unit -> the Python type its values must have (bool is checked apart: it is an int subclass)
UNITS: dict[str, type] = {
    "vnd": int,
    "days": int,
    "months": int,
    "years": int,
    "per_mille": int,
    "percent": int,
    "bool": bool,
    "date": date,
}

_FILE_KEYS = {"description", "unit", "values"}
_VALUE_KEYS = {"value", "cite", "confirmed", "note"}


@dataclass(frozen=True, slots=True)
class ParamValue:
    """One dated value of a parameter, as the trace shows it."""

    name: str
    value: ParamScalar
    since: date
    cite: str
    confirmed: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    """A legal quantity with its history of values."""

    name: str
    description: str
    unit: str
    dates: tuple[date, ...]
    values: tuple[ParamValue, ...]

    def at(self, day: date, rule: str) -> ParamValue:
        """The value in force on `day`; before the first value that is a gap in the encoded law.

        `rule` names the rule that asked, so the error tells a maintainer where the gap bites.
        """
        i = bisect.bisect_right(self.dates, day) - 1
        if i < 0:
            raise ParameterNotInForce(self.name, day, rule)
        return self.values[i]


class ParameterSet(Mapping[str, Parameter]):
    """Every national parameter, loaded once and checked strictly."""

    def __init__(self, parameters: dict[str, Parameter], version: str) -> None:
        self._parameters = parameters
        self.version = version

    def __getitem__(self, name: str) -> Parameter:
        return self._parameters[name]

    def __iter__(self) -> Any:
        return iter(self._parameters)

    def __len__(self) -> int:
        return len(self._parameters)

    def at(self, name: str, day: date, rule: str) -> ParamValue:
        """The value of parameter `name` on `day` (see `Parameter.at`)."""
        return self._parameters[name].at(day, rule)


def _check_value(source: str, key: str, unit: str, raw: Any) -> ParamScalar:
    if raw is None:
        return None
    expected = UNITS[unit]
    if expected is bool:
        ok = isinstance(raw, bool)
    elif expected is int:
        ok = isinstance(raw, int) and not isinstance(raw, bool)
    else:
        ok = isinstance(raw, date) and not isinstance(raw, datetime)
    if not ok:
        what = "a whole number of VND (never a float)" if unit == "vnd" else f"a {unit} value"
        raise RulesDataError(source, key, f"value must be {what}")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw < 0:
        raise RulesDataError(source, key, "value must not be negative")
    return raw  # type: ignore[no-any-return]


def parse_parameter(name: str, data: Any, source: str) -> Parameter:
    """Check one parameter file's content and build the `Parameter`.

    Every rejection names the file and the key, because these files are edited by hand by
    people encoding new law, and a wrong key must stop start-up, not pass silently.
    """
    if not isinstance(data, dict):
        raise RulesDataError(source, "-", "a parameter file must be a mapping")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise RulesDataError(source, sorted(map(str, unknown))[0], "unknown key")
    for required in ("description", "unit", "values"):
        if required not in data:
            raise RulesDataError(source, required, "missing")
    unit = data["unit"]
    if not isinstance(unit, str) or unit not in UNITS:
        raise RulesDataError(source, "unit", f"must be one of {', '.join(UNITS)}")
    values = data["values"]
    if not isinstance(values, dict) or not values:
        raise RulesDataError(source, "values", "must be a non-empty mapping of date to value")
    known_cites = citations()
    parsed: list[ParamValue] = []
    for since, entry in values.items():
        key = f"values.{since}"
        if not isinstance(since, date) or isinstance(since, datetime):
            raise RulesDataError(source, key, "the key must be an ISO date YYYY-MM-DD")
        if not isinstance(entry, dict):
            raise RulesDataError(source, key, "must be a mapping with value, cite, confirmed")
        extra = set(entry) - _VALUE_KEYS
        if extra:
            raise RulesDataError(source, f"{key}.{sorted(map(str, extra))[0]}", "unknown key")
        for required in ("value", "cite", "confirmed"):
            if required not in entry:
                raise RulesDataError(source, f"{key}.{required}", "missing")
        cite = entry["cite"]
        if not isinstance(cite, str) or cite not in known_cites:
            raise RulesDataError(source, f"{key}.cite", "must be a citation id of citations.yaml")
        if not isinstance(entry["confirmed"], bool):
            raise RulesDataError(source, f"{key}.confirmed", "must be true or false")
        note = entry.get("note")
        if note is not None and not isinstance(note, str):
            raise RulesDataError(source, f"{key}.note", "must be text")
        value = _check_value(source, f"{key}.value", unit, entry["value"])
        parsed.append(ParamValue(name, value, since, cite, entry["confirmed"], note))
    parsed.sort(key=lambda v: v.since)
    return Parameter(
        name=name,
        description=str(data["description"]),
        unit=unit,
        dates=tuple(v.since for v in parsed),
        values=tuple(parsed),
    )


def load_parameters(directory: Path = PARAMETERS_DIR) -> ParameterSet:
    """Load every `*.yaml` below `directory` as a parameter; the version hashes their bytes."""
    digest = hashlib.sha256()
    parameters: dict[str, Parameter] = {}
    for path in sorted(directory.rglob("*.yaml")):
        rel = path.relative_to(directory).with_suffix("")
        name = ".".join(rel.parts)
        raw = path.read_bytes()
        digest.update(name.encode() + b"\0" + raw)
        parameters[name] = parse_parameter(name, load_yaml(path), str(path))
    return ParameterSet(parameters, digest.hexdigest()[:16])


@cache
def national_parameters() -> ParameterSet:
    """The shipped parameters, loaded once per process."""
    return load_parameters()
