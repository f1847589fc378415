"""Crash tests (design §5, §6): a process killed at each step of issuing a decision and of the
recalculation campaign, before and after its commit, then the work run again. Whatever the
point, every approved calculation ends with exactly one decision, the numbers run 01..n with no
gap and no repeat, no approval is added or lost, and each campaign delta is stored, counted and
approved once. The killed process is a real child process (`crash_step.py`, `os._exit`), on
SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cases import automation, campaigns
from cases.accounts import Actor, create_user
from cases.exceptions import TransitionNotAllowed
from cases.lifecycle import CalcState
from cases.models import (
    Approval,
    BenefitCalculation,
    CaseEvent,
    Decision,
    DecisionSequence,
    RecalcCampaign,
    RecalcDelta,
)
from cases.schemas import Role
from cases.unit_of_work import UnitOfWork
from tests.flows import journeys
from tests.flows.crash_step import CRASHED

STEP = Path(__file__).with_name("crash_step.py")
ISSUE_POINTS = ("after_number", "after_render", "before_commit", "after_commit")
CAMPAIGN_POINTS = ("after_compute", "before_commit", "after_commit", "between_chunks")
CHANGED_ON = date(2025, 10, 15)
NEW_FOOD, OLD_FOOD = 90_000, 70_000


def crash(cwd: Path, *args: str) -> None:
    """Run the step in a child process that dies at the point named last."""
    env = {
        **os.environ,
        "VONGTAY_DATABASE_URL": os.environ["VONGTAY_DATABASE_URL"],
        "VONGTAY_VAULT_KEY": os.environ["VONGTAY_VAULT_KEY"],
    }
    done = subprocess.run(
        [sys.executable, str(STEP), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == CRASHED, (args, done.returncode, done.stderr[-3000:])


def rows(model: Any, *where: Any) -> list[Any]:
    with UnitOfWork(write=False) as uow:
        found = uow.session.scalars(select(model).where(*where)).all()
        for row in found:
            uow.session.expunge(row)
        return list(found)


def count(model: Any, *where: Any) -> int:
    with UnitOfWork(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# --- issuing -------------------------------------------------------------------------------------


def test_a_crash_at_any_step_of_issuing_leaves_one_decision_and_no_gap(
    configured: str, tmp_path: Path
) -> None:
    people = journeys.staff()
    approved = [journeys.approved(people) for _ in ISSUE_POINTS]
    calc_ids = [calc for _case, calc in approved]
    for (case_id, calc_id), point in zip(approved, ISSUE_POINTS, strict=True):
        crash(tmp_path, "issue", case_id, point)
        survived = point == "after_commit"
        assert count(Decision, Decision.case_id == case_id) == int(survived), point
        [calc] = rows(BenefitCalculation, BenefitCalculation.id == calc_id)
        assert calc.state == (CalcState.issued if survived else CalcState.approved), point
    # the numbers the dead processes took went back with their transactions
    assert [(d.case_id, d.number) for d in rows(Decision)] == [(approved[-1][0], 1)]

    for _again in range(2):  # run again, as the flow's retry or the daily sweep would, twice
        for case_id, _calc in approved:
            automation.issue(case_id)

    decisions = rows(Decision)
    assert Counter(d.calculation_id for d in decisions) == Counter(calc_ids)  # one each
    assert sorted(d.number for d in decisions) == list(range(1, len(approved) + 1))
    assert sorted(d.reference for d in decisions) == [
        f"{n:02d}/QĐ-SYT" for n in range(1, len(approved) + 1)
    ]
    assert [s.last_number for s in rows(DecisionSequence)] == [len(approved)]
    assert Counter(a.calculation_id for a in rows(Approval)) == Counter(calc_ids)  # one each
    assert {c.state for c in rows(BenefitCalculation)} == {CalcState.issued}
    assert count(BenefitCalculation) == len(approved)  # nothing proposed again
    issued_events = Counter(e.case_id for e in rows(CaseEvent, CaseEvent.kind == "decision_issued"))
    assert issued_events == Counter(case for case, _calc in approved)


# --- the campaign --------------------------------------------------------------------------------


def _campaign() -> tuple[RecalcCampaign, list[tuple[str, int, str]]]:
    [row] = rows(RecalcCampaign)
    deltas = sorted((d.calculation_id, d.delta_vnd, d.state) for d in rows(RecalcDelta))
    return row, deltas


def test_a_crash_at_any_step_of_the_campaign_stores_each_delta_once(
    configured: str, tmp_path: Path
) -> None:
    people = journeys.staff()
    changed = [journeys.approved(people)[1] for _ in range(3)]  # food from 10-01 to 11-30
    unchanged = journeys.approved(  # a stay that ended before the new rate
        people, received_on="2025-08-01", stay={"from": "2025-08-01", "to": "2025-09-30"}
    )[1]
    journeys.enter_food_rate(people, CHANGED_ON, NEW_FOOD)
    delta = ((date(2025, 11, 30) - CHANGED_ON).days + 1) * (NEW_FOOD - OLD_FOOD)
    expected = sorted((calc, delta, "pending") for calc in changed)
    in_order = sorted([*changed, unchanged])  # the campaign walks the calculations by id

    progress = []
    for point in CAMPAIGN_POINTS:  # one calculation per chunk
        crash(tmp_path, "campaign", CHANGED_ON.isoformat(), "1", point)
        row, deltas = _campaign()
        progress.append((point, row.state, row.done_cases, len(deltas)))
    stored_after = {n: sum(calc in changed for calc in in_order[:n]) for n in range(5)}
    assert progress == [
        ("after_compute", "running", 0, 0),
        ("before_commit", "running", 0, 0),
        ("after_commit", "running", 1, stored_after[1]),
        ("between_chunks", "running", 2, stored_after[2]),
    ]

    system = people.system
    for _again in range(2):  # resume, then run once more: nothing changes the second time
        status = campaigns.start(system, CHANGED_ON)
        while status.state == "running":
            status = campaigns.run_chunk(status.id, 1)
    row, deltas = _campaign()
    assert deltas == expected
    assert (row.state, row.total_cases, row.done_cases, row.changed_cases) == ("computed", 4, 4, 3)
    assert row.net_delta_vnd == 3 * delta
    assert count(Approval) == count(BenefitCalculation) == 4  # one approval per calculation

    # the batch approval, killed once it is committed: approving again approves nothing twice
    national_id, _ = create_user("national-approver", Role.approver.value, None)
    crash(tmp_path, "approve", row.id, "national-approver", "after_commit")
    row, deltas = _campaign()
    assert row.state == "approved" and row.approved_by == national_id
    assert deltas == [(calc, d, "approved") for calc, d, _state in expected]
    national = Actor(national_id, "national-approver", Role.approver, None)
    with pytest.raises(TransitionNotAllowed):
        campaigns.approve(national, row.id)  # approved once only

    # a later campaign counts what this one settled: nothing is owed twice
    later = campaigns.start(system, date(2025, 11, 1))
    while later.state == "running":
        later = campaigns.run_chunk(later.id, 10)
    assert (later.done_cases, later.changed_cases, later.net_delta_vnd) == (4, 0, 0)
    assert count(RecalcDelta) == 3
