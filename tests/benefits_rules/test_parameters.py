"""The strict loader of national parameters (`benefits_rules/parameters/**/*.yaml`).

Parameter files are edited by hand by people encoding new law: every malformed file must stop
the load with an error naming the file and the key, and the shipped set must load and cite.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from benefits_rules.citations import citations
from benefits_rules.errors import ParameterNotInForce, RulesDataError
from benefits_rules.parameters import (
    PARAMETERS_DIR,
    UNITS,
    ParameterSet,
    load_parameters,
    national_parameters,
)

NAME = "LAW_53_2024.food_cap_days"

VALID = """\
description: Stay days whose food the state pays
unit: days
values:
  2025-07-01:
    value: 120
    cite: ND162-2025:17
    confirmed: true
"""

VALID_VND = """\
description: A sum of money
unit: vnd
values:
  2025-07-01:
    value: 60000
    cite: ND162-2025:17
    confirmed: true
"""


def _write(root: Path, text: str, rel: str = "LAW_53_2024/food_cap_days.yaml") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _load_error(root: Path) -> RulesDataError:
    with pytest.raises(RulesDataError) as info:
        load_parameters(root)
    return info.value


# --- a valid file -------------------------------------------------------------------------


def test_a_valid_file_loads_under_its_dotted_name(tmp_path: Path) -> None:
    _write(tmp_path, VALID)
    params = load_parameters(tmp_path)
    assert isinstance(params, ParameterSet)
    assert list(params) == [NAME]
    value = params.at(NAME, date(2025, 7, 1), "essential_needs.food")
    assert value.value == 120
    assert value.cite == "ND162-2025:17"
    assert value.confirmed is True
    assert value.since == date(2025, 7, 1)
    assert value.name == NAME


def test_values_are_found_by_date_in_force(tmp_path: Path) -> None:
    _write(
        tmp_path,
        """\
        description: base salary
        unit: vnd
        values:
          2024-07-01: {value: 2340000, cite: "BHYT:base-salary", confirmed: true}
          2023-07-01: {value: 1800000, cite: "BHYT:base-salary", confirmed: true}
        """,
        "health_insurance/base_salary_vnd.yaml",
    )
    param = load_parameters(tmp_path)["health_insurance.base_salary_vnd"]
    assert param.dates == (date(2023, 7, 1), date(2024, 7, 1))
    assert param.at(date(2023, 7, 1), "r").value == 1800000
    assert param.at(date(2024, 6, 30), "r").value == 1800000
    assert param.at(date(2024, 7, 1), "r").value == 2340000
    assert param.at(date(2099, 1, 1), "r").value == 2340000


def test_version_changes_with_the_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID)
    first = load_parameters(tmp_path).version
    assert load_parameters(tmp_path).version == first
    path.write_text(VALID.replace("120", "121"), encoding="utf-8")
    assert load_parameters(tmp_path).version != first


# --- strictness: each rejection names the file and the key ------------------------------


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        pytest.param(
            VALID + "descripton: a typo of a key\n",
            "descripton",
            "unknown key",
            id="unknown-file-key",
        ),
        pytest.param(
            VALID.replace("    confirmed: true\n", "    confirmed: true\n    citation: x\n"),
            "values.2025-07-01.citation",
            "unknown key",
            id="unknown-value-key",
        ),
        pytest.param(
            VALID.replace("2025-07-01:", "2025-7-1:"),
            "values.2025-7-1",
            "ISO date",
            id="non-iso-date-unpadded",
        ),
        pytest.param(
            VALID.replace("2025-07-01:", "01/07/2025:"),
            "values.01/07/2025",
            "ISO date",
            id="non-iso-date-slashes",
        ),
        pytest.param(
            VALID.replace("2025-07-01:", "2025-07-01 00:00:00:"),
            "values.2025-07-01 00:00:00",
            "ISO date",
            id="datetime-key",
        ),
        pytest.param(
            VALID.replace("    cite: ND162-2025:17\n", ""),
            "values.2025-07-01.cite",
            "missing",
            id="missing-cite",
        ),
        pytest.param(
            VALID.replace("ND162-2025:17", "ND162-2025:99"),
            "values.2025-07-01.cite",
            "citation id",
            id="unknown-cite",
        ),
        pytest.param(
            VALID.replace("ND162-2025:17", "rate:ha-giang:food_per_day_vnd"),
            "values.2025-07-01.cite",
            "citation id",
            id="rate-cite-is-not-a-fixed-citation",
        ),
        pytest.param(
            VALID_VND.replace("60000", "60000.0"),
            "values.2025-07-01.value",
            "whole number of VND",
            id="float-vnd",
        ),
        pytest.param(
            VALID_VND.replace("60000", "true"),
            "values.2025-07-01.value",
            "whole number of VND",
            id="bool-vnd",
        ),
        pytest.param(
            VALID_VND.replace("60000", '"60000"'),
            "values.2025-07-01.value",
            "whole number of VND",
            id="string-vnd",
        ),
        pytest.param(
            VALID_VND.replace("60000", "-60000"),
            "values.2025-07-01.value",
            "negative",
            id="negative-vnd",
        ),
        pytest.param(
            VALID.replace("120", "-1"),
            "values.2025-07-01.value",
            "negative",
            id="negative-days",
        ),
        pytest.param(
            VALID.replace("120", "true"),
            "values.2025-07-01.value",
            "days",
            id="bool-days",
        ),
        pytest.param(
            VALID.replace("    confirmed: true\n", ""),
            "values.2025-07-01.confirmed",
            "missing",
            id="missing-confirmed",
        ),
        pytest.param(
            VALID.replace("confirmed: true", "confirmed: maybe"),
            "values.2025-07-01.confirmed",
            "true or false",
            id="confirmed-not-bool",
        ),
        pytest.param(
            VALID.replace("    value: 120\n", ""),
            "values.2025-07-01.value",
            "missing",
            id="missing-value",
        ),
        pytest.param(
            VALID.replace("description: Stay days whose food the state pays\n", ""),
            "description",
            "missing",
            id="missing-description",
        ),
        pytest.param(VALID.replace("unit: days", "unit: dong"), "unit", "one of", id="bad-unit"),
        pytest.param(
            "description: x\nunit: days\nvalues: {}\n", "values", "non-empty", id="no-values"
        ),
        pytest.param("- a list\n", "-", "mapping", id="not-a-mapping"),
    ],
)
def test_malformed_file_fails_naming_file_and_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = _write(tmp_path, text)
    error = _load_error(tmp_path)
    assert error.source == str(path)
    assert error.key == key
    assert problem in error.problem
    assert str(path) in str(error)
    assert key in str(error)


def test_duplicate_date_keys_are_refused_by_the_yaml_reader(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        VALID + "  2025-07-01:\n    value: 90\n    cite: ND162-2025:17\n    confirmed: true\n",
    )
    error = _load_error(tmp_path)
    assert error.source == str(path)
    assert error.key == "2025-07-01"
    assert "duplicate key" in error.problem
    assert "line 8" in error.problem


def test_duplicate_keys_inside_a_value_entry_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + "    value: 121\n")
    error = _load_error(tmp_path)
    assert error.source == str(path)
    assert error.key == "value"
    assert "duplicate key" in error.problem


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "description: [unclosed\n")
    error = _load_error(tmp_path)
    assert error.source == str(path)
    assert "not valid YAML" in error.problem


def test_one_bad_file_among_good_ones_stops_the_load(tmp_path: Path) -> None:
    _write(tmp_path, VALID)
    bad = _write(tmp_path, VALID.replace("120", "12.5"), "LAW_66_2011/food_cap_days.yaml")
    error = _load_error(tmp_path)
    assert error.source == str(bad)


# --- null and lookups before the first value ----------------------------------------------


def test_null_value_is_allowed_and_comes_back_as_none(tmp_path: Path) -> None:
    _write(
        tmp_path,
        """\
        description: a national floor that did not exist at first
        unit: vnd
        values:
          2013-03-01: {value: null, cite: ND09-2013:19, confirmed: true}
          2020-01-01: {value: 70000, cite: TT84-2019, confirmed: true}
        """,
        "LAW_66_2011/travel_food_min_per_day_vnd.yaml",
    )
    params = load_parameters(tmp_path)
    name = "LAW_66_2011.travel_food_min_per_day_vnd"
    assert params.at(name, date(2019, 12, 31), "travel.food").value is None
    assert params.at(name, date(2020, 1, 1), "travel.food").value == 70000


def test_lookup_before_the_first_value_raises_naming_parameter_date_and_rule(
    tmp_path: Path,
) -> None:
    _write(tmp_path, VALID)
    params = load_parameters(tmp_path)
    with pytest.raises(ParameterNotInForce) as info:
        params.at(NAME, date(2025, 6, 30), "essential_needs.food")
    error = info.value
    assert error.parameter == NAME
    assert error.on == date(2025, 6, 30)
    assert error.rule == "essential_needs.food"
    message = str(error)
    assert NAME in message
    assert "2025-06-30" in message
    assert "essential_needs.food" in message


def test_lookup_on_the_first_day_is_in_force(tmp_path: Path) -> None:
    _write(tmp_path, VALID)
    assert load_parameters(tmp_path)[NAME].at(date(2025, 7, 1), "r").value == 120


# --- the shipped set ----------------------------------------------------------------------


def test_shipped_set_loads_and_is_the_cached_set() -> None:
    shipped = load_parameters(PARAMETERS_DIR)
    national = national_parameters()
    assert national is national_parameters()
    assert set(shipped) == set(national)
    assert shipped.version == national.version
    assert len(shipped) == len(list(PARAMETERS_DIR.rglob("*.yaml")))


def test_shipped_set_has_the_parameters_the_brief_names() -> None:
    names = set(national_parameters())
    assert {
        "regime.cutover_date",
        "LAW_53_2024.food_cap_days",
        "LAW_66_2011.food_cap_days",
        "LAW_53_2024.school_support_years",
        "LAW_66_2011.school_support_years",
        "LAW_53_2024.hardship_requires_poor_household",
        "LAW_66_2011.hardship_requires_poor_household",
        "LAW_66_2011.application_window_months",
        "LAW_66_2011.travel_food_min_per_day_vnd",
        "health_insurance.base_salary_vnd",
        "health_insurance.contribution_per_mille",
    } <= names


def test_every_shipped_value_has_a_known_citation_and_a_typed_value() -> None:
    known = citations()
    for name, param in national_parameters().items():
        assert param.unit in UNITS, name
        assert param.values, name
        assert list(param.dates) == sorted(param.dates), name
        for value in param.values:
            assert value.cite in known, f"{name} {value.since}: {value.cite}"
            assert isinstance(value.confirmed, bool)
            if value.value is None:
                continue
            if param.unit == "vnd":
                assert type(value.value) is int, f"{name} {value.since}"
            elif param.unit == "bool":
                assert type(value.value) is bool, f"{name} {value.since}"
            elif param.unit == "date":
                assert type(value.value) is date, f"{name} {value.since}"
            else:
                assert type(value.value) is int, f"{name} {value.since}"


@pytest.mark.parametrize(
    ("name", "day", "expected", "confirmed"),
    [
        ("regime.cutover_date", date(2020, 1, 1), date(2025, 7, 1), True),
        ("LAW_53_2024.food_cap_days", date(2025, 7, 1), 120, True),
        ("LAW_66_2011.food_cap_days", date(2020, 1, 1), 60, True),
        ("LAW_53_2024.school_support_years", date(2025, 7, 1), 2, True),
        ("LAW_66_2011.school_support_years", date(2020, 1, 1), 1, True),
        ("LAW_53_2024.hardship_requires_poor_household", date(2025, 7, 1), False, False),
        ("LAW_66_2011.hardship_requires_poor_household", date(2020, 1, 1), True, True),
        ("LAW_66_2011.application_window_months", date(2020, 1, 1), 12, True),
        ("LAW_66_2011.travel_food_min_per_day_vnd", date(2020, 1, 1), 70000, True),
        ("health_insurance.base_salary_vnd", date(2023, 7, 1), 1800000, True),
        ("health_insurance.base_salary_vnd", date(2024, 7, 1), 2340000, True),
        ("health_insurance.base_salary_vnd", date(2026, 6, 30), 2340000, True),
        ("health_insurance.base_salary_vnd", date(2026, 7, 1), 2530000, True),
        ("health_insurance.contribution_per_mille", date(2025, 7, 1), 45, False),
    ],
)
def test_shipped_values_match_the_brief(
    name: str, day: date, expected: object, confirmed: bool
) -> None:
    value = national_parameters().at(name, day, "test")
    assert value.value == expected
    assert type(value.value) is type(expected)
    assert value.confirmed is confirmed


# --- source bugs found while writing these tests ------------------------------------------


def test_datetime_where_a_date_belongs_is_refused(tmp_path: Path) -> None:
    """BUG: a `unit: date` value written with a time loads as a datetime; comparing it with
    a case's reference date then raises TypeError in the middle of a calculation."""
    _write(
        tmp_path,
        """\
        description: cut-over
        unit: date
        values:
          2012-01-01: {value: 2025-07-01 10:00:00, cite: "L53-2024:63", confirmed: true}
        """,
        "regime/cutover_date.yaml",
    )
    error = _load_error(tmp_path)
    assert error.key == "values.2012-01-01.value"


def test_unhashable_unit_is_a_rules_data_error(tmp_path: Path) -> None:
    """BUG: `unit: [vnd]` crashes with TypeError (unhashable list) instead of a RulesDataError
    naming the file and the key."""
    path = _write(tmp_path, VALID.replace("unit: days", "unit: [days]"))
    error = _load_error(tmp_path)
    assert error.source == str(path)
    assert error.key == "unit"
