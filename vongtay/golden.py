"""Golden benefit cases: facts in, expected items out (`shared/golden/README.md`).

`vongtay golden` and the test suite both check files through here, so a case means the same
thing to a caseworker running the command and to CI.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from benefits_rules import Calculation, FactsError, RulesError, compute
from benefits_rules.yamlio import load_yaml

_TOP_KEYS = {"name", "as_of", "facts", "rates", "expected"}
_EXPECTED_KEYS = {"regime", "total_vnd", "needs_legal_check", "items", "error"}
_ITEM_KEYS = {"status", "amount_vnd", "quantity", "cites"}


class MalformedGoldenError(Exception):
    """A golden file that does not follow the format; names the key at fault."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(f"{key}: {problem}")


@dataclass(frozen=True, slots=True)
class GoldenCase:
    """One worked case read from a file."""

    path: Path
    name: str
    as_of: date
    facts: Mapping[str, Any]
    rates: Mapping[str, Any] | None
    expected: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class GoldenResult:
    """The outcome of checking one file: PASS, or FAIL with what differs."""

    path: Path
    name: str
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """The one line `vongtay golden` prints for this case."""
        if self.passed:
            return f"PASS {self.path}: {self.name}"
        return f"FAIL {self.path}: {self.name}: " + "; ".join(self.problems)


def parse_date(key: str, raw: Any) -> date:
    """A YAML date or an ISO string; anything else is malformed."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise MalformedGoldenError(key, "must be an ISO date YYYY-MM-DD")


def read_case(path: Path, need_expected: bool = True) -> GoldenCase:
    """Read and check the shape of one golden file (not its expectations' correctness)."""
    try:
        data = load_yaml(path)
    except RulesError as exc:
        raise MalformedGoldenError("-", str(exc)) from None
    if not isinstance(data, dict):
        raise MalformedGoldenError("-", "the file must be a mapping")
    extra = set(data) - _TOP_KEYS
    if extra:
        raise MalformedGoldenError(sorted(map(str, extra))[0], "unknown key")
    for key in ("name", "as_of", "facts") + (("expected",) if need_expected else ()):
        if key not in data:
            raise MalformedGoldenError(key, "missing")
    if not isinstance(data["name"], str):
        raise MalformedGoldenError("name", "must be text")
    if not isinstance(data["facts"], dict):
        raise MalformedGoldenError("facts", "must be a mapping")
    rates = data.get("rates")
    if rates is not None and not isinstance(rates, dict):
        raise MalformedGoldenError("rates", "must be a mapping of rate key to dated values")
    expected = data.get("expected")
    if expected is not None:
        _check_expected_shape(expected)
    return GoldenCase(
        path, data["name"], parse_date("as_of", data["as_of"]), data["facts"], rates, expected
    )


def _check_expected_shape(expected: Any) -> None:
    if not isinstance(expected, dict):
        raise MalformedGoldenError("expected", "must be a mapping")
    extra = set(expected) - _EXPECTED_KEYS
    if extra:
        raise MalformedGoldenError(f"expected.{sorted(map(str, extra))[0]}", "unknown key")
    if "error" in expected:
        error = expected["error"]
        if not isinstance(error, dict) or set(error) != {"field", "rule"}:
            raise MalformedGoldenError("expected.error", "must have exactly field and rule")
        return
    for key in ("regime", "total_vnd", "needs_legal_check", "items"):
        if key not in expected:
            raise MalformedGoldenError(f"expected.{key}", "missing")
    if not isinstance(expected["total_vnd"], int) or isinstance(expected["total_vnd"], bool):
        raise MalformedGoldenError("expected.total_vnd", "must be a whole number of VND")
    if not isinstance(expected["needs_legal_check"], list):
        raise MalformedGoldenError("expected.needs_legal_check", "must be a list of item keys")
    items = expected["items"]
    if not isinstance(items, dict):
        raise MalformedGoldenError("expected.items", "must be a mapping of item key to expectation")
    for key, item in items.items():
        where = f"expected.items.{key}"
        if not isinstance(item, dict):
            raise MalformedGoldenError(where, "must be a mapping")
        extra = set(item) - _ITEM_KEYS
        if extra:
            raise MalformedGoldenError(f"{where}.{sorted(map(str, extra))[0]}", "unknown key")
        for required in ("status", "amount_vnd"):
            if required not in item:
                raise MalformedGoldenError(f"{where}.{required}", "missing")
        if "cites" in item and not isinstance(item["cites"], list):
            raise MalformedGoldenError(f"{where}.cites", "must be a list of citation ids")


def compare(expected: Mapping[str, Any], result: Calculation | FactsError) -> list[str]:
    """Every difference between an expectation and what the engine produced."""
    if "error" in expected:
        want = expected["error"]
        if not isinstance(result, FactsError):
            return [f"expected error {want['field']}/{want['rule']}, got a calculation"]
        if (result.field, result.rule) != (want["field"], want["rule"]):
            return [
                f"error: expected {want['field']}/{want['rule']}, got {result.field}/{result.rule}"
            ]
        return []
    if isinstance(result, FactsError):
        return [f"unexpected error {result.field}/{result.rule}"]
    problems: list[str] = []
    if str(result.regime) != expected["regime"]:
        problems.append(f"regime: expected {expected['regime']}, got {result.regime}")
    if result.total_vnd != expected["total_vnd"]:
        problems.append(f"total_vnd: expected {expected['total_vnd']}, got {result.total_vnd}")
    flagged, want_flagged = set(result.needs_legal_check), set(expected["needs_legal_check"])
    if flagged != want_flagged:
        problems.append(
            f"needs_legal_check: expected {sorted(want_flagged)}, got {sorted(flagged)}"
        )
    got = {item.key: item for item in result.items}
    want_items = expected["items"]
    missing = [key for key in want_items if key not in got]
    extra = [key for key in got if key not in want_items]
    if missing:
        problems.append(f"items missing: {', '.join(missing)}")
    if extra:
        problems.append(f"items not expected: {', '.join(extra)}")
    for key, want in want_items.items():
        item = got.get(key)
        if item is None:
            continue
        if str(item.status) != want["status"]:
            problems.append(f"{key}.status: expected {want['status']}, got {item.status}")
        if item.amount_vnd != want["amount_vnd"]:
            problems.append(
                f"{key}.amount_vnd: expected {want['amount_vnd']}, got {item.amount_vnd}"
            )
        if "quantity" in want and item.quantity != want["quantity"]:
            problems.append(f"{key}.quantity: expected {want['quantity']}, got {item.quantity}")
        for cite in want.get("cites", []):
            if cite not in item.cites:
                problems.append(f"{key}.cites: {cite} missing (got {', '.join(item.cites)})")
    return problems


def run_case(case: GoldenCase) -> Calculation | FactsError:
    """Compute a golden case; invalid facts come back as the error rather than raised."""
    try:
        return compute(case.facts, case.as_of, case.rates)
    except FactsError as exc:
        return exc


def check_file(path: Path) -> GoldenResult:
    """Check one file; a malformed file or rates is a FAIL naming the key, never a crash."""
    try:
        case = read_case(path)
    except MalformedGoldenError as exc:
        return GoldenResult(path, path.stem, (f"malformed: {exc}",))
    assert case.expected is not None
    try:
        result = run_case(case)
    except RulesError as exc:
        return GoldenResult(path, case.name, (f"malformed: {exc}",))
    return GoldenResult(path, case.name, tuple(compare(case.expected, result)))


def golden_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Each path a file, or a directory whose *.yaml/*.yml files are taken (not recursive)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")
            )
        else:
            yield path
