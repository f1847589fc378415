"""The report's chart: a protected table in, a valid and reproducible PNG out, with a note
naming the cells it does not draw."""

from __future__ import annotations

import io

from matplotlib import image
from PIL import Image

from documents.chart import StageMonthChart, render_stage_chart, suppression_note

STAGES = ("received", "identified", "closed")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chart(**counts: int | None) -> StageMonthChart:
    cells: dict[tuple[str, str], int | None] = {
        ("2025-01", "received"): 15,
        ("2025-01", "identified"): None,
        ("2025-01", "closed"): None,
        ("2025-02", "received"): 10,
        ("2025-02", "identified"): 20,
        ("2025-02", "closed"): 15,
    }
    for key, value in counts.items():
        month, stage = key.split("__")
        cells[(month.replace("_", "-"), stage)] = value
    return StageMonthChart(
        title="Persons by stage at month end: sample, received in 2025",
        months=("2025-01", "2025-02"),
        stages=STAGES,
        counts=cells,
        totals={"2025-01": 25, "2025-02": 45},
        rule="A cell describing fewer than 11 persons is suppressed.",
    )


def test_the_chart_is_a_png_that_opens() -> None:
    body = render_stage_chart(_chart())
    assert body.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(body)) as picture:
        picture.verify()
    with Image.open(io.BytesIO(body)) as picture:
        assert picture.format == "PNG" and picture.width >= 800 and picture.height >= 500
    pixels = image.imread(io.BytesIO(body), format="png")
    assert pixels.ndim == 3 and pixels.std() > 0  # something is drawn


def test_the_same_table_gives_the_same_bytes_and_another_table_others() -> None:
    assert render_stage_chart(_chart()) == render_stage_chart(_chart())
    assert render_stage_chart(_chart()) != render_stage_chart(_chart(**{"2025_02__closed": 20}))


def test_the_note_names_every_suppressed_cell() -> None:
    note = suppression_note(_chart())
    assert note == "Suppressed, not drawn: 2025-01: identified, closed."
    everything = _chart(**{"2025_02__received": None, "2025_02__identified": None})
    everything = StageMonthChart(
        everything.title,
        everything.months,
        everything.stages,
        {**everything.counts, ("2025-02", "closed"): None},
        {"2025-01": 25, "2025-02": None},
        everything.rule,
    )
    assert suppression_note(everything) == (
        "Suppressed, not drawn: 2025-01: identified, closed; 2025-02: all stages (total withheld)."
    )
    nothing = _chart(**{"2025_01__identified": 10, "2025_01__closed": 0})
    assert suppression_note(nothing) == "No cell is suppressed."
