"""The strict loader of provincial rate schedules (`benefits_rules/rates/<province>.yaml`)."""

from __future__ import annotations

import copy
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from benefits_rules.errors import RulesDataError
from benefits_rules.schedules import (
    CASE_SUPPLIED,
    RATE_KEYS,
    RATES_DIR,
    REGIMES,
    RateSchedule,
    ScheduleSet,
    empty_schedule,
    inline_schedule,
    load_schedules,
    parse_schedule,
    shipped_schedules,
)

SOURCE = "test-schedule.yaml"
JULY_2025 = date(2025, 7, 1)


def _valid() -> dict[str, Any]:
    """A valid schedule, as the YAML reader returns it."""
    return {
        "province": "khanh-hoa",
        "sources": {
            "nq-2020": {
                "document": "Nghị quyết của HĐND tỉnh Khánh Hòa",
                "article": "Điều 3",
                "date": date(2020, 7, 20),
                "url": "https://example.org/nq",
            }
        },
        "rates": {
            "food_per_day_vnd": [
                {
                    "from": date(2020, 8, 1),
                    "value": 60000,
                    "source": "nq-2020",
                    "confirmed": True,
                    "under": "LAW_66_2011",
                }
            ],
            "travel_food_max_days": [
                {
                    "from": date(2020, 8, 1),
                    "value": 5,
                    "source": "nq-2020",
                    "confirmed": False,
                    "under": "LAW_66_2011",
                }
            ],
        },
    }


def _entry(data: dict[str, Any], key: str = "food_per_day_vnd", i: int = 0) -> dict[str, Any]:
    entry: dict[str, Any] = data["rates"][key][i]
    return entry


def _parse_error(data: Any, expected_province: str | None = None) -> RulesDataError:
    with pytest.raises(RulesDataError) as info:
        parse_schedule(data, SOURCE, expected_province)
    assert info.value.source == SOURCE
    assert SOURCE in str(info.value)
    return info.value


# --- a valid schedule ---------------------------------------------------------------------


def test_a_valid_schedule_parses() -> None:
    schedule = parse_schedule(_valid(), SOURCE, "khanh-hoa")
    assert isinstance(schedule, RateSchedule)
    assert schedule.province == "khanh-hoa"
    assert schedule.sample is False
    assert set(schedule.series) == {"food_per_day_vnd", "travel_food_max_days"}
    found = schedule.at("food_per_day_vnd", date(2020, 8, 1))
    assert found is not None
    assert found.value == 60000
    assert found.confirmed is True
    assert found.under == "LAW_66_2011"
    assert found.cite == "rate:khanh-hoa:food_per_day_vnd"
    assert found.citation == (
        "Nghị quyết của HĐND tỉnh Khánh Hòa, Điều 3, ngày 20/07/2020, https://example.org/nq"
    )
    assert schedule.at("food_per_day_vnd", date(2020, 7, 31)) is None
    assert schedule.at("personal_items_vnd", date(2021, 1, 1)) is None


def test_values_are_found_by_date_in_force_whatever_their_order() -> None:
    data = _valid()
    later = dict(_entry(data), **{"from": date(2025, 7, 1), "value": 80000})
    data["rates"]["food_per_day_vnd"].insert(0, later)
    schedule = parse_schedule(data, SOURCE)
    on_last_old_day = schedule.at("food_per_day_vnd", date(2025, 6, 30))
    on_first_new_day = schedule.at("food_per_day_vnd", JULY_2025)
    assert on_last_old_day is not None
    assert on_last_old_day.value == 60000
    assert on_first_new_day is not None
    assert on_first_new_day.value == 80000


def test_sample_flag_is_kept() -> None:
    data = _valid()
    data["sample"] = True
    assert parse_schedule(data, SOURCE).sample is True


def test_a_null_value_ends_a_rate() -> None:
    data = _valid()
    ended = dict(_entry(data), **{"from": date(2025, 7, 1), "value": None})
    data["rates"]["food_per_day_vnd"].append(ended)
    schedule = parse_schedule(data, SOURCE)
    before = schedule.at("food_per_day_vnd", date(2025, 6, 30))
    assert before is not None
    assert before.value == 60000
    assert schedule.at("food_per_day_vnd", JULY_2025) is None
    assert schedule.at("food_per_day_vnd", date(2027, 12, 1)) is None
    assert schedule.series["food_per_day_vnd"].at(JULY_2025) is None


