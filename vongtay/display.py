"""Rich tables of a calculation, for people reading a terminal."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from benefits_rules import Calculation
from benefits_rules.result import used_to_dict


def _money(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}"


def calculation_tables(calculation: Calculation) -> list[RenderableType]:
    """The items table, the totals line and one trace table per item."""
    items = Table(title=f"Support on {calculation.as_of.isoformat()} — {calculation.regime}")
    for column, justify in (
        ("item", "left"),
        ("group", "left"),
        ("status", "left"),
        ("amount VND", "right"),
        ("qty", "right"),
        ("check", "left"),
        ("cites", "left"),
    ):
        items.add_column(column, justify=justify)  # type: ignore[arg-type]
    for item in calculation.items:
        quantity = "" if item.quantity is None else f"{item.quantity} {item.unit or ''}".strip()
        items.add_row(
            item.key,
            item.group,
            str(item.status),
            _money(item.amount_vnd),
            quantity,
            "LEGAL CHECK" if item.needs_legal_check else "",
            ", ".join(item.cites),
        )
    lines: list[RenderableType] = [items]
    summary = Text()
    summary.append(f"Total granted: {calculation.total_vnd:,} VND\n", style="bold")
    summary.append(f"Regime: {calculation.regime} ({calculation.regime_reason}; L53-2024:63)\n")
    if calculation.needs_legal_check:
        summary.append(
            "Needs a legal check before approval: "
            + ", ".join(calculation.needs_legal_check)
            + "\n",
            style="yellow",
        )
    if calculation.uses_sample_rates:
        summary.append(
            "MẪU – không có giá trị pháp lý (sample rates, no legal value)\n", style="red"
        )
    summary.append(f"Rules {calculation.rule_version}; input {calculation.input_hash[:16]}")
    lines.append(summary)
    trace = Table(title="Trace", show_lines=True)
    for column in ("item", "rule", "values used (value, from, citation, confirmed)"):
        trace.add_column(column)
    for item in calculation.items:
        used = []
        for value in item.trace.used:
            shown = used_to_dict(value)
            flag = "" if shown["confirmed"] else " UNCONFIRMED"
            under = f" under {shown['under']}" if shown.get("under") else ""
            used.append(
                f"{shown['name']} = {shown['value']} from {shown['from']}{under} "
                f"[{shown['citation']}]{flag}"
            )
        for period in item.trace.periods:
            rate = "no rate" if period.rate_vnd is None else f"{period.rate_vnd:,}/day"
            used.append(
                f"{period.start.isoformat()}..{period.end.isoformat()}: {period.days} days × {rate}"
                f" = {_money(period.amount_vnd)}"
            )
        used.extend(item.trace.notes)
        trace.add_row(item.key, item.trace.rule, "\n".join(used) or "—")
    lines.append(trace)
    return [Group(*lines)]
