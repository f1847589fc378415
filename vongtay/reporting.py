"""`vongtay report`: the provincial report printed as tables and written as PNG and JSON.

Everything shown comes from `cases.statistics.provincial_report`, which has already applied
the disclosure rule; this module only lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cases.stats_schemas import CellRead, ReportRead, TableRead

SUPPRESSED_MARK = "·"


@dataclass(frozen=True, slots=True)
class Written:
    """The report's files."""

    chart: Path
    data: Path


def _count(cell: CellRead) -> str:
    return SUPPRESSED_MARK if cell.persons is None else f"{cell.persons:,}"


def _money(cell: CellRead) -> str:
    return SUPPRESSED_MARK if cell.amount_vnd is None else f"{cell.amount_vnd:,}"


def table_of(table: TableRead) -> Table:
    """One dimension as a rich table, suppressed figures shown as a dot."""
    out = Table(title=table.dimension.replace("_", " "), title_justify="left")
    out.add_column(table.dimension)
    out.add_column("persons", justify="right")
    out.add_column("support (VND)", justify="right")
    for cell in table.cells:
        out.add_row(cell.value, _count(cell), _money(cell))
    out.add_row("[bold]total[/]", _count(table.total), _money(table.total))
    return out


def months_table(report: ReportRead) -> Table:
    """Persons by stage at each month's end."""
    stages = [s.stage for s in report.by_month[0].stages] if report.by_month else []
    out = Table(title="persons by stage at month end", title_justify="left")
    out.add_column("month")
    for stage in stages:
        out.add_column(stage.replace("_", " "), justify="right")
    out.add_column("total", justify="right")
    for month in report.by_month:
        counts = {s.stage: s.persons for s in month.stages}
        out.add_row(
            month.month,
            *[SUPPRESSED_MARK if counts.get(s) is None else str(counts[s]) for s in stages],
            SUPPRESSED_MARK if month.total is None else str(month.total),
        )
    return out


def print_report(report: ReportRead, console: Console) -> None:
    """Every table of the report, then the rule the figures obey."""
    stats = report.stats
    console.print(
        f"[bold]Provincial report[/]: {stats.province or 'all provinces'}, persons received "
        f"in {stats.year}"
    )
    for dimension in ("stage", "regime", "sex", "age_band", "support_group", "outcome"):
        console.print(table_of(getattr(stats, dimension)))
    console.print(months_table(report))
    console.print(f"{SUPPRESSED_MARK} suppressed. {stats.rule.description}", highlight=False)


def write_report(report: ReportRead, chart_png: bytes, out_dir: Path) -> Written:
    """`report-<province>-<year>.png` and `.json` in `out_dir` (made if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{report.stats.province or 'all'}-{report.stats.year}"
    chart = out_dir / f"{stem}.png"
    data = out_dir / f"{stem}.json"
    chart.write_bytes(chart_png)
    data.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return Written(chart=chart, data=data)