def test_a_rate_can_restart_after_a_null() -> None:
    data = _valid()
    rates = data["rates"]["food_per_day_vnd"]
    rates.append(dict(_entry(data), **{"from": date(2025, 7, 1), "value": None}))
    rates.append(dict(_entry(data), **{"from": date(2026, 1, 1), "value": 90000}))
    schedule = parse_schedule(data, SOURCE)
    assert schedule.at("food_per_day_vnd", date(2025, 12, 31)) is None
    restarted = schedule.at("food_per_day_vnd", date(2026, 1, 1))
    assert restarted is not None
    assert restarted.value == 90000


def test_empty_schedule_has_no_rate() -> None:
    schedule = empty_schedule("nghe-an")
    assert schedule.province == "nghe-an"
    assert all(schedule.at(key, JULY_2025) is None for key in RATE_KEYS)


# --- strictness ---------------------------------------------------------------------------


def _unknown_rate_key(data: dict[str, Any]) -> None:
    data["rates"]["food_vnd"] = data["rates"].pop("food_per_day_vnd")


def _unknown_top_key(data: dict[str, Any]) -> None:
    data["rate"] = {}


def _unknown_province(data: dict[str, Any]) -> None:
    data["province"] = "atlantis"


def _province_not_text(data: dict[str, Any]) -> None:
    data["province"] = 42


def _unknown_value_key(data: dict[str, Any]) -> None:
    _entry(data)["form"] = date(2020, 8, 1)


def _missing(field: str) -> Any:
    def mutate(data: dict[str, Any]) -> None:
        del _entry(data)[field]

    return mutate


def _set(field: str, value: Any, key: str = "food_per_day_vnd") -> Any:
    def mutate(data: dict[str, Any]) -> None:
        _entry(data, key)[field] = value

    return mutate


def _same_day_twice(data: dict[str, Any]) -> None:
    data["rates"]["food_per_day_vnd"].append(dict(_entry(data), value=70000))


def _no_rates(data: dict[str, Any]) -> None:
    del data["rates"]


def _empty_rate(data: dict[str, Any]) -> None:
    data["rates"]["food_per_day_vnd"] = []


def _unknown_source_key(data: dict[str, Any]) -> None:
    data["sources"]["nq-2020"]["number"] = "15/2020"


def _source_without_document(data: dict[str, Any]) -> None:
    del data["sources"]["nq-2020"]["document"]


def _source_date_not_iso(data: dict[str, Any]) -> None:
    data["sources"]["nq-2020"]["date"] = "20/07/2020"


