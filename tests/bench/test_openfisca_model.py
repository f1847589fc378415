"""The OpenFisca peer against hand-computed persons, and the case generator."""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from bench.cases import FRAME_COLUMNS, generate_cases
from bench.openfisca_model import OUTPUTS, build_system, simulate, simulate_one

DATE_COLUMNS = (
    "as_of",
    "birth_date",
    "received_on",
    "identified_on",
    "stay.from",
    "stay.to",
    "travel.date",
    "application_date",
)
OPTIONAL_INT_COLUMNS = (
    "costs.health_check_vnd",
    "costs.treatment_vnd",
    "costs.interpretation_vnd",
    "travel.fare_vnd",
    "travel.journey_days",
    "vocational_course_cost_vnd",
)
BOOL_COLUMNS = (
    "insured",
    "needs_interpreter",
    "returning_home",
    "continues_school",
    "poor_household",
)
LOW = pd.Timestamp("2025-07-01")
HIGH = pd.Timestamp("2027-06-30")


@pytest.fixture(scope="module")
def system() -> TaxBenefitSystem:
    return build_system()


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return generate_cases(1000, seed=42)


def _case(**overrides: Any) -> dict[str, object]:
    """An adult Vietnamese victim with no stay, no travel and no school."""
    case: dict[str, object] = {
        "case_id": "C000001",
        "as_of": pd.Timestamp("2026-11-30"),
        "status": "victim",
        "accompanies_status": None,
        "nationality": "vietnamese",
        "location": "in_vietnam",
        "birth_date": pd.Timestamp("1995-03-10"),
        "sex": "female",
        "province": "sample",
        "home_province": None,
        "received_on": pd.Timestamp("2025-08-01"),
        "identified_on": pd.Timestamp("2025-08-15"),
        "stay.from": pd.NaT,
        "stay.to": pd.NaT,
        "extension_days": 0,
        "insured": False,
        "needs_interpreter": False,
        "costs.health_check_vnd": pd.NA,
        "costs.treatment_vnd": pd.NA,
        "costs.interpretation_vnd": pd.NA,
        "travel.fare_vnd": pd.NA,
        "travel.journey_days": pd.NA,
        "travel.date": pd.NaT,
        "returning_home": False,
        "continues_school": False,
        "poor_household": False,
        "vocational_course_cost_vnd": pd.NA,
        "application_date": pd.NaT,
        "refused": [],
        "regime_override.regime": None,
        "regime_override.reason": None,
    }
    for key, value in overrides.items():
        dotted = key.replace("__", ".")
        assert dotted in case, dotted
        case[dotted] = pd.Timestamp(value) if dotted in DATE_COLUMNS and value else value
    return case


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows as a frame with the generator's column types."""
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    for column in DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    for column in OPTIONAL_INT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    return frame


NOTHING: dict[str, int] = dict.fromkeys(OUTPUTS, 0)

HAND_COMPUTED: dict[str, tuple[dict[str, object], dict[str, int]]] = {
    # 2025-09-01..2025-10-31: 30 + 31 = 61 days at 70,000.
    "61-day stay before the rate change": (
        _case(stay__from="2025-09-01", stay__to="2025-10-31"),
        NOTHING | {"essential_needs.food": 61 * 70_000},
    ),
    # 2026-05-01..2026-10-15 is 31+30+31+31+30+15 = 168 days; the first 120
    # are paid: 61 (May, June) at 70,000 and 59 (2026-07-01..08-28) at 80,000.
    "168-day stay across 2026-07-01, capped at 120 days": (
        _case(stay__from="2026-05-01", stay__to="2026-10-15"),
        NOTHING | {"essential_needs.food": 61 * 70_000 + 59 * 80_000},
    ),
    # Same stay with 30 extension days: 150 paid, 61 at 70,000 and 89 at 80,000.
    "168-day stay with a 30-day extension": (
        _case(stay__from="2026-05-01", stay__to="2026-10-15", extension_days=30),
        NOTHING | {"essential_needs.food": 61 * 70_000 + 89 * 80_000},
    ),
    # Open stay counted to as_of: 2026-06-21..2026-07-10 = 10 + 10 days.
    "open stay counted to as_of": (
        _case(stay__from="2026-06-21", as_of="2026-07-10"),
        NOTHING | {"essential_needs.food": 10 * 70_000 + 10 * 80_000},
    ),
    "stay while abroad": (
        _case(stay__from="2025-09-01", stay__to="2025-10-31", location="abroad"),
        NOTHING,
    ),
    "journey of 7 days paid for 5": (
        _case(travel__journey_days=7, travel__fare_vnd=450_000),
        NOTHING | {"travel.food": 5 * 100_000},
    ),
    "journey of 3 days": (
        _case(travel__journey_days=3, travel__fare_vnd=150_000),
        NOTHING | {"travel.food": 3 * 100_000},
    ),
    "victim returning home": (
        _case(returning_home=True),
        NOTHING | {"hardship.initial_allowance": 3_000_000},
    ),
    "stateless resident victim returning home": (
        _case(returning_home=True, nationality="stateless_resident"),
        NOTHING | {"hardship.initial_allowance": 3_000_000},
    ),
    "foreign victim returning home": (
        _case(returning_home=True, nationality="foreign"),
        NOTHING,
    ),
    "person undergoing identification returning home": (
        _case(returning_home=True, status="undergoing_identification", identified_on=None),
        NOTHING,
    ),
    "10-year-old accompanying minor going to school": (
        _case(
            status="accompanying_minor",
            accompanies_status="victim",
            birth_date="2016-04-02",
            continues_school=True,
        ),
        NOTHING | {"education.books_and_supplies": 2 * 1_200_000},
    ),
    "minor the day before turning 18": (
        _case(
            status="accompanying_minor",
            accompanies_status="victim",
            birth_date="2008-12-01",
            continues_school=True,
        ),
        NOTHING | {"education.books_and_supplies": 2 * 1_200_000},
    ),
    "minor turning 18 on as_of": (
        _case(
            status="accompanying_minor",
            accompanies_status="victim",
            birth_date="2008-11-30",
            continues_school=True,
        ),
        NOTHING,
    ),
    "foreign minor going to school": (
        _case(
            status="accompanying_minor",
            accompanies_status="victim",
            birth_date="2016-04-02",
            continues_school=True,
            nationality="foreign",
        ),
        NOTHING,
    ),
    "adult victim going to school": (_case(continues_school=True), NOTHING),
}


