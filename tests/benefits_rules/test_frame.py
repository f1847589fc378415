"""`compute_frame` gives the same items as `compute`: on every golden case, on our own rule
cases, and on thousands of random facts in batches (valid ones, and invalid ones mixed in)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benefits_rules import ITEM_KEYS
from benefits_rules.frame import OUTPUT_COLUMNS, compute_frame
from tests.benefits_rules.frame_support import flatten, frame_lines, frame_of, scalar_lines
from tests.conftest import SHARED
from vongtay import golden

OWN_CASES = Path(__file__).parent / "rule_cases"


def _golden_params() -> list[Any]:
    params = []
    for directory in (SHARED / "golden", OWN_CASES):
        for path in golden.golden_files([directory]) if directory.is_dir() else []:
            params.append(pytest.param(path, id=f"{directory.name}/{path.stem}"))
    return params


@pytest.mark.parametrize("path", _golden_params())
def test_frame_equals_compute_on_golden_case(path: Path) -> None:
    case = golden.read_case(path)
    facts = dict(case.facts)
    rates = None
    if case.rates is not None:
        rates = {facts.get("province"): case.rates}
        if facts.get("home_province"):
            rates[facts["home_province"]] = case.rates
    out = compute_frame(frame_of([("case", case.as_of, facts)]), rates)
    assert frame_lines(out).get("case", []) == scalar_lines(facts, case.as_of, case.rates)


# --- random facts ------------------------------------------------------------------------------

PROVINCES_BOTH = ["nghe-an", "quang-ninh", "khanh-hoa", "ho-chi-minh", "lam-dong", "sample"]
PROVINCES_OLD = ["ha-giang", "binh-dinh", "hau-giang", "thua-thien-hue"]
PROVINCES_NEW = ["hue"]
CUTOVER = date(2025, 7, 1)


@st.composite
def valid_case(draw: st.DrawFn) -> tuple[date, dict[str, Any]]:
    """Facts that break no rule of brief §4, over both regimes and every group."""
    received = draw(st.dates(date(2020, 3, 1), date(2027, 6, 30)))
    as_of = received + timedelta(days=draw(st.integers(0, 500)))
    status = draw(st.sampled_from(["victim", "undergoing_identification", "accompanying_minor"]))
    facts: dict[str, Any] = {
        "status": status,
        "nationality": draw(st.sampled_from(["vietnamese", "stateless_resident", "foreign"])),
        "location": draw(st.sampled_from(["in_vietnam", "in_vietnam", "abroad"])),
        "sex": draw(st.sampled_from(["female", "male"])),
        "received_on": received,
    }
    if status == "accompanying_minor":
        facts["accompanies_status"] = draw(st.sampled_from(["victim", "undergoing_identification"]))
        age_days = draw(st.integers(0, 17 * 365))
    else:
        age_days = draw(st.integers(10 * 365, 70 * 365))
    facts["birth_date"] = as_of - timedelta(days=age_days)
    pool = PROVINCES_BOTH + (PROVINCES_OLD if received < CUTOVER else PROVINCES_NEW)
    facts["province"] = draw(st.sampled_from(pool))
    if draw(st.booleans()):
        facts["home_province"] = draw(st.sampled_from(pool))
    if draw(st.booleans()):
        facts["identified_on"] = received + timedelta(
            days=draw(st.integers(0, (as_of - received).days))
        )
    if draw(st.integers(0, 4)):
        start = received + timedelta(days=draw(st.integers(0, (as_of - received).days)))
        stay: dict[str, Any] = {"from": start}
        if draw(st.booleans()):
            stay["to"] = start + timedelta(days=draw(st.integers(0, (as_of - start).days)))
        facts["stay"] = stay
    for name in (
        "insured",
        "needs_interpreter",
        "returning_home",
        "continues_school",
        "poor_household",
    ):
        if draw(st.booleans()):
            facts[name] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        facts["extension_days"] = draw(st.integers(0, 90))
    costs = {
        name: draw(st.integers(0, 5_000_000))
        for name in ("health_check_vnd", "treatment_vnd", "interpretation_vnd")
        if draw(st.booleans())
    }
    if costs:
        facts["costs"] = costs
    if draw(st.booleans()):
        travel: dict[str, Any] = {
            "fare_vnd": draw(st.integers(0, 3_000_000)),
            "journey_days": draw(st.integers(0, 10)),
        }
        if draw(st.booleans()):
            travel["date"] = received + timedelta(
                days=draw(st.integers(0, (as_of - received).days))
            )
        facts["travel"] = travel
    if draw(st.booleans()):
        facts["vocational_course_cost_vnd"] = draw(st.integers(0, 12_000_000))
    if draw(st.integers(0, 3)) == 0:
        facts["application_date"] = received + timedelta(
            days=draw(st.integers(0, (as_of - received).days))
        )
    if draw(st.integers(0, 3)) == 0:
        facts["refused"] = draw(st.lists(st.sampled_from(sorted(ITEM_KEYS)), max_size=3))
    if draw(st.integers(0, 5)) == 0:
        regime = (
            "LAW_66_2011"
            if as_of < CUTOVER
            else draw(st.sampled_from(["LAW_66_2011", "LAW_53_2024"]))
        )
        facts["regime_override"] = {"regime": regime, "reason": "decision of the approver"}
    return as_of, facts


def _rates_for(draw_rates: bool) -> dict[str, Any] | None:
    """Rates entered for two provinces, one with a change mid-stay and an unconfirmed value."""
    if not draw_rates:
        return None
    return {
        "nghe-an": {
            "food_per_day_vnd": [
                {"from": date(2020, 1, 1), "value": 55_000, "under": "LAW_66_2011"},
                {"from": date(2025, 7, 1), "value": 70_000},
                {"from": date(2026, 7, 1), "value": 80_000, "confirmed": False},
            ],
            "initial_hardship_allowance_vnd": [{"from": date(2025, 7, 1), "value": 2_500_000}],
            "travel_food_max_days": [{"from": date(2020, 1, 1), "value": 3}],
        },
        "quang-ninh": {
            "school_supplies_per_year_vnd": [{"from": date(2021, 1, 1), "value": 1_000_000}],
            "vocational_training_cap_vnd": [
                {"from": date(2021, 1, 1), "value": 5_000_000},
                {"from": date(2026, 1, 1), "value": None},
            ],
            "personal_items_vnd": [{"from": date(2021, 1, 1), "value": 450_000}],
        },
    }


def _compare(
    cases: list[tuple[date, dict[str, Any]]], rates: dict[str, Any] | None, typed: bool
) -> None:
    records = [(f"C{i}", as_of, facts) for i, (as_of, facts) in enumerate(cases)]
    frame = frame_of(records)
    if typed:  # the dtypes a bulk user has: datetime64 dates, nullable integers, categories
        for column in frame.columns:
            if column in (
                "as_of",
                "birth_date",
                "received_on",
                "identified_on",
                "stay.from",
                "stay.to",
                "travel.date",
                "application_date",
            ):
                frame[column] = pd.to_datetime(frame[column])
            elif column.endswith(("_vnd", "_days")):
                frame[column] = frame[column].astype("Int64")
            elif column in ("status", "nationality", "province", "sex"):
                frame[column] = frame[column].astype("category")
    got = frame_lines(compute_frame(frame, rates))
    for case_id, as_of, facts in records:
        assert got.get(case_id, []) == scalar_lines(facts, as_of, rates), (case_id, as_of, facts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cases=st.lists(valid_case(), min_size=50, max_size=200),
    with_rates=st.booleans(),
    typed=st.booleans(),
)
def test_frame_equals_compute_on_random_valid_facts(
    cases: list[tuple[date, dict[str, Any]]], with_rates: bool, typed: bool
) -> None:
    _compare(cases, _rates_for(with_rates), typed)


BREAKERS: list[tuple[str, Any]] = [
    ("status", "refugee"),
    ("stay", {"from": date(2030, 1, 1)}),
    ("nationalty", "vietnamese"),
    ("insured", "yes"),
    ("costs", {"health_check_vnd": 150000.5}),
    ("travel", {"fare_vnd": -5, "journey_days": 1}),
    ("refused", ["psychological", "nonsense"]),
    ("province", "atlantis"),
    ("birth_date", "12/03/2001"),
    ("received_on", None),
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cases=st.lists(valid_case(), min_size=2, max_size=60),
    breaks=st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(BREAKERS)), min_size=1, max_size=5
    ),
)
def test_a_bad_row_never_sinks_the_batch(
    cases: list[tuple[date, dict[str, Any]]], breaks: list[tuple[int, tuple[str, Any]]]
) -> None:
    for where, (name, value) in breaks:
        as_of, facts = cases[where % len(cases)]
        facts = dict(facts)
        facts[name] = value
        cases[where % len(cases)] = (as_of, facts)
    _compare(cases, None, typed=False)


def test_an_invalid_row_gives_one_error_row_in_its_place() -> None:
    good = {
        "status": "victim",
        "nationality": "vietnamese",
        "location": "in_vietnam",
        "birth_date": date(1990, 1, 1),
        "sex": "female",
        "province": "sample",
        "received_on": date(2025, 8, 1),
        "identified_on": date(2025, 8, 2),
    }
    bad = {**good, "stay": {"from": date(2025, 9, 10), "to": date(2025, 9, 1)}}
    out = compute_frame(
        frame_of(
            [
                ("A", date(2025, 10, 1), good),
                ("B", date(2025, 10, 1), bad),
                ("C", date(2025, 10, 1), good),
            ]
        )
    )
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert list(dict.fromkeys(out["case_id"])) == ["A", "B", "C"]
    errors = out[out["error_field"].notna()]
    assert errors[["case_id", "error_field", "error_rule"]].values.tolist() == [
        ["B", "stay.to", "not_before_stay_from"]
    ]
    assert errors["key"].isna().all()
    assert out[out["case_id"] == "A"]["key"].tolist() == out[out["case_id"] == "C"]["key"].tolist()


def test_money_columns_are_integers_and_cites_are_tuples() -> None:
    facts = {
        "status": "victim",
        "nationality": "vietnamese",
        "location": "in_vietnam",
        "birth_date": date(1990, 1, 1),
        "sex": "female",
        "province": "sample",
        "received_on": date(2025, 8, 1),
        "identified_on": date(2025, 8, 2),
        "stay": {"from": date(2025, 8, 1), "to": date(2025, 9, 30)},
        "insured": False,
    }
    out = compute_frame(frame_of([("A", date(2025, 10, 15), facts)]))
    assert str(out["amount_vnd"].dtype) == "Int64"
    food = out[out["key"] == "essential_needs.food"].iloc[0]
    assert food["amount_vnd"] == 61 * 70_000 and food["quantity"] == 61
    assert isinstance(food["cites"], tuple) and "rate:sample:food_per_day_vnd" in food["cites"]


def test_a_frame_without_case_id_or_as_of_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="case_id"):
        compute_frame(pd.DataFrame({"as_of": [date(2025, 1, 1)]}))
    with pytest.raises(ValueError, match="as_of"):
        compute_frame(pd.DataFrame({"case_id": ["A"]}))


def test_an_empty_frame_gives_an_empty_result_with_the_columns() -> None:
    out = compute_frame(pd.DataFrame({"case_id": [], "as_of": []}))
    assert list(out.columns) == list(OUTPUT_COLUMNS) and len(out) == 0


def test_missing_as_of_in_one_row_is_reported_for_that_row() -> None:
    facts = {
        "status": "victim",
        "nationality": "vietnamese",
        "location": "in_vietnam",
        "birth_date": date(1990, 1, 1),
        "sex": "female",
        "province": "sample",
        "received_on": date(2025, 8, 1),
    }
    frame = frame_of([("A", date(2025, 10, 1), facts), ("B", None, facts)])  # type: ignore[list-item]
    out = compute_frame(frame)
    row = out[out["case_id"] == "B"].iloc[0]
    assert (row["error_field"], row["error_rule"]) == ("as_of", "required")


def test_generated_bench_cases_agree_with_compute() -> None:
    from bench.cases import facts_of, generate_cases

    frame = generate_cases(2_000, seed=7)
    got = frame_lines(compute_frame(frame))
    for row in frame.head(400).to_dict("records"):
        as_of, facts = facts_of(row)
        assert got[row["case_id"]] == scalar_lines(facts, as_of, None)


assert flatten({"stay": {"from": 1}}) == {"stay.from": 1}
