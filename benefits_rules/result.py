"""What a calculation returns: items with their trace, totals and versions.

Plain slotted dataclasses, not pydantic models: `compute` builds a dozen of these per case and
has a budget of a millisecond, and every value in them is already validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from benefits_rules.catalogue import ItemStatus, Regime
from benefits_rules.citations import long_form
from benefits_rules.parameters import ParamValue
from benefits_rules.schedules import RateValue

UsedValue = ParamValue | RateValue


@dataclass(frozen=True, slots=True)
class Period:
    """A run of paid stay days priced at one rate (a sub-period of `essential_needs.food`)."""

    start: date
    end: date
    days: int
    rate_vnd: int | None
    amount_vnd: int | None
    cite: str | None


@dataclass(frozen=True, slots=True)
class Trace:
    """How one item was reached: the rule, every value used, and the stay's sub-periods."""

    rule: str
    used: tuple[UsedValue, ...] = ()
    periods: tuple[Period, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    """One line of support. `amount_vnd` is None for a service or a missing rate."""

    key: str
    group: str
    status: ItemStatus
    amount_vnd: int | None
    quantity: int | None
    unit: str | None
    cites: tuple[str, ...]
    needs_legal_check: bool
    trace: Trace


@dataclass(frozen=True, slots=True)
class Calculation:
    """The result of `compute` for one case on one date."""

    as_of: date
    regime: Regime
    regime_cites: tuple[str, ...]
    regime_reason: str
    regime_override_reason: str | None
    items: tuple[Item, ...]
    total_vnd: int
    parameter_versions: dict[str, str]
    rule_version: str
    input_hash: str
    uses_sample_rates: bool
    facts: dict[str, Any] = field(repr=False)

    @property
    def needs_legal_check(self) -> list[str]:
        """The keys of the items an approver must acknowledge before approving."""
        return [item.key for item in self.items if item.needs_legal_check]

    def item(self, key: str) -> Item | None:
        """The item with `key`, or None when the person is not entitled to it."""
        for item in self.items:
            if item.key == key:
                return item
        return None

    def to_dict(self, trace: bool = True) -> dict[str, Any]:
        """JSON-able form for the CLI, the API and the case file."""
        return {
            "as_of": self.as_of.isoformat(),
            "regime": str(self.regime),
            "regime_cites": list(self.regime_cites),
            "regime_reason": self.regime_reason,
            "regime_override_reason": self.regime_override_reason,
            "total_vnd": self.total_vnd,
            "needs_legal_check": self.needs_legal_check,
            "uses_sample_rates": self.uses_sample_rates,
            "items": [item_to_dict(item, trace) for item in self.items],
            "parameter_versions": dict(self.parameter_versions),
            "rule_version": self.rule_version,
            "input_hash": self.input_hash,
        }


def used_to_dict(used: UsedValue) -> dict[str, Any]:
    """One parameter or rate value as the trace prints it, with the long citation."""
    if isinstance(used, RateValue):
        return {
            "name": used.cite,
            "value": used.value,
            "from": used.since.isoformat(),
            "cite": used.cite,
            "citation": used.citation,
            "confirmed": used.confirmed,
            "under": used.under,
        }
    value = used.value.isoformat() if isinstance(used.value, date) else used.value
    return {
        "name": used.name,
        "value": value,
        "from": used.since.isoformat(),
        "cite": used.cite,
        "citation": long_form(used.cite),
        "confirmed": used.confirmed,
    }


def item_to_dict(item: Item, trace: bool = True) -> dict[str, Any]:
    """One item as JSON-able data; the trace is optional because it is the bulky part."""
    out: dict[str, Any] = {
        "key": item.key,
        "group": item.group,
        "status": str(item.status),
        "amount_vnd": item.amount_vnd,
        "quantity": item.quantity,
        "unit": item.unit,
        "cites": list(item.cites),
        "needs_legal_check": item.needs_legal_check,
    }
    if trace:
        out["trace"] = {
            "rule": item.trace.rule,
            "used": [used_to_dict(u) for u in item.trace.used],
            "periods": [
                {
                    "from": p.start.isoformat(),
                    "to": p.end.isoformat(),
                    "days": p.days,
                    "rate_vnd": p.rate_vnd,
                    "amount_vnd": p.amount_vnd,
                    "cite": p.cite,
                }
                for p in item.trace.periods
            ],
            "notes": list(item.trace.notes),
        }
    return out
