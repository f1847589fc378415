"""The follow-up part of the daily sweep, called directly (`cases.followups.sweep_follow_ups`) on
SQLite and PostgreSQL: checks become due on their day and missed after the grace days, a missed
check opens a task, a second problem in a row escalates it, a task left open escalates, a case
closed by staff has its checks cancelled, a follow-up with nothing left open closes its case,
and a second run on the same day changes nothing."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cases import automation, followups, service
from cases.accounts import Actor, create_user
from cases.followup_schemas import OutcomeIn, ResolveIn, ReturnHomeIn
from cases.models import CaseEvent, FollowUpTask
from cases.policy import today
from cases.schemas import Role
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import configured  # noqa: F401  (the fixture: a fresh database)
from tests.flows import journeys

pytestmark = pytest.mark.usefixtures("configured")
#: long enough ago that every check of the default schedule is past
RETURNED = today() - timedelta(days=400)


def _followed_up(people: journeys.Staff, worker: Actor) -> str:
    case_id, _number = journeys.issued(people)
    automation.refer(case_id)
    followups.record_return_home(worker, case_id, ReturnHomeIn(returned_on=RETURNED))
    return case_id


def _worker() -> Actor:
    user_id, _ = create_user("worker", Role.followup_worker.value, "sample")
    return Actor(user_id, "worker", Role.followup_worker, "sample")


def _sweep(on: date) -> dict[str, int]:
    """The whole sweep of a day, one case per chunk, summed."""
    totals: dict[str, int] = {}
    cursor: str | None = ""
    while cursor is not None:
        report, cursor = followups.sweep_follow_ups(on, cursor, limit=1)
        for key, value in asdict(report).items():
            totals[key] = totals.get(key, 0) + value
    return totals


def _counts(**nonzero: int) -> dict[str, int]:
    keys = ("due", "missed", "tasks_opened", "tasks_escalated", "cases_closed", "checks_cancelled")
    return {key: nonzero.get(key, 0) for key in keys}


def _events() -> int:
    with UnitOfWork(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(CaseEvent)) or 0)


def _states(worker: Actor, case_id: str) -> list[tuple[str, Any]]:
    return [(c.state, c.outcome) for c in followups.get_schedule(worker, case_id).checks]


def test_checks_fall_due_then_missed_and_a_second_miss_escalates() -> None:
    people, worker = journeys.staff(), _worker()
    case_id = _followed_up(people, worker)
    closed_by_staff = _followed_up(people, worker)
    service.close_case(people.intake, closed_by_staff, "transferred to another province")
    due = [c.due for c in followups.get_schedule(worker, case_id).checks]

    assert _sweep(due[0] - timedelta(days=1)) == _counts(checks_cancelled=4)
    assert _states(worker, closed_by_staff) == [("cancelled", None)] * 4
    assert _sweep(due[0]) == _counts(due=1)
    assert [c.state for c in followups.due_checks(worker, due[1])] == ["due"]
    assert _sweep(due[0] + timedelta(days=14)) == _counts()  # still within the grace days
    assert _sweep(due[0] + timedelta(days=15)) == _counts(missed=1, tasks_opened=1)
    missed_twice = due[1] + timedelta(days=15)
    assert _sweep(missed_twice) == _counts(missed=1, tasks_opened=1)
    assert (
        _states(worker, case_id) == [("missed", None), ("missed", None)] + [("scheduled", None)] * 2
    )
    tasks = followups.list_tasks(worker)
    assert [(t.check_number, t.kind, t.escalated) for t in tasks] == [
        (1, "missed_check", False),
        (2, "missed_check", True),  # the check before was missed too
    ]
    assert [t.check_number for t in followups.list_tasks(people.approver)] == [2]

    before = _events()
    assert _sweep(missed_twice) == _counts()  # again on the same day: nothing
    assert _events() == before
    assert len(followups.list_tasks(worker)) == 2


def test_a_task_left_open_escalates_and_a_follow_up_with_nothing_open_closes() -> None:
    people, worker = journeys.staff(), _worker()
    case_id = _followed_up(people, worker)
    checks = followups.get_schedule(worker, case_id).checks
    for check, outcome in zip(checks, ["needs_support", "stable", "stable", "stable"], strict=True):
        followups.record_outcome(
            worker,
            case_id,
            check.id,
            OutcomeIn(outcome=outcome, checked_on=check.due),  # type: ignore[arg-type]
        )
    assert _sweep(today()) == _counts()  # the needs-support task is fresh and keeps it open
    later = today() + timedelta(days=followups.TASK_ESCALATION_DAYS + 1)
    assert _sweep(later) == _counts(tasks_escalated=1)
    assert _sweep(later) == _counts()
    [task] = followups.list_tasks(people.approver)
    assert (task.kind, task.escalated) == ("needs_support", True)
    assert followups.get_schedule(worker, case_id).stage == "following_up"

    # a follow-up left with nothing open but not closed (its closing lost) is closed by the sweep
    with UnitOfWork() as uow:
        uow.session.execute(update(FollowUpTask).values(state="resolved"))
        uow.commit()
    assert _sweep(later) == _counts(cases_closed=1)
    ended = followups.get_schedule(worker, case_id)
    assert (ended.stage, ended.closed_reason) == (
        "closed",
        "follow-up ended: 4 checks, last outcome stable",
    )
    assert _sweep(later) == _counts()


def test_resolving_the_last_task_of_missed_checks_closes_with_the_misses_counted() -> None:
    people, worker = journeys.staff(), _worker()
    case_id = _followed_up(people, worker)
    assert _sweep(today()) == _counts(missed=4, tasks_opened=4)
    tasks = followups.list_tasks(worker)
    assert [t.escalated for t in tasks] == [False, True, True, True]
    for task in tasks:
        resolver = people.approver if task.escalated else worker
        followups.resolve_task(resolver, task.id, ResolveIn(resolution="searched; not found"))
    ended = followups.get_schedule(worker, case_id)
    assert (ended.stage, ended.closed_reason) == (
        "closed",
        "follow-up ended: 4 checks (4 missed), last outcome missed",
    )