@pytest.mark.parametrize("name", list(HAND_COMPUTED))
def test_hand_computed_person(system: TaxBenefitSystem, name: str) -> None:
    case, expected = HAND_COMPUTED[name]
    assert simulate_one(system, case) == expected


def test_hand_computed_persons_as_a_frame(system: TaxBenefitSystem) -> None:
    frame = _frame([case for case, _ in HAND_COMPUTED.values()])
    results = simulate(system, frame)
    assert set(results) == set(OUTPUTS)
    for key, values in results.items():
        assert values.dtype == np.int64
        assert values.tolist() == [expected[key] for _, expected in HAND_COMPUTED.values()], key


def test_simulate_equals_simulate_one(system: TaxBenefitSystem) -> None:
    frame = generate_cases(200, seed=3)
    results = simulate(system, frame)
    for row, case in enumerate(frame.to_dict(orient="records")):
        one = simulate_one(system, {str(key): value for key, value in case.items()})
        assert one == {key: int(values[row]) for key, values in results.items()}, case["case_id"]
    # The sample exercises every item.
    for key, values in results.items():
        assert (values > 0).any(), key


def test_every_paid_food_day_is_priced(system: TaxBenefitSystem, cases: pd.DataFrame) -> None:
    food = simulate(system, cases)["essential_needs.food"]
    stay_end = cases["stay.to"].fillna(cases["as_of"])
    stay_days = ((stay_end - cases["stay.from"]).dt.days + 1).fillna(0).to_numpy(dtype=np.int64)
    stay_days[(cases["location"] == "abroad").to_numpy()] = 0
    paid = np.minimum(stay_days, 120 + cases["extension_days"].to_numpy())
    assert (food >= paid * 70_000).all()
    assert (food <= paid * 80_000).all()
    assert (food % 10_000 == 0).all()


# --- generate_cases -----------------------------------------------------------


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def test_columns_and_types(cases: pd.DataFrame) -> None:
    assert list(cases.columns) == list(FRAME_COLUMNS)
    assert len(cases) == 1000
    for column in DATE_COLUMNS:
        assert pd.api.types.is_datetime64_dtype(cases[column].dtype), column
    for column in OPTIONAL_INT_COLUMNS:
        assert cases[column].dtype == "Int64", column
    for column in BOOL_COLUMNS:
        assert cases[column].dtype == bool, column
    assert pd.api.types.is_integer_dtype(cases["extension_days"].dtype)
    for column in (
        "case_id",
        "status",
        "accompanies_status",
        "nationality",
        "location",
        "sex",
        "province",
        "home_province",
        "refused",
        "regime_override.regime",
        "regime_override.reason",
    ):
        assert cases[column].dtype == object, column
    assert cases["case_id"].tolist() == [f"C{i:06d}" for i in range(1, 1001)]


