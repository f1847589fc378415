"""The provincial report's chart: a table already protected in, PNG bytes out.

Pure like the rest of `documents`: it knows nothing of the case file and draws only the
figures it is given, so it cannot show what the report's tables do not publish. A suppressed
cell (None) is not drawn; the chart lists the suppressed cells in a note under the bars, and
outlines each month's total, so a reader sees how much of a bar is withheld rather than
mistaking a withheld cell for zero.

Drawn with matplotlib's Agg canvas on a `Figure` of its own (no pyplot, so no global state
shared between threads of a server) and saved without the software tag, so the same table
gives the same bytes.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass

#: one colour per stage, in the lifecycle's order (colour-blind-safe Okabe-Ito palette)
_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
_NOTE_WIDTH = 150


@dataclass(frozen=True, slots=True)
class StageMonthChart:
    """What the chart shows: counts per (month, stage), None where suppressed, and each month's
    total (None where suppressed). `rule` is the disclosure rule, printed under the chart."""

    title: str
    months: tuple[str, ...]
    stages: tuple[str, ...]
    counts: Mapping[tuple[str, str], int | None]
    totals: Mapping[str, int | None]
    rule: str


def suppressed_cells(chart: StageMonthChart) -> list[tuple[str, str]]:
    """Every (month, stage) whose count is withheld, in month then stage order."""
    return [
        (month, stage)
        for month in chart.months
        for stage in chart.stages
        if chart.counts.get((month, stage)) is None
    ]


def suppression_note(chart: StageMonthChart) -> str:
    """The note under the chart: which cells are not drawn, month by month, and why."""
    by_month: dict[str, list[str]] = {}
    for month, stage in suppressed_cells(chart):
        by_month.setdefault(month, []).append(stage)
    lines = [
        f"{month}: {'all stages' if len(stages) == len(chart.stages) else ', '.join(stages)}"
        + (" (total withheld)" if chart.totals.get(month) is None else "")
        for month, stages in by_month.items()
    ]
    if not lines:
        return "No cell is suppressed."
    return "Suppressed, not drawn: " + "; ".join(lines) + "."


def render_stage_chart(chart: StageMonthChart) -> bytes:
    """The chart as PNG bytes: bars per month stacked by stage, each month's total outlined."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    note = textwrap.wrap(suppression_note(chart), _NOTE_WIDTH)
    rule = textwrap.wrap(chart.rule, _NOTE_WIDTH)
    footer_lines = len(note) + len(rule) + 1
    height = 5.5 + 0.18 * footer_lines
    figure = Figure(figsize=(11, height), dpi=100)
    FigureCanvasAgg(figure)
    bottom_margin = (0.18 * footer_lines + 0.7) / height
    axes = figure.add_axes((0.07, bottom_margin, 0.72, 0.88 - bottom_margin))
    positions = list(range(len(chart.months)))
    base = [0] * len(chart.months)
    for index, stage in enumerate(chart.stages):
        heights = [chart.counts.get((month, stage)) or 0 for month in chart.months]
        axes.bar(
            positions,
            heights,
            bottom=base,
            color=_COLOURS[index % len(_COLOURS)],
            label=stage.replace("_", " "),
            width=0.7,
        )
        base = [b + h for b, h in zip(base, heights, strict=True)]
    totals = [chart.totals.get(month) or 0 for month in chart.months]
    axes.bar(
        positions,
        totals,
        fill=False,
        edgecolor="#333333",
        linestyle="--",
        linewidth=1,
        width=0.82,
        label="total (incl. suppressed)",
    )
    axes.set_xticks(positions, list(chart.months), rotation=45, ha="right")
    axes.set_ylabel("persons (rounded down to a multiple of 5)")
    # counts are never negative; with every cell withheld the axis still starts at 0
    axes.set_ylim(bottom=0, top=max(axes.get_ylim()[1], 5))
    axes.set_title(chart.title, fontsize=11)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.text(0.02, 0.02, "\n".join([*note, "", *rule]), fontsize=7, va="bottom", wrap=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
