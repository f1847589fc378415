"""Speed of the law engine against the OpenFisca peer, in one process, on the same cases.

Prints, for the figures the issue names:
  1. `compute` for one case with the full trace (p50, p95), beside OpenFisca for one person;
  2. `compute_frame` on 100,000 cases (facts frame in, items frame out, every item), beside
     OpenFisca building and calculating the same 100,000 persons, as cases/s and a ratio;
  3. 100,000 cases under two rule versions (a rate changed on a date) with per-case deltas,
     beside the per-case `compute` loop on the same data.

Run: .venv/bin/python -m bench.rules_bench [--cases 100000] [--loop-cases 100000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any, cast

import numpy as np
import pandas as pd

from bench.cases import facts_of, generate_cases
from bench.openfisca_model import build_system, simulate, simulate_one
from benefits_rules import compute
from benefits_rules.frame import compute_frame
from benefits_rules.schedules import shipped_schedules

ENUM_COLUMNS = (
    "status",
    "accompanies_status",
    "nationality",
    "location",
    "sex",
    "province",
    "home_province",
    "regime_override.regime",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall time of `runs` calls after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def changed_rates() -> dict[str, Any]:
    """Rule version B: the demo province's food rate rises to 75,000 from 2026-01-01."""
    sample = shipped_schedules()["sample"]
    return {
        "sample": sample.with_value(
            "food_per_day_vnd",
            date(2026, 1, 1),
            75_000,
            citation="bench: a changed rate",
            confirmed=True,
            under="LAW_53_2024",
        )
    }


def case_totals(out: pd.DataFrame) -> pd.Series[Any]:
    """Granted money per case."""
    granted = out[out["status"] == "granted"]
    return granted.groupby("case_id", sort=False)["amount_vnd"].sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--loop-cases", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=2_000, help="single-case timings")
    args = parser.parse_args()

    frame = generate_cases(args.cases, seed=2026)
    records = cast(list[dict[str, Any]], frame.to_dict("records"))
    print(f"cases: {args.cases:,} generated (seed 2026), province `sample`, both engines")

    # 1. one case with the full trace
    system = build_system()
    singles = [facts_of(records[i]) for i in range(min(args.single, len(records)))]
    for as_of, facts in singles[:200]:
        compute(facts, as_of)
    ours = []
    for as_of, facts in singles:
        start = time.perf_counter()
        compute(facts, as_of)  # every item carries its trace
        ours.append(time.perf_counter() - start)
    rows = records[: len(singles)]
    for row in rows[:200]:
        simulate_one(system, row)
    theirs = []
    for row in rows:
        start = time.perf_counter()
        simulate_one(system, row)
        theirs.append(time.perf_counter() - start)
    print("\n1. one case")
    for label, times in (("compute (full trace)", ours), ("OpenFisca (4 items)", theirs)):
        p50, p95 = percentile(times, 0.5) * 1e3, percentile(times, 0.95) * 1e3
        print(f"   {label:<22} p50 {p50:.3f} ms   p95 {p95:.3f} ms")
    print(f"   ratio OpenFisca/ours   p50 {percentile(theirs, 0.5) / percentile(ours, 0.5):.1f}×")

    # 2. the whole frame
    ours_s, out = timed(lambda: compute_frame(frame), 5)
    theirs_s, _ = timed(lambda: simulate(system, frame), 5)
    categorical = frame.copy()
    for column in ENUM_COLUMNS:
        categorical[column] = categorical[column].astype("category")
    cat_s, _ = timed(lambda: compute_frame(categorical), 5)
    theirs_cat_s, _ = timed(lambda: simulate(system, categorical), 5)
    print(f"\n2. {args.cases:,} cases, facts frame in, items frame out ({len(out):,} item rows)")
    print(f"   compute_frame          {ours_s:.3f} s   {args.cases / ours_s:,.0f} cases/s")
    print(f"   OpenFisca build+calc   {theirs_s:.3f} s   {args.cases / theirs_s:,.0f} cases/s")
    print(f"   ratio OpenFisca/ours   {theirs_s / ours_s:.2f}×")
    print("   with the text columns as pandas categories:")
    print(f"   compute_frame          {cat_s:.3f} s   {args.cases / cat_s:,.0f} cases/s")
    print(f"   OpenFisca build+calc   {theirs_cat_s:.3f} s")
    print(f"   ratio OpenFisca/ours   {theirs_cat_s / cat_s:.2f}×")

    # 3. two rule versions with per-case deltas
    version_b = changed_rates()

    def both_versions() -> pd.Series[Any]:
        before = case_totals(compute_frame(frame))
        after = case_totals(compute_frame(frame, version_b))
        # every case, those with no granted money included, in the frame's order
        return after.sub(before, fill_value=0).reindex(frame["case_id"], fill_value=0)

    delta_s, deltas = timed(both_versions, 3)
    changed = int((deltas != 0).sum())
    loop_n = min(args.loop_cases, len(records))
    loop_cases = [facts_of(records[i]) for i in range(loop_n)]
    start = time.perf_counter()
    loop_deltas = []
    for as_of, facts in loop_cases:
        before = compute(facts, as_of).total_vnd
        after = compute(facts, as_of, version_b).total_vnd
        loop_deltas.append(after - before)
    loop_s = time.perf_counter() - start
    assert np.array_equal(np.asarray(loop_deltas), deltas.iloc[:loop_n].to_numpy(dtype=np.int64))
    net = int(deltas.sum())
    print(
        f"\n3. {args.cases:,} cases under two rule versions (food 70,000 → 75,000 from 2026-01-01)"
    )
    print(f"   compute_frame ×2 + deltas  {delta_s:.3f} s   ({changed:,} changed, net {net:,})")
    print(
        f"   per-case compute loop ×2            {loop_s:.3f} s   on {loop_n:,} cases, same deltas"
    )
    print(f"   ratio loop/frame                    {loop_s * args.cases / loop_n / delta_s:.1f}×")


if __name__ == "__main__":
    main()
