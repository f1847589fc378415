"""Counts of the case file for one province (or every province) and one year, safe to publish.

A province's department reports how many people it received, where they stand, what support
they were granted and how their follow-up went. The counts are small, so every figure passes
through `cases.disclosure` (suppression below 11 persons, rounding down to 5, complementary
suppression) before it leaves this module.

Scope: the cases *received* in the year (`received_on` of the newest facts; the day the case
was recorded, in Viet Nam, if a case has no facts), in the province. The unit is the person:
cases that staff confirmed as the same person (a confirmed duplicate match) count once, with
the attributes of the newest case, the money of all of them, every group granted to any of
them, and the latest follow-up outcome of any of them.

Dimensions (each a fixed list of values, so a suppressed cell never tells whether a value
occurs at all; a value outside the list found in the data gets its own cell):

- `stage`: the case's stage now;
- `regime`: LAW_53_2024, LAW_66_2011, or `undetermined` (no calculation yet);
- `sex`: from the facts;
- `age_band`: age at `received_on`: `under_16` (a child, Law on Children), `16_17` (a minor
  under the Civil Code, whom the law treats apart), `18_24`, `25_34`, `35_plus`;
- `support_group`: the groups (points a-k of Law 53/2024 Art. 37(1); `dd` is đ) of the items
  granted by the person's current decisions; a person counts once in each group granted, and
  `no_issued_support` counts those with none, so the table's total is every person;
- `outcome`: the latest recorded follow-up outcome, or `no_follow_up_yet`.

Money is integer VND: the `approved_total_vnd` of issued calculations whose decision no newer
decision replaces (a replaced decision's money is not counted twice); in `support_group` the
granted items' amounts of that group.

The report adds persons by stage at the end of each month of the year, read from the case
events (each stage move is an event with its moment), month ends in Viet Nam time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from benefits_rules.calendar import age_on
from benefits_rules.catalogue import GROUPS, Regime
from benefits_rules.facts import SEXES
from benefits_rules.provinces import is_known
from cases import audit
from cases.accounts import Actor
from cases.disclosure import RawCell, SafeCell, SafeTable, protect
from cases.exceptions import InvalidInput, OutsideProvince
from cases.followup_schemas import Outcome
from cases.lifecycle import Stage
from cases.models import (
    BenefitCalculation,
    Case,
    CaseEvent,
    CaseFact,
    Decision,
    DuplicateMatch,
    FollowUp,
)
from cases.policy import allow, today
from cases.stats_schemas import (
    CellRead,
    MonthRead,
    MonthStageRead,
    ReportRead,
    RuleRead,
    StatsRead,
    TableRead,
)
from cases.unit_of_work import UnitOfWork

VIET_NAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: the first year a report may cover: the case file holds nothing older
FIRST_YEAR = 2000

AGE_BANDS = ("under_16", "16_17", "18_24", "25_34", "35_plus")
#: follow-up outcomes a worker records, in the order `cases.followups` defines them
OUTCOMES = tuple(Outcome)
NO_FOLLOW_UP = "no_follow_up_yet"
NO_REGIME = "undetermined"
NO_SUPPORT = "no_issued_support"
UNKNOWN = "unknown"

#: each dimension and its values, in the order tables show them
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "stage": tuple(Stage),
    "regime": (*(r.value for r in Regime), NO_REGIME),
    "sex": SEXES,
    "age_band": AGE_BANDS,
    "support_group": (*GROUPS, NO_SUPPORT),
    "outcome": (*OUTCOMES, NO_FOLLOW_UP),
}


@dataclass(frozen=True, slots=True)
class Scope:
    """What a statistic covers: one province (None: every province) and a year of reception."""

    province: str | None
    year: int

    @property
    def label(self) -> str:
        """The province slug, or `all`: for file names and audit rows."""
        return self.province or "all"


def scope_for(actor: Actor, province: str | None, year: int) -> Scope:
    """The scope an actor may ask for: a province account sees its own province only (asking
    for another is refused, not answered with zeros); a national account any or all."""
    if not FIRST_YEAR <= year <= today().year:
        raise InvalidInput(
            f"year must be from {FIRST_YEAR} to the current year", field="year", rule="out_of_range"
        )
    if province is not None and not is_known(province):
        raise InvalidInput("not a province of the registry", field="province", rule="unknown_value")
    if actor.province is not None:
        if province is not None and province != actor.province:
            raise OutsideProvince(
                "you may only read your province's statistics",
                field="province",
                rule="province_scope",
            )
        province = actor.province
    return Scope(province, year)


def age_band(birth_date: date | None, on: date) -> str:
    """The age band at `on` (see the module docstring for why these bands)."""
    if birth_date is None or birth_date > on:
        return UNKNOWN
    age = age_on(birth_date, on)
    if age < 16:
        return "under_16"
    if age < 18:
        return "16_17"
    if age < 25:
        return "18_24"
    if age < 35:
        return "25_34"
    return "35_plus"


# --- loading ------------------------------------------------------------------------------------


def _where(scope: Scope) -> list[Any]:
    return [] if scope.province is None else [Case.province == scope.province]


def _day(raw: object) -> date | None:
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _utc(moment: datetime) -> datetime:
    """SQLite returns stored UTC moments without their zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What every statistic and export needs of one case, and nothing that names anyone.
    `person` is a key shared by the cases confirmed as one person."""

    case_id: str
    person_id: str
    person: str
    province: str
    stage: str
    status: str
    regime: str
    nationality: str
    sex: str
    birth_date: date | None
    received_on: date
    created_at: datetime
    age_band: str
    closed_reason: str | None
    amount_vnd: int
    groups: frozenset[str]
    group_amounts: Mapping[str, int]
    outcome: str | None
    outcome_key: str


def load_cases(session: Session, scope: Scope) -> list[CaseRecord]:
    """The cases in scope, with their current money, granted groups and latest outcome."""
    where = _where(scope)
    newest = (
        select(CaseFact.case_id, func.max(CaseFact.version).label("version"))
        .join(Case, Case.id == CaseFact.case_id)
        .where(*where)
        .group_by(CaseFact.case_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Case.id,
            Case.person_id,
            Case.province,
            Case.stage,
            Case.status,
            Case.regime,
            Case.nationality,
            Case.created_at,
            Case.closed_reason,
            CaseFact.facts,
        )
        .outerjoin(newest, newest.c.case_id == Case.id)
        .outerjoin(
            CaseFact, and_(CaseFact.case_id == Case.id, CaseFact.version == newest.c.version)
        )
        .where(*where)
    ).all()
    chosen = []
    for row in rows:
        facts = row.facts or {}
        created = _utc(row.created_at)
        received = _day(facts.get("received_on")) or created.astimezone(VIET_NAM).date()
        if received.year == scope.year:
            chosen.append((row, facts, received, created))
    ids = {row.id for row, *_ in chosen}
    money = _issued_support(session, scope, ids)
    outcomes = _outcomes(session, scope, ids)
    person = _person_keys(session, ids)
    records = []
    for row, facts, received, created in chosen:
        birth = _day(facts.get("birth_date"))
        amount, groups, group_amounts = money.get(row.id, (0, frozenset(), {}))
        outcome, outcome_key = outcomes.get(row.id, (None, ""))
        records.append(
            CaseRecord(
                case_id=row.id,
                person_id=row.person_id,
                person=person[row.id],
                province=row.province,
                stage=row.stage,
                status=row.status,
                regime=row.regime or NO_REGIME,
                nationality=row.nationality,
                sex=str(facts.get("sex") or UNKNOWN),
                birth_date=birth,
                received_on=received,
                created_at=created,
                age_band=age_band(birth, received),
                closed_reason=row.closed_reason,
                amount_vnd=amount,
                groups=groups,
                group_amounts=group_amounts,
                outcome=outcome,
                outcome_key=outcome_key,
            )
        )
    return records


def case_frame(records: Sequence[CaseRecord]) -> pd.DataFrame:
    """The records as a frame, one row per case, for aggregation."""
    names = [f.name for f in fields(CaseRecord)]
    return pd.DataFrame.from_records(
        [{name: getattr(record, name) for name in names} for record in records], columns=names
    )


def _issued_support(
    session: Session, scope: Scope, ids: set[str]
) -> dict[str, tuple[int, frozenset[str], dict[str, int]]]:
    """Per case: the money of its current decisions, the groups they grant, and each group's
    money. A decision another decision replaces is not current."""
    rows = session.execute(
        select(
            Decision.id,
            Decision.case_id,
            Decision.replaces_id,
            BenefitCalculation.approved_total_vnd,
            BenefitCalculation.items,
            BenefitCalculation.granted_discretionary,
        )
        .join(BenefitCalculation, BenefitCalculation.id == Decision.calculation_id)
        .join(Case, Case.id == Decision.case_id)
        .where(*_where(scope))
    ).all()
    replaced = {row.replaces_id for row in rows if row.replaces_id}
    totals: dict[str, int] = defaultdict(int)
    groups: dict[str, set[str]] = defaultdict(set)
    amounts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if row.id in replaced or row.case_id not in ids:
            continue
        totals[row.case_id] += int(row.approved_total_vnd or 0)
        chosen = set(row.granted_discretionary or [])
        for item in row.items or []:
            granted = item.get("status") == "granted" or (
                item.get("status") == "discretionary" and item.get("key") in chosen
            )
            if granted:
                groups[row.case_id].add(str(item.get("group")))
                amounts[row.case_id][str(item.get("group"))] += int(item.get("amount_vnd") or 0)
    return {
        case_id: (totals[case_id], frozenset(groups[case_id]), dict(amounts[case_id]))
        for case_id in set(totals) | set(groups)
    }


def _outcomes(session: Session, scope: Scope, ids: set[str]) -> dict[str, tuple[str, str]]:
    """Per case: its latest recorded follow-up outcome, and a key that orders outcomes in time
    (the day checked, then the check's number)."""
    rows = session.execute(
        select(FollowUp.case_id, FollowUp.outcome, FollowUp.checked_on, FollowUp.number)
        .join(Case, Case.id == FollowUp.case_id)
        .where(*_where(scope), FollowUp.outcome.is_not(None))
    ).all()
    latest: dict[str, tuple[str, str]] = {}
    for row in rows:
        if row.case_id not in ids or row.outcome is None:
            continue
        key = f"{row.checked_on.isoformat() if row.checked_on else ''}#{row.number:06d}"
        if row.case_id not in latest or key > latest[row.case_id][1]:
            latest[row.case_id] = (row.outcome, key)
    return latest


def _person_keys(session: Session, ids: set[str]) -> dict[str, str]:
    """Cases that staff confirmed as one person share a key (the smallest case id of the
    group): counts are of persons, and a person received twice must not make a cell of 10
    people look like 11."""
    parent = {case_id: case_id for case_id in ids}

    def root(case_id: str) -> str:
        while parent[case_id] != case_id:
            parent[case_id] = parent[parent[case_id]]
            case_id = parent[case_id]
        return case_id

    pairs = session.execute(
        select(DuplicateMatch.case_id, DuplicateMatch.other_case_id).where(
            DuplicateMatch.state == "confirmed"
        )
    ).all()
    for one, other in pairs:
        if one in parent and other in parent:
            a, b = root(one), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {case_id: root(case_id) for case_id in ids}


# --- aggregation --------------------------------------------------------------------------------


def persons_of(cases: pd.DataFrame) -> pd.DataFrame:
    """One row per person: the newest case's attributes, the money of all their cases, every
    group granted in any, and the latest follow-up outcome of any (or `no_follow_up_yet`)."""
    if cases.empty:
        return pd.DataFrame(
            columns=["person", *DIMENSIONS, "amount_vnd", "groups", "group_amounts"]
        )
    ordered = cases.sort_values(["received_on", "created_at", "case_id"])
    newest = ordered.groupby("person", sort=True).tail(1).set_index("person")
    by_person = cases.groupby("person", sort=True)
    amount = by_person["amount_vnd"].sum()
    groups = by_person["groups"].apply(_union)
    group_amounts = by_person["group_amounts"].agg(_merge_amounts)
    followed = cases[cases["outcome"].notna()].sort_values(["outcome_key", "case_id"])
    outcome = followed.groupby("person")["outcome"].last()
    frame = pd.DataFrame(
        {
            "stage": newest["stage"],
            "regime": newest["regime"],
            "sex": newest["sex"],
            "age_band": newest["age_band"],
            "amount_vnd": amount,
            "groups": groups,
            "group_amounts": group_amounts,
            "outcome": outcome.reindex(newest.index).fillna(NO_FOLLOW_UP),
        }
    )
    return frame.rename_axis("person").reset_index()


def _union(sets: pd.Series) -> list[str]:
    return sorted(set().union(*sets))


def _merge_amounts(dicts: pd.Series) -> dict[str, int]:
    merged: dict[str, int] = defaultdict(int)
    for amounts in dicts:
        for group, amount in amounts.items():
            merged[group] += int(amount)
    return dict(merged)


def _values(dimension: str, seen: Sequence[str]) -> list[str]:
    fixed = list(DIMENSIONS[dimension])
    return fixed + sorted(set(seen) - set(fixed))


def raw_tables(persons: pd.DataFrame) -> tuple[RawCell, dict[str, list[RawCell]]]:
    """The true counts, before protection: the scope's total and each dimension's cells (with
    money and paid persons). Kept apart from `protect` so tests can compare both."""
    paid = persons["amount_vnd"] > 0
    total = RawCell("total", len(persons), int(persons["amount_vnd"].sum()), int(paid.sum()))
    tables: dict[str, list[RawCell]] = {}
    for dimension in DIMENSIONS:
        if dimension == "support_group":
            tables[dimension] = _group_cells(persons)
            continue
        column = persons[dimension]
        grouped = pd.DataFrame({"key": column, "amount": persons["amount_vnd"], "paid": paid})
        summary = grouped.groupby("key").agg(
            persons=("amount", "size"), amount=("amount", "sum"), paid=("paid", "sum")
        )
        tables[dimension] = [
            RawCell(
                value,
                int(summary["persons"].get(value, 0)),
                int(summary["amount"].get(value, 0)),
                int(summary["paid"].get(value, 0)),
            )
            for value in _values(dimension, [str(v) for v in column.unique()])
        ]
    return total, tables


def _group_cells(persons: pd.DataFrame) -> list[RawCell]:
    """A person counts once in every group granted to them, with that group's money."""
    long = pd.DataFrame.from_records(
        [
            {"person": person, "group": group, "amount": int(amounts.get(group, 0))}
            for person, groups, amounts in zip(
                persons["person"], persons["groups"], persons["group_amounts"], strict=True
            )
            for group in groups
        ],
        columns=["person", "group", "amount"],
    )
    summary = long.groupby("group").agg(
        persons=("person", "nunique"),
        amount=("amount", "sum"),
        paid=("amount", lambda amounts: int((amounts > 0).sum())),
    )
    none = int(sum(1 for groups in persons["groups"] if not groups))
    cells = [
        RawCell(
            group,
            int(summary["persons"].get(group, 0)),
            int(summary["amount"].get(group, 0)),
            int(summary["paid"].get(group, 0)),
        )
        for group in _values("support_group", [str(g) for g in summary.index])
        if group != NO_SUPPORT
    ]
    cells.append(RawCell(NO_SUPPORT, none, 0, 0))
    return cells


def safe_tables(persons: pd.DataFrame) -> dict[str, SafeTable]:
    """Every dimension, protected."""
    total, tables = raw_tables(persons)
    return {dimension: protect(cells, total) for dimension, cells in tables.items()}


def _cell_read(cell: SafeCell) -> CellRead:
    return CellRead(
        value=cell.value,
        persons=cell.persons,
        amount_vnd=cell.amount_vnd,
        suppressed=cell.suppressed,
        amount_suppressed=cell.amount_suppressed,
    )


def _table_read(dimension: str, table: SafeTable) -> TableRead:
    return TableRead(
        dimension=dimension,
        cells=[_cell_read(cell) for cell in table.cells],
        total=_cell_read(table.total),
    )


def stats_read(scope: Scope, persons: pd.DataFrame) -> StatsRead:
    """The published statistics of a scope, from its persons."""
    tables = safe_tables(persons)
    return StatsRead(
        province=scope.province,
        year=scope.year,
        rule=RuleRead(),
        **{dimension: _table_read(dimension, tables[dimension]) for dimension in DIMENSIONS},
    )


# --- persons by stage at each month's end -------------------------------------------------------


def _month_end(year: int, month: int) -> datetime:
    """The first moment after the month, Viet Nam time, in UTC."""
    following = date(year + month // 12, month % 12 + 1, 1)
    return datetime(following.year, following.month, 1, tzinfo=VIET_NAM).astimezone(UTC)


def months_of(year: int, on: date) -> list[int]:
    """The months of `year` that have begun by `on`: a month still to come has no state."""
    return [m for m in range(1, 13) if date(year, m, 1) <= on]


def raw_months(
    session: Session, scope: Scope, cases: Sequence[CaseRecord], on: date
) -> list[tuple[str, RawCell, list[RawCell]]]:
    """Persons per stage at the end of each month begun by `on`, before protection: each
    case's stage is that of its last stage move before the month's end; a person with two
    cases in two stages counts in both, and once in the month's total."""
    person = {case.case_id: case.person for case in cases}
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.at, CaseEvent.id, CaseEvent.to_stage)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(*_where(scope), CaseEvent.to_stage.is_not(None))
    ).all()
    events = pd.DataFrame.from_records(
        [
            {"case_id": r.case_id, "at": _utc(r.at), "id": r.id, "stage": r.to_stage}
            for r in rows
            if r.case_id in person
        ],
        columns=["case_id", "at", "id", "stage"],
    )
    events["person"] = events["case_id"].map(person)
    events = events.sort_values(["at", "id"])
    out: list[tuple[str, RawCell, list[RawCell]]] = []
    for month in months_of(scope.year, on):
        end = _month_end(scope.year, month)
        before = events[events["at"] < end]
        current = before.groupby("case_id").tail(1)
        per_stage = current.groupby("stage")["person"].nunique()
        values = _values("stage", [str(s) for s in per_stage.index])
        cells = [RawCell(stage, int(per_stage.get(stage, 0))) for stage in values]
        total = RawCell("total", int(current["person"].nunique()))
        out.append((f"{scope.year}-{month:02d}", total, cells))
    return out