def test_categories(cases: pd.DataFrame) -> None:
    assert set(cases["status"]) == {"victim", "undergoing_identification", "accompanying_minor"}
    assert set(cases["nationality"]) == {"vietnamese", "stateless_resident", "foreign"}
    assert set(cases["location"]) == {"in_vietnam", "abroad"}
    assert set(cases["sex"]) == {"female", "male"}
    assert set(cases["province"]) == {"sample"}
    assert set(cases["home_province"]) == {None, "sample"}
    minor = cases["status"] == "accompanying_minor"
    assert set(cases.loc[minor, "accompanies_status"]) == {"victim", "undergoing_identification"}
    assert cases.loc[~minor, "accompanies_status"].isna().all()
    assert cases["regime_override.regime"].isna().all()
    assert cases["regime_override.reason"].isna().all()
    shares = cases["status"].value_counts(normalize=True)
    assert shares["victim"] == pytest.approx(0.7, abs=0.05)
    assert shares["undergoing_identification"] == pytest.approx(0.2, abs=0.05)
    assert shares["accompanying_minor"] == pytest.approx(0.1, abs=0.04)


def test_dates_in_range(cases: pd.DataFrame) -> None:
    for column in DATE_COLUMNS:
        if column == "birth_date":
            continue
        present = cases[column].dropna()
        assert ((present >= LOW) & (present <= HIGH)).all(), column
    assert cases["as_of"].notna().all()
    assert cases["received_on"].notna().all()
    assert cases["birth_date"].notna().all()


def test_identification(cases: pd.DataFrame) -> None:
    identified = (cases["status"] == "victim") | (cases["accompanies_status"] == "victim")
    assert cases.loc[identified, "identified_on"].notna().all()
    assert cases.loc[~identified, "identified_on"].isna().all()
    rows = cases[identified]
    assert (rows["received_on"] <= rows["identified_on"]).all()
    assert (rows["identified_on"] <= rows["as_of"]).all()


def test_stays(cases: pd.DataFrame) -> None:
    assert cases.loc[cases["stay.from"].isna(), "stay.to"].isna().all()
    stays = cases[cases["stay.from"].notna()]
    assert len(stays) / len(cases) == pytest.approx(0.8, abs=0.05)
    assert (stays["received_on"] <= stays["stay.from"]).all()
    ended = stays[stays["stay.to"].notna()]
    assert len(ended) < len(stays)
    assert (ended["stay.from"] <= ended["stay.to"]).all()
    assert (ended["stay.to"] <= ended["as_of"]).all()
    length = (stays["stay.to"].fillna(stays["as_of"]) - stays["stay.from"]).dt.days + 1
    assert (length >= 1).all()
    assert length.max() <= 200
    assert (length > 120).any()
    extension = cases["extension_days"]
    assert ((extension == 0) | ((extension >= 10) & (extension <= 60))).all()
    assert (extension > 0).any()


def test_travel_and_application(cases: pd.DataFrame) -> None:
    journey = cases["travel.journey_days"]
    assert (journey.isna() == cases["travel.fare_vnd"].isna()).all()
    assert journey.notna().mean() == pytest.approx(0.7, abs=0.05)
    assert journey.dropna().between(1, 7).all()
    for column in ("travel.date", "application_date"):
        present = cases[cases[column].notna()]
        assert 0 < len(present) < len(cases) / 2, column
        assert (present[column] <= present["as_of"]).all(), column


def test_money(cases: pd.DataFrame) -> None:
    for column in OPTIONAL_INT_COLUMNS:
        if column == "travel.journey_days":
            continue
        present = cases[column].dropna()
        assert (present > 0).all(), column
        assert (present % 1000 == 0).all(), column
    for column in ("costs.health_check_vnd", "costs.treatment_vnd", "costs.interpretation_vnd"):
        assert cases[column].isna().mean() == pytest.approx(0.5, abs=0.06), column
    course = cases["vocational_course_cost_vnd"]
    assert course.notna().mean() == pytest.approx(0.4, abs=0.06)
    assert course.dropna().between(1_000_000, 9_000_000).all()


def test_ages(cases: pd.DataFrame) -> None:
    assert (cases["birth_date"] <= cases["as_of"]).all()
    minor = (cases["status"] == "accompanying_minor").tolist()
    births = cases["birth_date"].dt.date.tolist()
    days = cases["as_of"].dt.date.tolist()
    for is_minor, birth, on in zip(minor, births, days, strict=True):
        age = _age(birth, on)
        if is_minor:
            assert 0 <= age <= 17, (birth, on)
        else:
            assert 18 <= age <= 60, (birth, on)
        assert (birth.month, birth.day) != (2, 29)


def test_refused(cases: pd.DataFrame) -> None:
    allowed: list[list[str]] = [[], ["psychological"], ["vocational.training"]]
    assert all(isinstance(value, list) and value in allowed for value in cases["refused"])
    assert sum(value == [] for value in cases["refused"]) > len(cases) / 2
    assert len({id(value) for value in cases["refused"]}) == len(cases)


def test_deterministic_for_a_seed() -> None:
    pd.testing.assert_frame_equal(generate_cases(300, seed=5), generate_cases(300, seed=5))
    assert not generate_cases(300, seed=5).equals(generate_cases(300, seed=6))
    assert len(generate_cases(0)) == 0