def _sample_not_bool(data: dict[str, Any]) -> None:
    data["sample"] = "yes"


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        pytest.param(_unknown_rate_key, "rates.food_vnd", "unknown rate key", id="unknown-rate"),
        pytest.param(_unknown_top_key, "rate", "unknown key", id="unknown-top-level-key"),
        pytest.param(_unknown_province, "province", "registry", id="province-not-in-registry"),
        pytest.param(_province_not_text, "province", "registry", id="province-not-text"),
        pytest.param(
            _unknown_value_key, "rates.food_per_day_vnd.0.form", "unknown key", id="value-key"
        ),
        pytest.param(
            _missing("source"), "rates.food_per_day_vnd.0.source", "missing", id="no-source"
        ),
        pytest.param(
            _missing("confirmed"),
            "rates.food_per_day_vnd.0.confirmed",
            "missing",
            id="no-confirmed",
        ),
        pytest.param(_missing("under"), "rates.food_per_day_vnd.0.under", "missing", id="no-under"),
        pytest.param(_missing("from"), "rates.food_per_day_vnd.0.from", "missing", id="no-from"),
        pytest.param(_missing("value"), "rates.food_per_day_vnd.0.value", "missing", id="no-value"),
        pytest.param(
            _set("under", "LAW_2030"), "rates.food_per_day_vnd.0.under", "one of", id="bad-under"
        ),
        pytest.param(
            _set("under", "law_53_2024"),
            "rates.food_per_day_vnd.0.under",
            "one of",
            id="under-wrong-case",
        ),
        pytest.param(
            _set("source", "nq-2021"),
            "rates.food_per_day_vnd.0.source",
            "sources",
            id="source-not-declared",
        ),
        pytest.param(
            _set("confirmed", "true"),
            "rates.food_per_day_vnd.0.confirmed",
            "true or false",
            id="confirmed-not-bool",
        ),
        pytest.param(
            _set("value", 60000.0),
            "rates.food_per_day_vnd.0.value",
            "whole number of VND",
            id="float-vnd",
        ),
        pytest.param(
            _set("value", True),
            "rates.food_per_day_vnd.0.value",
            "whole number of VND",
            id="bool-vnd",
        ),
        pytest.param(
            _set("value", "60k"),
            "rates.food_per_day_vnd.0.value",
            "whole number of VND",
            id="string-vnd",
        ),
        pytest.param(
            _set("value", -60000),
            "rates.food_per_day_vnd.0.value",
            "negative",
            id="negative-vnd",
        ),
        pytest.param(
            _set("value", 2.5, "travel_food_max_days"),
            "rates.travel_food_max_days.0.value",
            "whole number",
            id="float-days",
        ),
        pytest.param(
            _set("from", "2020-8-1"), "rates.food_per_day_vnd.0.from", "ISO date", id="from-text"
        ),
        pytest.param(
            _set("from", "2020-08-01"),
            "rates.food_per_day_vnd.0.from",
            "ISO date",
            id="from-quoted-iso",
        ),
        pytest.param(
            _same_day_twice, "rates.food_per_day_vnd.1.from", "same day", id="two-values-same-day"
        ),
        pytest.param(_no_rates, "rates", "mapping", id="no-rates"),
        pytest.param(_empty_rate, "rates.food_per_day_vnd", "non-empty", id="empty-rate"),
        pytest.param(_unknown_source_key, "sources.nq-2020.number", "unknown key", id="source-key"),
        pytest.param(
            _source_without_document, "sources.nq-2020.document", "missing", id="no-document"
        ),
        pytest.param(_source_date_not_iso, "sources.nq-2020.date", "ISO date", id="source-date"),
        pytest.param(_sample_not_bool, "sample", "true or false", id="sample-not-bool"),
    ],
)
def test_malformed_schedule_fails_naming_the_key(mutate: Any, key: str, problem: str) -> None:
    data = _valid()
    mutate(data)
    error = _parse_error(data)
    assert error.key == key
    assert problem in error.problem
    assert key in str(error)


def test_not_a_mapping_is_refused() -> None:
    assert _parse_error(["province", "khanh-hoa"]).key == "-"


def test_province_must_match_the_expected_one() -> None:
    error = _parse_error(_valid(), expected_province="ha-giang")
    assert error.key == "province"
    assert "file name" in error.problem
    assert "ha-giang" in error.problem


# --- through files ------------------------------------------------------------------------

