"""Helpers to compare `compute_frame` with `compute`, shared by the frame tests and the bench."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd

from benefits_rules import FactsError, ParameterNotInForce, compute

Line = tuple[Any, ...]


def flatten(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Facts with nested mappings flattened to dotted column names."""
    row: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, Mapping):
            for sub, inner in value.items():
                row[f"{name}.{sub}"] = inner
        else:
            row[name] = value
    return row


def scalar_lines(facts: Mapping[str, Any], as_of: date, rates: Any) -> list[Line]:
    """What `compute` says of one case, in the shape `frame_lines` gives."""
    try:
        calculation = compute(facts, as_of, rates)
    except FactsError as exc:
        return [("ERR", exc.field, exc.rule)]
    except ParameterNotInForce:
        return [("ERR", "as_of", "parameter_not_in_force")]
    return [
        (
            item.key,
            str(item.status),
            item.amount_vnd,
            item.quantity,
            item.needs_legal_check,
            item.cites,
            str(calculation.regime),
        )
        for item in calculation.items
    ]


def frame_lines(out: pd.DataFrame) -> dict[Any, list[Line]]:
    """`compute_frame`'s output grouped by case, one tuple per row."""
    lines: dict[Any, list[Line]] = {}
    for row in out.itertuples(index=False):
        if isinstance(row.error_field, str):
            lines.setdefault(row.case_id, []).append(("ERR", row.error_field, row.error_rule))
            continue
        lines.setdefault(row.case_id, []).append(
            (
                row.key,
                row.status,
                None if pd.isna(row.amount_vnd) else int(row.amount_vnd),
                None if pd.isna(row.quantity) else int(row.quantity),
                bool(row.needs_legal_check),
                tuple(row.cites),
                row.regime,
            )
        )
    return lines


def frame_of(cases: Iterable[tuple[str, date, Mapping[str, Any]]]) -> pd.DataFrame:
    """A facts frame from (case_id, as_of, facts) triples, as a user would build it."""
    return pd.DataFrame.from_records(
        [{"case_id": case_id, "as_of": as_of, **flatten(facts)} for case_id, as_of, facts in cases]
    )
