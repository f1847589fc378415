"""`vongtay report --province SLUG --year YYYY`: the provincial report's tables, its PNG chart
and its JSON, with no figure about fewer than 11 persons (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner

from cases.models import AuditLog
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import configured  # noqa: F401  (the fixture)
from tests.api.stats_population import assert_publishable, many, populate
from vongtay import cli
from vongtay.cli import app

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# received in March, moved on ten days later; 12 more received in July
PEOPLE = [
    *many(14, received_on=date(2025, 3, 3), stage="identified", groups={"a": 1_000_000}),
    *many(12, received_on=date(2025, 3, 5), stage="closed", sex="male"),
    *many(4, received_on=date(2025, 3, 7), stage="received"),
    *many(12, received_on=date(2025, 7, 1), stage="following_up", outcome="stable"),
]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(cli, "out", Console(width=240, color_system=None))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=240, color_system=None))
    return CliRunner(env={"NO_COLOR": "1"})


def test_the_report_prints_the_tables_and_writes_the_chart_and_the_json(
    configured: str,  # noqa: F811
    runner: CliRunner,
    tmp_path: Path,
) -> None:
    populate(PEOPLE)
    result = runner.invoke(
        app, ["report", "--province", "sample", "--year", "2025", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(_ANSI.sub("", result.output).split())
    for title in ("stage", "regime", "sex", "age band", "support group", "outcome"):
        assert title in text
    assert "persons by stage at month end" in text and "suppressed" in text

    chart = tmp_path / "report-sample-2025.png"
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(chart.read_bytes())) as picture:
        assert picture.format == "PNG" and picture.width > 0

    report = json.loads((tmp_path / "report-sample-2025.json").read_text(encoding="utf-8"))
    assert_publishable(report["stats"], PEOPLE)
    months = {m["month"]: m for m in report["by_month"]}
    assert list(months) == [f"2025-{m:02d}" for m in range(1, 13)]
    # nobody before March; at the end of March 30 persons, of whom 14 identified and 12
    # closed; the 4 still received are suppressed, and with them the next smallest stage
    assert months["2025-02"]["total"] is None
    march = {s["stage"]: s["persons"] for s in months["2025-03"]["stages"]}
    assert months["2025-03"]["total"] == 30
    assert march["identified"] == 10 and march["received"] is None and march["closed"] is None
    july = {s["stage"]: s["persons"] for s in months["2025-07"]["stages"]}
    assert months["2025-07"]["total"] == 40 and july["identified"] == 10
    for month in report["by_month"]:
        for stage in month["stages"]:
            assert stage["persons"] is None or (
                stage["persons"] >= 10 and stage["persons"] % 5 == 0
            )

    with UnitOfWork(write=False) as uow:
        audited = uow.session.scalars(select(AuditLog).where(AuditLog.action == "stats.report"))
        assert [(row.actor, row.detail) for row in audited] == [
            ("system", {"province": "sample", "year": 2025})
        ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--province", "atlantis", "--year", "2025"], "--province: not a province"),
        (["--province", "sample", "--year", "20x5"], "--year: not a year YYYY"),
        (["--province", "sample", "--year", "1999"], "--year: year must be from 2000"),
    ],
)
def test_a_bad_province_or_year_exits_2_with_a_clear_message(
    configured: str,  # noqa: F811
    runner: CliRunner,
    tmp_path: Path,
    arguments: list[str],
    message: str,
) -> None:
    out_dir = tmp_path / "out"
    result = runner.invoke(app, ["report", *arguments, "--out", str(out_dir)])
    assert result.exit_code == 2
    assert message in " ".join(_ANSI.sub("", result.output).split())
    assert not out_dir.exists()