FILE_TEXT = """\
province: hau-giang
sources:
  nq:
    document: Nghị quyết của HĐND tỉnh Hậu Giang
    date: 2020-07-07
rates:
  travel_food_per_day_vnd:
    - {from: 2020-07-17, value: 70000, source: nq, confirmed: true, under: LAW_66_2011}
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_load_schedules_reads_each_province_file(tmp_path: Path) -> None:
    _write(tmp_path, "hau-giang.yaml", FILE_TEXT)
    _write(tmp_path, "notes.txt", "not a schedule")
    schedules = load_schedules(tmp_path)
    assert isinstance(schedules, ScheduleSet)
    assert list(schedules) == ["hau-giang"]
    found = schedules["hau-giang"].at("travel_food_per_day_vnd", date(2020, 7, 17))
    assert found is not None
    assert found.value == 70000
    assert found.citation == "Nghị quyết của HĐND tỉnh Hậu Giang, ngày 07/07/2020"
    assert len(schedules.version) == 16


def test_province_not_matching_the_file_name_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "khanh-hoa.yaml", FILE_TEXT)
    with pytest.raises(RulesDataError) as info:
        load_schedules(tmp_path)
    assert info.value.source == str(path)
    assert info.value.key == "province"
    assert "khanh-hoa" in info.value.problem


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        pytest.param(
            FILE_TEXT.replace("value: 70000", "value: 70000.0"),
            "rates.travel_food_per_day_vnd.0.value",
            "whole number of VND",
            id="float-vnd",
        ),
        pytest.param(
            FILE_TEXT.replace("from: 2020-07-17", "from: 17/07/2020"),
            "rates.travel_food_per_day_vnd.0.from",
            "ISO date",
            id="non-iso-from",
        ),
        pytest.param(
            FILE_TEXT + "  travel_food_per_day_vnd:\n"
            "    - {from: 2021-01-01, value: 1, source: nq, confirmed: true, under: LAW_66_2011}\n",
            "travel_food_per_day_vnd",
            "duplicate key",
            id="rate-key-twice",
        ),
        pytest.param(
            FILE_TEXT.replace("confirmed: true,", "confirmed: true, confirmed: false,"),
            "confirmed",
            "duplicate key",
            id="value-key-twice",
        ),
        pytest.param(
            FILE_TEXT.replace("province: hau-giang\n", "province: hau-giang\nprovince: ha-giang\n"),
            "province",
            "duplicate key",
            id="province-twice",
        ),
        pytest.param(
            FILE_TEXT.replace("under: LAW_66_2011", "under: LAW_66_2011, note: x"),
            "rates.travel_food_per_day_vnd.0.note",
            "unknown key",
            id="unknown-value-key",
        ),
    ],
)
def test_malformed_file_fails_naming_file_and_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = _write(tmp_path, "hau-giang.yaml", text)
    with pytest.raises(RulesDataError) as info:
        load_schedules(tmp_path)
    assert info.value.source == str(path)
    assert info.value.key == key
    assert problem in info.value.problem


# --- inline schedules (one case's rates) --------------------------------------------------


@pytest.mark.parametrize("regime", REGIMES)
def test_inline_schedule_defaults(regime: str) -> None:
    schedule = inline_schedule(
        {"food_per_day_vnd": [{"from": date(2025, 7, 1), "value": 70000}]}, "quang-ninh", regime
    )
    assert schedule.province == "quang-ninh"
    assert schedule.sample is False
    found = schedule.at("food_per_day_vnd", date(2025, 8, 1))
    assert found is not None
    assert found.value == 70000
    assert found.confirmed is True
    assert found.under == regime
    assert found.citation == CASE_SUPPLIED == "case-supplied rate"
    assert found.cite == "rate:quang-ninh:food_per_day_vnd"
    assert found.province == "quang-ninh"
    assert found.key == "food_per_day_vnd"
    assert schedule.at("food_per_day_vnd", date(2025, 6, 30)) is None


def test_inline_schedule_accepts_iso_text_dates_and_explicit_fields() -> None:
    schedule = inline_schedule(
        {
            "initial_hardship_allowance_vnd": [
                {
                    "from": "2020-07-20",
                    "value": 3000000,
                    "confirmed": False,
                    "under": "LAW_66_2011",
                    "citation": "NQ 15/2020/NQ-HĐND",
                }
            ]
        },
        "sample",
        "LAW_53_2024",
    )
    found = schedule.at("initial_hardship_allowance_vnd", date(2025, 8, 1))
    assert found is not None
    assert found.since == date(2020, 7, 20)
    assert found.confirmed is False
    assert found.under == "LAW_66_2011"
    assert found.citation == "NQ 15/2020/NQ-HĐND"
    assert found.cite == "rate:sample:initial_hardship_allowance_vnd"


def test_inline_null_ends_a_rate() -> None:
    schedule = inline_schedule(
        {
            "food_per_day_vnd": [
                {"from": date(2025, 7, 1), "value": 70000},
                {"from": date(2026, 1, 1), "value": None},
            ]
        },
        "quang-ninh",
        "LAW_53_2024",
    )
    assert schedule.at("food_per_day_vnd", date(2025, 12, 31)) is not None
    assert schedule.at("food_per_day_vnd", date(2026, 1, 1)) is None


def test_inline_none_is_an_empty_schedule() -> None:
    schedule = inline_schedule(None, "quang-ninh", "LAW_53_2024")
    assert dict(schedule.series) == {}


@pytest.mark.parametrize(
    ("rates", "key"),
    [
        pytest.param({"food_vnd": []}, "food_vnd", id="unknown-rate-key"),
        pytest.param({"food_per_day_vnd": {"from": "2025-07-01"}}, "food_per_day_vnd", id="list"),
        pytest.param(
            {"food_per_day_vnd": [{"from": "2025-07-01", "value": 1.5}]},
            "rates.food_per_day_vnd.0.value",
            id="float-vnd",
        ),
        pytest.param(
            {"food_per_day_vnd": [{"from": "2025-07-01", "value": -1}]},
            "rates.food_per_day_vnd.0.value",
            id="negative",
        ),
        pytest.param(
            {"food_per_day_vnd": [{"from": "2025-7-1", "value": 1}]},
            "rates.food_per_day_vnd.0.from",
            id="non-iso-from",
        ),
        pytest.param(
            {"food_per_day_vnd": [{"from": "2025-07-01"}]},
            "rates.food_per_day_vnd.0.value",
            id="no-value",
        ),
        pytest.param(
            {"food_per_day_vnd": [{"from": "2025-07-01", "value": 1, "source": "x"}]},
            "rates.food_per_day_vnd.0.source",
            id="unknown-key",
        ),
        pytest.param(
            {"food_per_day_vnd": [{"from": "2025-07-01", "value": 1, "under": "LAW_X"}]},
            "rates.food_per_day_vnd.0.under",
            id="bad-under",
        ),
        pytest.param(
            {"food_per_day_vnd": [{"from": "2025-07-01", "value": 1, "confirmed": "yes"}]},
            "rates.food_per_day_vnd.0.confirmed",
            id="confirmed-not-bool",
        ),
        pytest.param(
            {"food_per_day_vnd": [{"from": "2025-07-01", "value": 1, "citation": " "}]},
            "rates.food_per_day_vnd.0.citation",
            id="blank-citation",
        ),
    ],
)
def test_inline_schedule_is_strict(rates: dict[str, Any], key: str) -> None:
    with pytest.raises(RulesDataError) as info:
        inline_schedule(copy.deepcopy(rates), "quang-ninh", "LAW_53_2024")
    assert info.value.source == "rates"
    assert info.value.key == key


# --- the shipped schedules ----------------------------------------------------------------


def test_shipped_schedules_load_and_match_their_file_names() -> None:
    shipped = shipped_schedules()
    assert shipped is shipped_schedules()
    files = sorted(path.stem for path in RATES_DIR.glob("*.yaml"))
    assert sorted(shipped) == files
    assert {"ha-giang", "khanh-hoa", "binh-dinh", "hau-giang", "sample"} <= set(shipped)
    for province, schedule in shipped.items():
        assert schedule.province == province
        assert schedule.sample is (province == "sample")


@pytest.mark.parametrize(
    ("province", "key", "value", "since"),
    [
        ("ha-giang", "food_per_day_vnd", 60000, date(2020, 7, 20)),
        ("ha-giang", "personal_items_vnd", 500000, date(2020, 7, 20)),
        ("ha-giang", "medicines_flat_vnd", 200000, date(2020, 7, 20)),
        ("ha-giang", "initial_hardship_allowance_vnd", 3000000, date(2020, 7, 20)),
        ("ha-giang", "travel_food_per_day_vnd", 100000, date(2020, 7, 20)),
        ("khanh-hoa", "initial_hardship_allowance_vnd", 2000000, date(2020, 8, 1)),
        ("khanh-hoa", "travel_food_per_day_vnd", 100000, date(2020, 8, 1)),
        ("binh-dinh", "initial_hardship_allowance_vnd", 2000000, date(2020, 8, 7)),
        ("binh-dinh", "travel_food_per_day_vnd", 100000, date(2020, 8, 7)),
        ("hau-giang", "travel_food_per_day_vnd", 70000, date(2020, 7, 17)),
        ("hau-giang", "initial_hardship_allowance_vnd", 1000000, date(2020, 7, 17)),
    ],
)
def test_shipped_provincial_rates_match_the_brief(
    province: str, key: str, value: int, since: date
) -> None:
    schedule = shipped_schedules()[province]
    assert schedule.at(key, date.fromordinal(since.toordinal() - 1)) is None
    found = schedule.at(key, since)
    assert found is not None
    assert found.value == value
    assert found.since == since
    assert found.confirmed is True
    assert found.under == "LAW_66_2011"


# --- source bug found while writing these tests -------------------------------------------


def test_unhashable_source_is_a_rules_data_error() -> None:
    """BUG: `source: [nq-2020]` crashes with TypeError (unhashable list) instead of a
    RulesDataError naming the key."""
    data = _valid()
    _entry(data)["source"] = ["nq-2020"]
    error = _parse_error(data)
    assert error.key == "rates.food_per_day_vnd.0.source"
