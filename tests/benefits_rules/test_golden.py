"""Every golden case runs as its own test, named by its `name`: the shared ones and ours."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import SHARED
from vongtay import golden

OWN_CASES = Path(__file__).parent / "rule_cases"


def _cases(directory: Path) -> list[object]:
    if not directory.is_dir():
        return [pytest.param(None, id=f"missing:{directory}")]
    params = []
    for path in golden.golden_files([directory]):
        name = yaml.safe_load(path.read_text(encoding="utf-8")).get("name", path.stem)
        params.append(pytest.param(path, id=name))
    return params


@pytest.mark.parametrize("path", _cases(SHARED / "golden"))
def test_shared_golden_case(path: Path | None) -> None:
    assert path is not None, "the shared golden folder is missing"
    result = golden.check_file(path)
    assert result.passed, result.line()


@pytest.mark.parametrize("path", _cases(OWN_CASES))
def test_own_rule_case(path: Path | None) -> None:
    assert path is not None
    result = golden.check_file(path)
    assert result.passed, result.line()
