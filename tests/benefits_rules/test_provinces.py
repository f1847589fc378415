"""Tests of the province registry (63 provinces until 2025-06-30, 34 from 2025-07-01)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from benefits_rules import provinces
from benefits_rules.provinces import (
    DATA_FILE,
    Province,
    ProvinceRegistryError,
    in_force_on,
    is_known,
    load_registry_file,
    registry,
    slugs_in_force_on,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATOR = REPO_ROOT / "scripts" / "generate_provinces.py"
LAST_DAY_OF_63 = date(2025, 6, 30)
FIRST_DAY_OF_34 = date(2025, 7, 1)


def _real(slugs: list[str]) -> list[str]:
    return [s for s in slugs if s != "sample"]


def test_63_provinces_on_2025_06_30() -> None:
    assert len(_real(slugs_in_force_on(LAST_DAY_OF_63))) == 63


def test_34_provinces_on_2025_07_01() -> None:
    assert len(_real(slugs_in_force_on(FIRST_DAY_OF_34))) == 34


def test_slugs_in_force_are_sorted_and_include_sample() -> None:
    slugs = slugs_in_force_on(FIRST_DAY_OF_34)
    assert slugs == sorted(slugs)
    assert "sample" in slugs


@pytest.mark.parametrize(
    "day", [date(1990, 1, 1), LAST_DAY_OF_63, FIRST_DAY_OF_34, date(2030, 1, 1)]
)
def test_sample_is_valid_at_every_date(day: date) -> None:
    assert in_force_on("sample", day)
    assert registry()["sample"].name == "Tỉnh mẫu (dữ liệu minh họa)"


def test_ha_giang_merged_into_tuyen_quang() -> None:
    assert in_force_on("ha-giang", LAST_DAY_OF_63)
    assert not in_force_on("ha-giang", date(2025, 8, 10))
    assert registry()["ha-giang"].merged_into == "tuyen-quang"
    assert in_force_on("tuyen-quang", LAST_DAY_OF_63)
    assert in_force_on("tuyen-quang", date(2025, 8, 10))


@pytest.mark.parametrize(
    ("old", "new"),
    [("ninh-thuan", "khanh-hoa"), ("binh-dinh", "gia-lai"), ("dak-nong", "lam-dong")],
)
def test_brief_examples_of_mergers(old: str, new: str) -> None:
    assert registry()[old].merged_into == new
    assert not in_force_on(old, FIRST_DAY_OF_34)
    assert in_force_on(new, LAST_DAY_OF_63)
    assert in_force_on(new, FIRST_DAY_OF_34)


def test_nghe_an_continues() -> None:
    entry = registry()["nghe-an"]
    assert entry.valid_from is None
    assert entry.valid_to is None
    assert entry.merged_into is None
    assert in_force_on("nghe-an", LAST_DAY_OF_63)
    assert in_force_on("nghe-an", FIRST_DAY_OF_34)


def test_thua_thien_hue_old_and_hue_new() -> None:
    assert in_force_on("thua-thien-hue", LAST_DAY_OF_63)
    assert not in_force_on("thua-thien-hue", FIRST_DAY_OF_34)
    assert registry()["thua-thien-hue"].merged_into == "hue"
    assert not in_force_on("hue", LAST_DAY_OF_63)
    assert in_force_on("hue", FIRST_DAY_OF_34)
    assert registry()["hue"].valid_from == FIRST_DAY_OF_34


@pytest.mark.parametrize("slug", ["ho-chi-minh", "ha-noi", "dak-lak", "lam-dong"])
def test_big_cities_and_continuing_provinces_present(slug: str) -> None:
    assert is_known(slug)
    assert in_force_on(slug, LAST_DAY_OF_63)
    assert in_force_on(slug, FIRST_DAY_OF_34)


def test_ba_ria_vung_tau_slug() -> None:
    assert registry()["ba-ria-vung-tau"].merged_into == "ho-chi-minh"


def test_unknown_slug() -> None:
    assert not is_known("atlantis")
    assert not in_force_on("atlantis", FIRST_DAY_OF_34)
    assert not in_force_on("", FIRST_DAY_OF_34)


def test_every_slug_is_well_formed() -> None:
    pattern = re.compile(r"^[a-z]+(-[a-z]+)*$")
    for slug, entry in registry().items():
        assert pattern.match(slug), slug
        assert entry.slug == slug
        assert entry.name.strip()


def test_merged_into_points_at_a_2025_province() -> None:
    for entry in registry().values():
        if entry.merged_into is not None:
            assert entry.valid_to == LAST_DAY_OF_63, entry.slug
            assert in_force_on(entry.merged_into, FIRST_DAY_OF_34), entry


def test_registry_is_cached() -> None:
    assert registry() is registry()


def test_province_bounds_are_inclusive() -> None:
    p = Province("x", "X", date(2020, 1, 1), date(2020, 12, 31), None)
    assert not p.in_force_on(date(2019, 12, 31))
    assert p.in_force_on(date(2020, 1, 1))
    assert p.in_force_on(date(2020, 12, 31))
    assert not p.in_force_on(date(2021, 1, 1))


def test_data_file_path() -> None:
    assert Path(provinces.__file__).parent / "data" / "provinces.yaml" == DATA_FILE
    assert DATA_FILE.read_text(encoding="utf-8").startswith("# GENERATED FILE")


# --- the strict loader ---------------------------------------------------------------

_GOOD_ENTRY = "  - slug: a\n    name: A\n    valid_from: null\n    valid_to: null\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_GOOD_ENTRY + "    colour: red\n", "colour"),
        ("provinces:\n  - slug: a\n    name: A\n    valid_from: null\n", "valid_to"),
        (_GOOD_ENTRY.replace("valid_to: null", "valid_to: 2025-13-01"), "valid_to"),
        (_GOOD_ENTRY.replace("valid_to: null", "valid_to: 30/06/2025"), "valid_to"),
        (_GOOD_ENTRY.replace("slug: a", "slug: Hà-Giang"), "slug"),
        (_GOOD_ENTRY + "    merged_into: nowhere\n", "merged_into"),
        (_GOOD_ENTRY + _GOOD_ENTRY, "duplicate slug"),
        (_GOOD_ENTRY + "    name: B\n", "duplicate key"),
        (
            _GOOD_ENTRY.replace("valid_from: null", "valid_from: 2025-07-01").replace(
                "valid_to: null", "valid_to: 2025-06-30"
            ),
            "valid_to",
        ),
    ],
)
def test_strict_loader_rejects(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "provinces.yaml"
    if not text.startswith("provinces:"):
        text = "provinces:\n" + text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProvinceRegistryError) as excinfo:
        load_registry_file(path)
    assert str(path) in str(excinfo.value)
    assert expected in str(excinfo.value)


def test_strict_loader_rejects_unknown_top_level_key(tmp_path: Path) -> None:
    path = tmp_path / "provinces.yaml"
    path.write_text("provinces: []\nversion: 2\n", encoding="utf-8")
    with pytest.raises(ProvinceRegistryError, match="version"):
        load_registry_file(path)


def test_strict_loader_reads_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "provinces.yaml"
    path.write_text(
        "provinces:\n" + _GOOD_ENTRY.replace("valid_to: null", "valid_to: 2025-06-30"),
        encoding="utf-8",
    )
    assert load_registry_file(path) == {"a": Province("a", "A", None, date(2025, 6, 30), None)}


# --- the committed file is what the generator writes ---------------------------------


def test_generator_reproduces_committed_file(tmp_path: Path) -> None:
    missing = [
        name
        for name in ("vietnam_provinces", "vietnamadminunits")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        pytest.skip(
            f"generator packages not importable ({', '.join(missing)}): install "
            "scripts/requirements-generate.txt to check benefits_rules/data/provinces.yaml"
        )
    output = tmp_path / "provinces.yaml"
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == DATA_FILE.read_bytes(), (
        "benefits_rules/data/provinces.yaml differs from the generator's output: rerun "
        "scripts/generate_provinces.py (or install the versions pinned in "
        "scripts/requirements-generate.txt)"
    )
