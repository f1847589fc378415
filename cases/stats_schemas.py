"""Read shapes of statistics, the provincial report and the HTCDS export.

Nothing here can hold a count of fewer than 11 persons: the shapes are filled only from
`cases.disclosure` results, and a withheld figure is `null` with `suppressed: true`, never 0.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from cases.disclosure import MIN_CELL, ROUNDING


class RuleRead(BaseModel):
    """The disclosure rule every figure obeys, stated with the figures."""

    min_cell: int = Field(default=MIN_CELL, description="no figure describes fewer persons")
    rounding: int = Field(default=ROUNDING, description="counts are multiples of this")
    rounding_mode: str = "down"
    unit: str = Field(
        default="persons",
        description="distinct persons: cases confirmed as the same person count once",
    )
    description: str = (
        f"A cell describing fewer than {MIN_CELL} persons is suppressed with its money; counts "
        f"are rounded down to a multiple of {ROUNDING}; where the suppressed cells of a table "
        "could be recovered from its total, more cells are suppressed, so that the suppressed "
        f"cells together describe at least {MIN_CELL} persons. Money is also withheld where it "
        f"would sum the payments of fewer than {MIN_CELL} persons."
    )


class CellRead(BaseModel):
    """One published cell: `persons` rounded down to a multiple of 5, or null if suppressed;
    `amount_vnd` the support granted by the newest issued decisions of those persons."""

    value: str
    persons: int | None
    amount_vnd: int | None
    suppressed: bool
    amount_suppressed: bool


class TableRead(BaseModel):
    """One dimension: its cells, in a fixed order, and the total of the scope."""

    dimension: str
    cells: list[CellRead]
    total: CellRead


class StatsRead(BaseModel):
    """The counts of one province (or every province) and one year of reception."""

    province: str | None = Field(description="null: every province")
    year: int
    rule: RuleRead
    stage: TableRead
    regime: TableRead
    sex: TableRead
    age_band: TableRead
    support_group: TableRead
    outcome: TableRead


class MonthStageRead(BaseModel):
    """Persons in one stage at the end of one month."""

    stage: str
    persons: int | None
    suppressed: bool


class MonthRead(BaseModel):
    """The stages at the end of one month (Viet Nam time), as the case events recorded them."""

    month: str = Field(description="YYYY-MM")
    stages: list[MonthStageRead]
    total: int | None
    total_suppressed: bool


class ReportRead(BaseModel):
    """The provincial report: the tables, and persons by stage at each month's end."""

    stats: StatsRead
    by_month: list[MonthRead]


class HtcdsExport(BaseModel):
    """Case rows under Human Trafficking Case Data Standard field names (see cases.exports)."""

    standard: str
    source: str
    personal_data: bool
    province: str | None
    year: int
    k: int | None = Field(description="k-anonymity over the quasi-identifiers; null with PD")
    quasi_identifiers: list[str]
    withheld_rows: int = Field(description="rows withheld because they could not reach k")
    columns: list[str]
    rows: list[dict[str, str | int | None]]
