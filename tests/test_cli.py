"""The `vongtay` command line (design §4): `golden` and `compute`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from benefits_rules import compute
from tests.conftest import SHARED
from vongtay import cli
from vongtay.cli import app

GOLDEN = SHARED / "golden"
CASE_01 = GOLDEN / "01_adult_victim_full_journey.yaml"
CASE_15 = GOLDEN / "15_stay_ends_before_it_starts.yaml"
CASE_01_TOTAL = 14_083_600

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # A wide terminal, so that rich neither truncates item keys nor wraps error messages. The
    # module's consoles are replaced because rich fixes a console's width when it is created
    # with COLUMNS and LINES set (as under pytest-xdist), so an env override comes too late.
    monkeypatch.setattr(cli, "out", Console(width=240, color_system=None))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=240, color_system=None))
    return CliRunner(env={"NO_COLOR": "1"})


def _text(raw: str) -> str:
    """Output without colour codes, runs of white space folded."""
    return " ".join(_ANSI.sub("", raw).split())


def _lines(raw: str) -> list[str]:
    return [line for line in _ANSI.sub("", raw).splitlines() if line.strip()]


def _golden_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _without_expected(source: Path, target: Path) -> Path:
    data = _read(source)
    del data["expected"]
    return _write(target, data)


@pytest.fixture
def shared_golden(shared_dir: Path) -> Path:
    directory = shared_dir / "golden"
    assert directory.is_dir(), f"missing {directory}"
    assert CASE_01.is_file()
    return directory


# --- vongtay golden -----------------------------------------------------------------------


def test_golden_on_the_shared_directory_passes_every_file(
    runner: CliRunner, shared_golden: Path
) -> None:
    files = _golden_files(shared_golden)
    assert files
    result = runner.invoke(app, ["golden", str(shared_golden)])
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert lines[-1] == f"{len(files)} passed, 0 failed"
    case_lines = lines[:-1]
    assert len(case_lines) == len(files)
    for path, line in zip(files, case_lines, strict=True):
        assert line.startswith(f"PASS {path}: "), line
        assert line.removeprefix(f"PASS {path}: ") == _read(path)["name"]


@pytest.fixture
def mixed_dir(tmp_path: Path, shared_golden: Path) -> Path:
    directory = tmp_path / "cases"
    directory.mkdir()
    shutil.copy(CASE_01, directory / "a_pass.yaml")
    wrong = _read(CASE_01)
    wrong["expected"]["total_vnd"] = CASE_01_TOTAL + 1
    _write(directory / "b_wrong_total.yaml", wrong)
    missing = _read(CASE_01)
    del missing["expected"]
    _write(directory / "c_missing_expected.yaml", missing)
    unknown = _read(CASE_01)
    unknown["comment"] = "a key the format does not have"
    _write(directory / "d_unknown_key.yml", unknown)
    (directory / "notes.txt").write_text("expected: nothing; not a case\n", encoding="utf-8")
    return directory


def test_golden_reports_each_failure_naming_the_key(runner: CliRunner, mixed_dir: Path) -> None:
    result = runner.invoke(app, ["golden", str(mixed_dir)])
    assert result.exit_code == 1, result.output
    lines = _lines(result.stdout)
    assert lines[-1] == "1 passed, 3 failed"
    assert len(lines) == 5
    by_file = {line.split(":", 1)[0]: line for line in lines[:-1]}
    assert set(by_file) == {
        f"PASS {mixed_dir / 'a_pass.yaml'}",
        f"FAIL {mixed_dir / 'b_wrong_total.yaml'}",
        f"FAIL {mixed_dir / 'c_missing_expected.yaml'}",
        f"FAIL {mixed_dir / 'd_unknown_key.yml'}",
    }
    wrong = by_file[f"FAIL {mixed_dir / 'b_wrong_total.yaml'}"]
    assert "total_vnd" in wrong
    assert str(CASE_01_TOTAL + 1) in wrong
    assert str(CASE_01_TOTAL) in wrong
    assert "expected: missing" in by_file[f"FAIL {mixed_dir / 'c_missing_expected.yaml'}"]
    assert "comment: unknown key" in by_file[f"FAIL {mixed_dir / 'd_unknown_key.yml'}"]
    assert "notes.txt" not in result.stdout


def test_golden_takes_a_file_as_well_as_a_directory(runner: CliRunner, mixed_dir: Path) -> None:
    passing = mixed_dir / "a_pass.yaml"
    result = runner.invoke(app, ["golden", str(passing)])
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout) == [
        f"PASS {passing}: {_read(passing)['name']}",
        "1 passed, 0 failed",
    ]


def test_golden_takes_several_paths(
    runner: CliRunner, mixed_dir: Path, shared_golden: Path
) -> None:
    result = runner.invoke(
        app, ["golden", str(mixed_dir / "b_wrong_total.yaml"), str(shared_golden)]
    )
    assert result.exit_code == 1
    assert _lines(result.stdout)[-1] == f"{len(_golden_files(shared_golden))} passed, 1 failed"


def test_golden_on_a_missing_path_fails(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = runner.invoke(app, ["golden", str(missing)])
    assert result.exit_code == 1
    lines = _lines(result.stdout)
    assert lines[0].startswith(f"FAIL {missing}")
    assert lines[-1] == "0 passed, 1 failed"


def test_golden_with_malformed_rates_is_a_fail_not_a_crash(
    runner: CliRunner, tmp_path: Path, shared_golden: Path
) -> None:
    data = _read(CASE_01)
    data["rates"]["food_per_day_vnd"][0]["value"] = 70000.5
    path = _write(tmp_path / "bad_rates.yaml", data)
    result = runner.invoke(app, ["golden", str(path)])
    assert result.exit_code == 1
    lines = _lines(result.stdout)
    assert lines[0].startswith(f"FAIL {path}")
    assert "malformed" in lines[0]
    assert "rates.food_per_day_vnd.0.value" in lines[0]
    assert lines[-1] == "0 passed, 1 failed"


def test_golden_with_an_unknown_rate_key_fails_naming_the_key(
    runner: CliRunner, tmp_path: Path, shared_golden: Path
) -> None:
    """BUG: a misspelt rate key in a golden file's `rates` (`food_vnd`) is not reported as
    malformed: `benefits_rules.rates.schedule_for` takes the mapping for rates by province,
    silently drops every supplied rate and computes with the shipped (here empty) schedule."""
    data = _read(CASE_01)
    data["rates"]["food_vnd"] = data["rates"].pop("food_per_day_vnd")
    path = _write(tmp_path / "bad_rates.yaml", data)
    result = runner.invoke(app, ["golden", str(path)])
    assert result.exit_code == 1
    lines = _lines(result.stdout)
    assert lines[0].startswith(f"FAIL {path}")
    assert "malformed" in lines[0]
    assert "food_vnd" in lines[0]


def test_console_script_is_installed(shared_golden: Path) -> None:
    script = shutil.which("vongtay", path=str(Path(sys.executable).parent))
    assert script is not None, f"no vongtay console script beside {sys.executable}"
    done = subprocess.run(
        [script, "golden", str(CASE_01)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 passed, 0 failed"


# --- vongtay compute ----------------------------------------------------------------------


def test_compute_prints_the_items_table_and_the_total(
    runner: CliRunner, tmp_path: Path, shared_golden: Path
) -> None:
    path = _without_expected(CASE_01, tmp_path / "case.yaml")
    result = runner.invoke(app, ["compute", str(path)])
    assert result.exit_code == 0, result.output
    text = _text(result.stdout)
    assert "Total granted: 14,083,600 VND" in text
    assert "LAW_53_2024" in text
    for key in _read(CASE_01)["expected"]["items"]:
        assert key in text, key
    assert "4,270,000" in text
    assert "1,263,600" in text
    assert "LEGAL CHECK" in text


def test_compute_json(runner: CliRunner, tmp_path: Path, shared_golden: Path) -> None:
    path = _without_expected(CASE_01, tmp_path / "case.yaml")
    result = runner.invoke(app, ["compute", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total_vnd"] == CASE_01_TOTAL
    assert data["regime"] == "LAW_53_2024"
    assert data["as_of"] == "2025-10-15"
    assert isinstance(data["input_hash"], str)
    assert data["input_hash"]
    expected = _read(CASE_01)["expected"]
    assert {item["key"] for item in data["items"]} == set(expected["items"])
    assert set(data["needs_legal_check"]) == set(expected["needs_legal_check"])
    for item in data["items"]:
        assert isinstance(item["trace"], dict), item["key"]
        assert item["trace"]["rule"]
    food = next(item for item in data["items"] if item["key"] == "essential_needs.food")
    assert food["amount_vnd"] == 4_270_000
    assert food["quantity"] == 61


def test_compute_accepts_a_file_with_expected(runner: CliRunner, shared_golden: Path) -> None:
    result = runner.invoke(app, ["compute", str(CASE_01), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total_vnd"] == CASE_01_TOTAL


def test_compute_as_of_option_overrides_the_files_date(
    runner: CliRunner, tmp_path: Path, shared_golden: Path
) -> None:
    path = _without_expected(CASE_01, tmp_path / "case.yaml")
    result = runner.invoke(app, ["compute", str(path), "--as-of", "2026-07-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-07-01"
    insurance = next(i for i in data["items"] if i["key"] == "medical.health_insurance")
    assert insurance["amount_vnd"] == 1_366_200  # 12 x round(2,530,000 x 45 / 1000)


@pytest.fixture
def bare_facts(tmp_path: Path, shared_golden: Path) -> tuple[Path, dict[str, Any]]:
    facts = _read(CASE_01)["facts"]
    facts["province"] = "sample"
    return _write(tmp_path / "facts.yaml", facts), facts


def test_compute_bare_facts_with_as_of(
    runner: CliRunner, bare_facts: tuple[Path, dict[str, Any]]
) -> None:
    path, facts = bare_facts
    result = runner.invoke(app, ["compute", str(path), "--as-of", "2025-10-15", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = compute(facts, date(2025, 10, 15))
    assert data["as_of"] == "2025-10-15"
    assert data["total_vnd"] == expected.total_vnd
    assert data["input_hash"] == expected.input_hash
    assert [item["key"] for item in data["items"]] == [item.key for item in expected.items]
    assert data["uses_sample_rates"] is True


def test_compute_bare_facts_table_prints_the_sample_notice(
    runner: CliRunner, bare_facts: tuple[Path, dict[str, Any]]
) -> None:
    path, facts = bare_facts
    result = runner.invoke(app, ["compute", str(path), "--as-of", "2025-10-15"])
    assert result.exit_code == 0, result.output
    text = _text(result.stdout)
    assert "MẪU" in text
    total = compute(facts, date(2025, 10, 15)).total_vnd
    assert f"Total granted: {total:,} VND" in text


def test_compute_bare_facts_default_to_today(
    runner: CliRunner, bare_facts: tuple[Path, dict[str, Any]]
) -> None:
    path, _ = bare_facts
    before = cli.today_in_viet_nam()
    result = runner.invoke(app, ["compute", str(path), "--json"])
    after = cli.today_in_viet_nam()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] in {before.isoformat(), after.isoformat()}


def test_compute_invalid_facts_exit_2_naming_field_and_rule(
    runner: CliRunner, tmp_path: Path, shared_golden: Path
) -> None:
    path = _without_expected(CASE_15, tmp_path / "case.yaml")
    result = runner.invoke(app, ["compute", str(path)])
    assert result.exit_code == 2
    text = _text(result.stderr)
    assert "stay.to" in text
    assert "not_before_stay_from" in text
    assert "Total granted" not in result.stdout


def test_compute_invalid_facts_json(runner: CliRunner, tmp_path: Path, shared_golden: Path) -> None:
    path = _without_expected(CASE_15, tmp_path / "case.yaml")
    result = runner.invoke(app, ["compute", str(path), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data == {"error": "FactsError", "field": "stay.to", "rule": "not_before_stay_from"}


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        pytest.param({"status": "refugee"}, "status", "unknown_value", id="unknown-value"),
        pytest.param({"nationalty": "vietnamese"}, "nationalty", "unknown_fact", id="unknown"),
        pytest.param({"insured": "yes"}, "insured", "invalid_type", id="invalid-type"),
        pytest.param(
            {"costs": {"health_check_vnd": 150000.5}},
            "costs.health_check_vnd",
            "integer_vnd",
            id="float-vnd",
        ),
    ],
)
def test_compute_bare_invalid_facts_exit_2(
    runner: CliRunner,
    bare_facts: tuple[Path, dict[str, Any]],
    change: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    path, facts = bare_facts
    _write(path, {**facts, **change})
    result = runner.invoke(app, ["compute", str(path), "--as-of", "2025-10-15"])
    assert result.exit_code == 2, result.output
    text = _text(result.stderr)
    assert f"field {field}," in text
    assert f"rule {rule}" in text


def test_compute_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = runner.invoke(app, ["compute", str(missing)])
    assert result.exit_code == 2
    assert "no such file" in _text(result.stderr)


@pytest.mark.parametrize("bad", ["01/07/2025", "2025-13-01", "tomorrow"])
def test_compute_as_of_not_a_date_exits_2(
    runner: CliRunner, bare_facts: tuple[Path, dict[str, Any]], bad: str
) -> None:
    path, _ = bare_facts
    result = runner.invoke(app, ["compute", str(path), "--as-of", bad])
    assert result.exit_code == 2
    assert "--as-of" in _text(result.stderr)


def test_compute_file_that_is_not_a_mapping_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- status: victim\n", encoding="utf-8")
    result = runner.invoke(app, ["compute", str(path), "--as-of", "2025-10-15"])
    assert result.exit_code == 2
    assert str(path) in _text(result.stderr)


# `vongtay demo` is tested end to end under the Prefect harness: tests/flows/test_demo_privacy.py
