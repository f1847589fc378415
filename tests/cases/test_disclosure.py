"""Disclosure control: no published figure describes fewer than 11 persons, counts are
multiples of 5, and no suppressed cell can be recovered by subtraction; k-anonymous rows.

Unit examples first, then properties over random tables, random row sets, and random case
files run through the statistics' own aggregation (no database needed).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.disclosure import (
    MIN_CELL,
    SUPPRESSED,
    Hierarchy,
    RawCell,
    SafeTable,
    k_anonymise,
    protect,
    round_down,
)
from cases.statistics import (
    AGE_BANDS,
    DIMENSIONS,
    OUTCOMES,
    CaseRecord,
    case_frame,
    persons_of,
    raw_tables,
    safe_tables,
)


def _table(*counts: int, total: int | None = None) -> SafeTable:
    cells = [RawCell(f"v{i}", n, n * 1000, n) for i, n in enumerate(counts)]
    whole = sum(counts) if total is None else total
    return protect(cells, RawCell("total", whole, whole * 1000, whole))


# --- tables: examples ----------------------------------------------------------------------------


def test_counts_are_rounded_down_to_five_and_small_cells_suppressed() -> None:
    table = _table(23, 14, 3, 0)
    assert [c.persons for c in table.cells] == [20, None, None, None]
    # 3 and 0 would be recoverable from the total: the next smallest (14) goes too
    assert table.suppressed_values == ("v1", "v2", "v3")
    assert table.total.persons == 40 and table.total.amount_vnd == 40_000


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    table = _table(50, 30, 12, 4)
    assert table.suppressed_values == ("v2", "v3")
    assert [c.persons for c in table.cells] == [50, 30, None, None]


def test_a_small_total_suppresses_everything() -> None:
    table = _table(6, 4)
    assert table.total.persons is None and table.total.amount_vnd is None
    assert all(c.suppressed and c.amount_vnd is None for c in table.cells)


def test_nothing_is_suppressed_when_every_cell_is_large() -> None:
    table = _table(11, 12, 30)
    assert table.suppressed_values == ()
    assert [c.persons for c in table.cells] == [10, 10, 30]


def test_money_of_few_payees_is_withheld_with_a_complement() -> None:
    cells = [
        RawCell("a", 40, 5_000_000, 3),  # 40 persons but 3 paid: the sum describes 3 people
        RawCell("b", 30, 9_000_000, 25),
        RawCell("c", 20, 4_000_000, 12),
    ]
    table = protect(cells, RawCell("total", 90, 18_000_000, 40))
    assert [c.persons for c in table.cells] == [40, 30, 20]
    assert [c.amount_vnd for c in table.cells] == [None, 9_000_000, None]
    assert table.total.amount_vnd == 18_000_000


def test_nobody_paid_publishes_zeros() -> None:
    table = protect([RawCell("a", 20), RawCell("b", 15)], RawCell("total", 35))
    assert [c.amount_vnd for c in table.cells] == [0, 0] and table.total.amount_vnd == 0


# --- tables: properties --------------------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[RawCell], RawCell]:
    """A partition of a population into cells, with money and paid persons per cell."""
    sizes = draw(st.lists(st.integers(0, 40), min_size=1, max_size=9))
    cells = []
    for i, size in enumerate(sizes):
        paid = draw(st.integers(0, size))
        cells.append(RawCell(f"v{i}", size, paid * draw(st.integers(1, 3_000_000)), paid))
    total = RawCell(
        "total",
        sum(c.persons for c in cells),
        sum(c.amount_vnd for c in cells),
        sum(c.payees for c in cells),
    )
    return cells, total


@settings(max_examples=400, deadline=None)
@given(tables())
def test_no_published_cell_describes_fewer_than_eleven_persons(
    table: tuple[list[RawCell], RawCell],
) -> None:
    cells, total = table
    safe = protect(cells, total)
    for raw, cell in [*zip(cells, safe.cells, strict=True), (total, safe.total)]:
        if cell.persons is not None:
            assert raw.persons >= MIN_CELL
            assert cell.persons == round_down(raw.persons) and cell.persons % 5 == 0
        else:
            assert cell.suppressed and cell.amount_vnd is None
        if cell.amount_vnd is not None:
            assert raw.payees == 0 or raw.payees >= MIN_CELL
            assert cell.amount_vnd == raw.amount_vnd


@settings(max_examples=400, deadline=None)
@given(tables())
def test_no_suppressed_cell_is_recoverable_from_the_total(
    table: tuple[list[RawCell], RawCell],
) -> None:
    """With the total published, what subtraction gives is the sum of the suppressed cells:
    it must span two cells or more and at least 11 persons (11 paid persons for money), so
    no single small cell is pinned down."""
    cells, total = table
    safe = protect(cells, total)
    if safe.total.persons is not None:
        hidden = [raw for raw, cell in zip(cells, safe.cells, strict=True) if cell.suppressed]
        assert not hidden or (len(hidden) >= 2 and sum(c.persons for c in hidden) >= MIN_CELL)
    if safe.total.amount_vnd is not None and total.payees > 0:
        hidden = [
            raw for raw, cell in zip(cells, safe.cells, strict=True) if cell.amount_suppressed
        ]
        paid = sum(c.payees for c in hidden)
        assert not hidden or paid == 0 or (paid >= MIN_CELL and len(hidden) >= 2)


# --- rows: k-anonymity ---------------------------------------------------------------------------

AGE = Hierarchy("age", (lambda v: v, lambda v: "minor" if v in ("under_16", "16_17") else "adult"))
SEX = Hierarchy("sex")
QUASI = (SEX, AGE)


def test_small_groups_lose_a_value_when_few_rows_need_it() -> None:
    rows = (
        [{"sex": "female", "age": "25_34"}] * 14
        + [{"sex": "male", "age": "18_24"}] * 11
        + [{"sex": "female", "age": "18_24"}] * 8
        + [{"sex": "female", "age": "16_17"}] * 3
    )
    safe = k_anonymise(rows, [f"p{i}" for i in range(len(rows))], QUASI)
    counted = Counter((r["sex"], r["age"]) for r in safe.rows)
    assert counted == {("female", "25_34"): 14, ("male", "18_24"): 11, ("female", SUPPRESSED): 11}
    assert safe.withheld == 0 and safe.levels == {"sex": 0, "age": 0}


def test_rows_are_generalised_then_suppressed_then_withheld() -> None:
    rows = (
        [{"sex": "female", "age": "25_34", "x": "1"}] * 14
        + [{"sex": "female", "age": "18_24", "x": "2"}] * 8
        + [{"sex": "female", "age": "35_plus", "x": "2"}] * 6
        + [{"sex": "male", "age": "18_24", "x": "3"}] * 11
        + [{"sex": "female", "age": "16_17", "x": "4"}] * 3
    )
    persons = [f"p{i}" for i in range(len(rows))]
    safe = k_anonymise(rows, persons, QUASI)
    counted = Counter((r["sex"], r["age"]) for r in safe.rows)
    assert counted == {("female", "adult"): 28, ("male", "adult"): 11}
    assert safe.withheld == 3 and safe.levels == {"sex": 0, "age": 1}
    assert Counter(r["x"] for r in safe.rows) == {"1": 14, "2": 14, "3": 11}


def test_the_same_person_twice_does_not_make_a_group_of_eleven() -> None:
    rows = [{"sex": "male", "age": "18_24"}] * 11 + [{"sex": "female", "age": "18_24"}] * 20
    alone = k_anonymise(rows, [f"p{i}" for i in range(31)], QUASI)
    assert Counter(r["sex"] for r in alone.rows) == {"male": 11, "female": 20}
    twice = [f"p{i}" for i in range(31)]
    twice[1] = twice[0]  # two of the men's cases are one man
    merged = k_anonymise(rows, twice, QUASI)
    assert all(r["sex"] == "female" for r in merged.rows) and merged.withheld == 11


@st.composite
def row_sets(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[str]]:
    """Rows with a row number (`rid`, a non-identifier passed through untouched, so each
    published row can be traced to its person) and persons that may repeat."""
    size = draw(st.integers(0, 80))
    rows = [
        {
            "rid": str(i),
            "sex": draw(st.sampled_from(["female", "male"])),
            "age": draw(st.sampled_from(AGE_BANDS)),
        }
        for i in range(size)
    ]
    persons = [f"p{draw(st.integers(0, max(size - 1, 0)))}" for _ in range(size)]
    return rows, persons


@settings(max_examples=300, deadline=None)
@given(row_sets())
def test_every_published_combination_is_shared_by_eleven_persons(
    data: tuple[list[dict[str, str]], list[str]],
) -> None:
    rows, persons = data
    safe = k_anonymise(rows, persons, QUASI)
    assert len(safe.rows) + safe.withheld == len(rows)
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for published in safe.rows:
        original = rows[int(published["rid"])]
        for hierarchy in QUASI:
            generalised = hierarchy.at(safe.levels[hierarchy.name], original[hierarchy.name])
            assert published[hierarchy.name] in (generalised, SUPPRESSED)
        groups[(published["sex"], published["age"])].add(persons[int(published["rid"])])
    assert all(len(members) >= MIN_CELL for members in groups.values()), groups


# --- the statistics' own aggregation, end to end without a database -------------------------------


@st.composite
def case_files(draw: st.DrawFn) -> list[CaseRecord]:
    size = draw(st.integers(0, 90))
    records = []
    for i in range(size):
        paid = draw(st.booleans())
        groups = (
            draw(st.frozensets(st.sampled_from(["a", "b", "e", "k"]), max_size=3))
            if paid
            else frozenset()
        )
        amounts = {g: draw(st.integers(1, 5_000_000)) for g in groups}
        person = f"p{draw(st.integers(0, max(size - 1, 0)))}"
        records.append(
            CaseRecord(
                case_id=f"c{i:03d}",
                person_id=f"v{i}",
                person=person,
                province="sample",
                stage=draw(st.sampled_from(DIMENSIONS["stage"])),
                status="victim",
                regime=draw(st.sampled_from(DIMENSIONS["regime"])),
                nationality="vietnamese",
                sex=draw(st.sampled_from(["female", "male"])),
                birth_date=date(1990, 1, 1),
                received_on=date(2025, 1 + i % 12, 1),
                created_at=datetime(2025, 1 + i % 12, 1, tzinfo=UTC),
                age_band=draw(st.sampled_from(AGE_BANDS)),
                closed_reason=None,
                amount_vnd=sum(amounts.values()),
                groups=groups,
                group_amounts=amounts,
                outcome=draw(st.sampled_from([None, *OUTCOMES])),
                outcome_key=f"2025-0{1 + i % 9}-01#000001",
            )
        )
    return records


@settings(max_examples=25, deadline=None)
@given(case_files())
def test_no_reported_cell_describes_fewer_than_eleven_persons(records: list[CaseRecord]) -> None:
    persons = persons_of(case_frame(records))
    assert len(persons) == len({r.person for r in records})
    total, raw = raw_tables(persons)
    safe = safe_tables(persons)
    for dimension, cells in raw.items():
        table = safe[dimension]
        assert [c.value for c in table.cells][: len(DIMENSIONS[dimension])] == list(
            DIMENSIONS[dimension]
        )
        for true, cell in zip(cells, table.cells, strict=True):
            if not cell.suppressed:
                assert true.persons >= MIN_CELL and cell.persons == round_down(true.persons)
        hidden = [true for true, cell in zip(cells, table.cells, strict=True) if cell.suppressed]
        if table.total.persons is not None:
            assert not hidden or sum(c.persons for c in hidden) >= MIN_CELL
        else:
            assert total.persons < MIN_CELL


def test_a_person_received_twice_counts_once_with_the_money_of_both() -> None:
    def record(i: int, person: str, stage: str) -> CaseRecord:
        return CaseRecord(
            case_id=f"c{i}",
            person_id=f"v{i}",
            person=person,
            province="sample",
            stage=stage,
            status="victim",
            regime="LAW_53_2024",
            nationality="vietnamese",
            sex="female",
            birth_date=date(1990, 1, 1),
            received_on=date(2025, 1 + i, 1),
            created_at=datetime(2025, 1 + i, 1, tzinfo=UTC),
            age_band="35_plus",
            closed_reason=None,
            amount_vnd=1_000_000,
            groups=frozenset({"a"}),
            group_amounts={"a": 1_000_000},
            outcome=None,
            outcome_key="",
        )

    persons = persons_of(case_frame([record(0, "p", "closed"), record(1, "p", "identified")]))
    assert len(persons) == 1
    only = persons.iloc[0]
    assert only["stage"] == "identified"  # the newest case
    assert only["amount_vnd"] == 2_000_000


@pytest.mark.parametrize("count", [10, 11, 14, 15])
def test_round_down(count: int) -> None:
    assert round_down(count) == count - count % 5