def _month_read(month: str, table: SafeTable) -> MonthRead:
    return MonthRead(
        month=month,
        stages=[
            MonthStageRead(stage=cell.value, persons=cell.persons, suppressed=cell.suppressed)
            for cell in table.cells
        ],
        total=table.total.persons,
        total_suppressed=table.total.suppressed,
    )


# --- use cases ----------------------------------------------------------------------------------


def statistics(actor: Actor, province: str | None, year: int) -> StatsRead:
    """`GET /stats`: the protected tables of a province (or every province) and year. Every
    read is audited: counts are about victims, even when safe to publish."""
    allow(actor, "stats")
    scope = scope_for(actor, province, year)
    with UnitOfWork() as uow:
        read = stats_read(scope, persons_of(case_frame(load_cases(uow.session, scope))))
        audit.append(
            uow.session,
            actor=actor.username,
            action="stats.read",
            subject_type="stats",
            detail={"province": scope.province, "year": scope.year},
        )
        uow.commit()
        return read


def provincial_report(actor: Actor, province: str | None, year: int) -> ReportRead:
    """`vongtay report`: the tables and persons by stage at each month's end, audited."""
    allow(actor, "stats")
    scope = scope_for(actor, province, year)
    with UnitOfWork() as uow:
        cases = load_cases(uow.session, scope)
        stats = stats_read(scope, persons_of(case_frame(cases)))
        months = [
            _month_read(month, protect(cells, total))
            for month, total, cells in raw_months(uow.session, scope, cases, today())
        ]
        audit.append(
            uow.session,
            actor=actor.username,
            action="stats.report",
            subject_type="stats",
            detail={"province": scope.province, "year": scope.year},
        )
        uow.commit()
        return ReportRead(stats=stats, by_month=months)


def chart_png(report: ReportRead) -> bytes:
    """The report's one chart (persons by stage per month) as PNG bytes: only what the report
    already publishes goes in, so the chart cannot show more than the tables."""
    from documents.chart import StageMonthChart, render_stage_chart

    stats = report.stats
    return render_stage_chart(
        StageMonthChart(
            title=f"Persons by stage at month end: {stats.province or 'all provinces'}, "
            f"received in {stats.year}",
            months=tuple(m.month for m in report.by_month),
            stages=DIMENSIONS["stage"],
            counts={(m.month, s.stage): s.persons for m in report.by_month for s in m.stages},
            totals={m.month: m.total for m in report.by_month},
            rule=stats.rule.description,
        )
    )
