"""The follow-up after the return home (issue 7): the checks, what they found, the tasks a
worrying finding opens, and the end of the case.

The schedule is policy, not law (law brief §7, `POLICY:follow-up`): by default checks 1, 3, 6
and 12 months after the return home, a province's own schedule if configured, month arithmetic
clamped to the month's last day (`benefits_rules.clocks.follow_up_schedule`). It starts on the
day the return home is recorded, and that day is kept in the `follow_up_scheduled` event.

A check is `scheduled`, then `due` on its day, then `done` once a worker records its outcome, or
`missed` when nobody did within the grace days; `cancelled` when the follow-up ended first (the
person moved away, or the case was closed). A missed check, an unreachable person and an at-risk
finding open a task for the province's workers; repeated (the check before was a problem too)
the task is escalated to the approver at once, as is a re-trafficked finding, and any task left
open too long. When no check and no task remains open the case closes with the reason.

Every change writes its case event and audit row in the same transaction, and compares-and-sets
the row it changes, so a retry or a race does the work once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select, update

from benefits_rules import clocks
from benefits_rules.provinces import is_known
from cases import policy
from cases.accounts import Actor, system_actor
from cases.exceptions import (
    ConcurrentUpdate,
    Conflict,
    InvalidInput,
    NotFound,
    OutsideProvince,
    RoleNotAllowed,
)
from cases.followup_schemas import (
    CheckRead,
    CheckState,
    DueCheckRead,
    Outcome,
    OutcomeIn,
    ResolveIn,
    ReturnHomeIn,
    ScheduleRead,
    TaskKind,
    TaskRead,
    TaskState,
)
from cases.idempotency import idempotent, request_hash
from cases.lifecycle import Stage
from cases.models import Case, CaseEvent, FollowUp, FollowUpTask
from cases.schemas import Role
from cases.settings import get_settings
from cases.unit_of_work import UnitOfWork

#: an intake officer who sees the person off may record the return home too
#: a task open longer than this many days is escalated to the approver
TASK_ESCALATION_DAYS = 30
OPEN_CHECKS = (CheckState.scheduled, CheckState.due)
#: findings that make the next problem a repeat, and so escalate its task
PROBLEM_OUTCOMES = frozenset({Outcome.at_risk, Outcome.re_trafficked, Outcome.unreachable})
#: the task each finding opens (stable and moved away open none)
TASK_OF: dict[Outcome, TaskKind] = {
    Outcome.needs_support: TaskKind.needs_support,
    Outcome.at_risk: TaskKind.at_risk,
    Outcome.re_trafficked: TaskKind.re_trafficked,
    Outcome.unreachable: TaskKind.missed_check,
}
#: tasks whose repetition escalates (a need for support is not a danger)
ESCALATE_ON_REPEAT = frozenset({TaskKind.at_risk, TaskKind.missed_check})
SCHEDULED_EVENT = "follow_up_scheduled"
_VIET_NAM = ZoneInfo("Asia/Ho_Chi_Minh")


# --- the return home ------------------------------------------------------------------------------


def record_return_home(
    actor: Actor, case_id: str, command: ReturnHomeIn, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Record the day the person arrived home: the case moves from `referred` to
    `following_up` and its checks are scheduled from that day. Recorded again with the same day
    it returns the schedule (200) and creates nothing; with another day it is refused, since
    the checks already run from the first."""
    policy.allow(actor, "return_home")
    _not_future(command.returned_on, "returned_on")

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        return _return_home(uow, actor, case_id, command)

    body = {"case": case_id, "return_home": command.model_dump(mode="json")}
    return idempotent(actor, idempotency_key, request_hash(body), produce)


def _return_home(
    uow: UnitOfWork, actor: Actor, case_id: str, command: ReturnHomeIn
) -> tuple[int, dict[str, Any]]:
    case = policy.case_for(uow, actor, case_id)
    recorded = _returned_on(uow, case.id)
    if recorded is not None:
        if recorded != command.returned_on:
            raise Conflict(
                f"the return home is already recorded on {recorded.isoformat()}",
                field="returned_on",
                rule="already_recorded",
            )
        return 200, _schedule(uow, case).model_dump(mode="json")
    received = policy.latest_facts(uow, case).facts.get("received_on")
    if received is not None and command.returned_on < date.fromisoformat(str(received)):
        raise InvalidInput(
            "the return home cannot be before the person was received",
            field="returned_on",
            rule="before_received",
        )
    months = sorted(set(get_settings().follow_up_months_for(case.province)))
    policy.move(uow, case, actor, Stage.following_up, "returned_home", reason=command.note)
    for number, (after, deadline) in enumerate(
        zip(months, clocks.follow_up_schedule(command.returned_on, tuple(months)), strict=True),
        start=1,
    ):
        uow.repo.add(
            FollowUp(
                case_id=case.id,
                number=number,
                months_after=after,
                due=deadline.due,
                cites=list(deadline.cites),
                rule=deadline.rule,
                state=CheckState.scheduled,
                created_at=policy.now(),
            )
        )
    policy.record_event(
        uow,
        case,
        actor,
        SCHEDULED_EVENT,
        detail={"returned_on": command.returned_on.isoformat(), "months": months},
    )
    uow.repo.flush()
    return 201, _schedule(uow, case).model_dump(mode="json")


def _returned_on(uow: UnitOfWork, case_id: str) -> date | None:
    """The recorded day of the return home, from the event that scheduled the checks."""
    detail = uow.session.scalar(
        select(CaseEvent.detail)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == SCHEDULED_EVENT)
        .order_by(CaseEvent.id)
        .limit(1)
    )
    return None if detail is None else date.fromisoformat(str(detail["returned_on"]))


def _not_future(day: date, field: str) -> None:
    if day > policy.today():
        raise InvalidInput(f"{field} cannot be in the future", field=field, rule="not_in_future")


# --- reads ----------------------------------------------------------------------------------------


def get_schedule(actor: Actor, case_id: str) -> ScheduleRead:
    """A case's checks with what each found, who checked and when, and the tasks they opened.
    Before the return home is recorded the schedule is empty."""
    policy.allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        return _schedule(uow, policy.case_for(uow, actor, case_id))


def due_checks(
    actor: Actor, due_before: date, province: str | None = None, limit: int = 200
) -> list[DueCheckRead]:
    """The worker's list: checks not yet made (scheduled or due) of cases still followed up,
    due before `due_before`, soonest first, in the actor's province (a national account may
    narrow it to one)."""
    policy.allow(actor, "read")
    scope = _province_scope(actor, province)
    with UnitOfWork(write=False) as uow:
        query = (
            select(FollowUp)
            .join(Case, Case.id == FollowUp.case_id)
            .where(
                FollowUp.state.in_(OPEN_CHECKS),
                FollowUp.due < due_before,
                Case.stage == Stage.following_up,
            )
            .order_by(FollowUp.due, FollowUp.case_id, FollowUp.number)
            .limit(min(limit, 1000))
        )
        if scope is not None:
            query = query.where(Case.province == scope)
        return [
            DueCheckRead(
                id=row.id,
                case_id=row.case_id,
                number=row.number,
                due=row.due,
                state=CheckState(row.state),
                months_after=row.months_after,
            )
            for row in uow.session.scalars(query)
        ]


def list_tasks(
    actor: Actor,
    state: TaskState | None = TaskState.open,
    escalated: bool | None = None,
    province: str | None = None,
    limit: int = 200,
) -> list[TaskRead]:
    """The tasks of the actor's province, oldest first. A worker sees every task; an approver,
    unless they ask otherwise, the escalated ones that wait on them."""
    policy.allow(actor, "tasks")
    scope = _province_scope(actor, province)
    if escalated is None and actor.role == Role.approver:
        escalated = True
    with UnitOfWork(write=False) as uow:
        query = (
            select(FollowUpTask, FollowUp.number)
            .join(FollowUp, FollowUp.id == FollowUpTask.follow_up_id)
            .join(Case, Case.id == FollowUpTask.case_id)
            .order_by(FollowUpTask.created_at, FollowUpTask.id)
            .limit(min(limit, 1000))
        )
        if scope is not None:
            query = query.where(Case.province == scope)
        if state is not None:
            query = query.where(FollowUpTask.state == state)
        if escalated is not None:
            flag = FollowUpTask.escalated_at.is_not(None)
            query = query.where(flag if escalated else FollowUpTask.escalated_at.is_(None))
        return [_task_read(task, number) for task, number in uow.session.execute(query).all()]


def _province_scope(actor: Actor, province: str | None) -> str | None:
    """The province a list covers: the actor's own, or the one a national account asks for."""
    if province is None:
        return actor.province
    if not is_known(province):
        raise InvalidInput("not a province of the registry", field="province", rule="unknown_value")
    if not actor.sees(province):
        raise OutsideProvince("the province is not yours", field="province", rule="province_scope")
    return province


def _schedule(uow: UnitOfWork, case: Case) -> ScheduleRead:
    checks = _checks(uow, case.id)
    numbers = {check.id: check.number for check in checks}
    return ScheduleRead(
        case_id=case.id,
        stage=case.stage,
        returned_on=_returned_on(uow, case.id),
        closed_reason=case.closed_reason,
        checks=[_check_read(check) for check in checks],
        tasks=[_task_read(task, numbers[task.follow_up_id]) for task in _tasks(uow, [case.id])],
    )


def _check_read(row: FollowUp) -> CheckRead:
    return CheckRead(
        id=row.id,
        case_id=row.case_id,
        number=row.number,
        months_after=row.months_after,
        due=row.due,
        state=CheckState(row.state),
        outcome=Outcome(row.outcome) if row.outcome else None,
        checked_on=row.checked_on,
        worker_id=row.worker_id,
        note=row.note,
        cites=list(row.cites),
        rule=row.rule,
    )


def _task_read(row: FollowUpTask, number: int) -> TaskRead:
    return TaskRead(
        id=row.id,
        case_id=row.case_id,
        follow_up_id=row.follow_up_id,
        check_number=number,
        kind=TaskKind(row.kind),
        state=TaskState(row.state),
        escalated=row.escalated_at is not None,
        escalated_at=row.escalated_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
        created_at=row.created_at,
    )


def _checks(uow: UnitOfWork, case_id: str) -> list[FollowUp]:
    return list(
        uow.session.scalars(
            select(FollowUp).where(FollowUp.case_id == case_id).order_by(FollowUp.number)
        )
    )


def _tasks(uow: UnitOfWork, case_ids: Sequence[str]) -> list[FollowUpTask]:
    return list(
        uow.session.scalars(
            select(FollowUpTask)
            .where(FollowUpTask.case_id.in_(case_ids))
            .order_by(FollowUpTask.created_at, FollowUpTask.id)
        )
    )


# --- outcomes -------------------------------------------------------------------------------------


def record_outcome(
    actor: Actor,
    case_id: str,
    follow_up_id: str,
    command: OutcomeIn,
    idempotency_key: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Record what a check found, by whom and on which day, and act on it in the same
    transaction: a worrying finding opens a task, a repeated one escalates it, moving away ends
    the follow-up, and a follow-up with nothing left open closes the case. The same record sent
    again by the same worker returns the schedule; a different one for a recorded check is
    refused (409)."""
    policy.allow(actor, "follow_up")
    _not_future(command.checked_on, "checked_on")

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        return 200, _record(uow, actor, case_id, follow_up_id, command).model_dump(mode="json")

    body = {"case": case_id, "check": follow_up_id, "outcome": command.model_dump(mode="json")}
    return idempotent(actor, idempotency_key, request_hash(body), produce)


def _record(
    uow: UnitOfWork, actor: Actor, case_id: str, follow_up_id: str, command: OutcomeIn
) -> ScheduleRead:
    case = policy.case_for(uow, actor, case_id)
    checks = _checks(uow, case.id)
    check = next((c for c in checks if c.id == follow_up_id), None)
    if check is None:
        raise NotFound("no such check of this case", field="follow_up_id")
    if check.state == CheckState.done:
        same = (check.worker_id, check.outcome, check.checked_on, check.note) == (
            actor.id,
            command.outcome,
            command.checked_on,
            command.note,
        )
        if same:  # a retry of the same record
            return _schedule(uow, case)
        raise Conflict(
            "this check's outcome is already recorded", field="follow_up_id", rule="recorded"
        )
    if check.state not in OPEN_CHECKS:
        raise Conflict(
            f"this check was {check.state}; its task says what to do",
            field="follow_up_id",
            rule=f"check_{check.state}",
        )
    if case.stage != Stage.following_up:
        raise Conflict("the case is not being followed up", field="stage", rule="lifecycle")
    returned_on = _returned_on(uow, case.id)
    if returned_on is not None and command.checked_on < returned_on:
        raise InvalidInput(
            "a check cannot be before the return home", field="checked_on", rule="before_return"
        )
    _set_check(
        uow,
        check,
        state=CheckState.done,
        outcome=command.outcome.value,
        checked_on=command.checked_on,
        worker_id=actor.id,
        note=command.note,
    )
    policy.record_event(
        uow,
        case,
        actor,
        "follow_up_recorded",
        reason=command.note,
        detail={
            "check": check.number,
            "outcome": command.outcome.value,
            "checked_on": command.checked_on.isoformat(),
        },
    )
    tasks = _tasks(uow, [case.id])
    kind = TASK_OF.get(command.outcome)
    if kind is not None:
        repeated = kind in ESCALATE_ON_REPEAT and _previous_was_a_problem(checks, check)
        escalate = kind == TaskKind.re_trafficked or repeated
        tasks.append(_open_task(uow, case, actor, check, kind, escalate))
    if command.outcome == Outcome.moved_away:
        _cancel(uow, case, actor, checks, "moved away")
    _close_if_ended(uow, case, actor, checks, tasks)
    return _schedule(uow, case)


def _previous_was_a_problem(checks: Sequence[FollowUp], check: FollowUp) -> bool:
    """Whether the check before this one was missed or found the person unreachable, at risk
    or re-trafficked: a second problem in a row is what escalates."""
    before = [c for c in checks if c.number == check.number - 1]
    return bool(before) and (
        before[0].state == CheckState.missed
        or (before[0].outcome is not None and Outcome(before[0].outcome) in PROBLEM_OUTCOMES)
    )


def _set_check(uow: UnitOfWork, check: FollowUp, **values: Any) -> None:
    """Compare-and-set one check on the state and version read: a lost race raises, so the
    unit of work rolls back and nothing is done twice."""
    result = uow.session.execute(
        update(FollowUp)
        .where(
            FollowUp.id == check.id,
            FollowUp.state == check.state,
            FollowUp.version == check.version,
        )
        .values(version=FollowUp.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentUpdate("the check changed meanwhile; read it again", field="follow_up_id")
    uow.session.refresh(check)


def _open_task(
    uow: UnitOfWork, case: Case, actor: Actor, check: FollowUp, kind: TaskKind, escalate: bool
) -> FollowUpTask:
    task = FollowUpTask(
        case_id=case.id,
        follow_up_id=check.id,
        kind=kind.value,
        state=TaskState.open.value,
        escalated_at=policy.now() if escalate else None,
        created_at=policy.now(),
    )
    uow.repo.add(task)
    policy.record_event(
        uow,
        case,
        actor,
        "task_opened",
        detail={"task": kind.value, "check": check.number, "escalated": escalate},
    )
    return task


def _cancel(uow: UnitOfWork, case: Case, actor: Actor, checks: Sequence[FollowUp], why: str) -> int:
    """Cancel the checks not yet made: the follow-up ended before them."""
    cancelled = [c for c in checks if c.state in OPEN_CHECKS]
    for check in cancelled:
        _set_check(uow, check, state=CheckState.cancelled)
    if cancelled:
        policy.record_event(
            uow,
            case,
            actor,
            "follow_ups_cancelled",
            reason=why,
            detail={"checks": [c.number for c in cancelled]},
        )
    return len(cancelled)


# --- the end of the follow-up ---------------------------------------------------------------------

_LABELS = {Outcome.re_trafficked: "re-trafficked"}


def _ending(checks: Sequence[FollowUp], tasks: Sequence[FollowUpTask]) -> str | None:
    """Why the follow-up has ended, or None while a check or a task is still open:
    "follow-up ended: 4 checks, last outcome stable", or "...: moved away"."""
    if not checks or any(c.state in OPEN_CHECKS for c in checks):
        return None
    if any(t.state == TaskState.open for t in tasks):
        return None
    if any(c.outcome == Outcome.moved_away for c in checks):
        return "follow-up ended: moved away"
    made = [c for c in checks if c.state != CheckState.cancelled]
    missed = sum(1 for c in made if c.state == CheckState.missed)
    last = made[-1]
    found = Outcome(last.outcome) if last.outcome else None
    label = _LABELS.get(found, found.replace("_", " ")) if found else "missed"
    count = f"{len(made)} checks" + (f" ({missed} missed)" if missed else "")
    return f"follow-up ended: {count}, last outcome {label}"


def _close_if_ended(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    checks: Sequence[FollowUp],
    tasks: Sequence[FollowUpTask],
) -> bool:
    """Close a followed-up case whose checks are all made, missed or cancelled and whose tasks
    are all resolved; its running clocks stop, as when staff close a case."""
    if case.stage != Stage.following_up:
        return False
    reason = _ending(checks, tasks)
    if reason is None:
        return False
    policy.move(
        uow, case, actor, Stage.closed, "closed", reason=reason, values={"closed_reason": reason}
    )
    for row in uow.repo.deadlines(case.id):
        if row.state in ("open", "warned", "paused"):
            row.state = "cancelled"
    return True


# --- tasks ----------------------------------------------------------------------------------------


def resolve_task(actor: Actor, task_id: str, command: ResolveIn) -> TaskRead:
    """Resolve a task with what was done. An escalated task waits on an approver, so only an
    approver resolves it. The same resolution sent again by the same account returns the task;
    a resolved task is not resolved again (409). Resolving the last open task of a follow-up
    whose checks are over closes the case."""
    policy.allow(actor, "tasks")
    with UnitOfWork() as uow:
        task = uow.session.get(FollowUpTask, task_id)
        if task is None:
            raise NotFound("no such task", field="task_id")
        case = policy.case_for(uow, actor, task.case_id)
        checks = _checks(uow, case.id)
        number = next(c.number for c in checks if c.id == task.follow_up_id)
        if task.state == TaskState.resolved:
            if (task.resolved_by, task.resolution) == (actor.id, command.resolution):
                return _task_read(task, number)
            raise Conflict("the task is already resolved", field="task_id", rule="resolved")
        if task.escalated_at is not None and actor.role != Role.approver:
            raise RoleNotAllowed(
                "an escalated task is resolved by an approver", field="role", rule="escalated_task"
            )
        _set_task(
            uow,
            task,
            state=TaskState.resolved.value,
            resolved_by=actor.id,
            resolved_at=policy.now(),
            resolution=command.resolution,
        )
        policy.record_event(
            uow,
            case,
            actor,
            "task_resolved",
            reason=command.resolution,
            detail={"task": task.kind, "check": number},
        )
        _close_if_ended(uow, case, actor, checks, _tasks(uow, [case.id]))
        uow.commit()
        return _task_read(task, number)


def _set_task(uow: UnitOfWork, task: FollowUpTask, **values: Any) -> None:
    """Compare-and-set an open task on what was read (open, escalated or not)."""
    escalated = (
        FollowUpTask.escalated_at.is_(None)
        if task.escalated_at is None
        else FollowUpTask.escalated_at.is_not(None)
    )
    result = uow.session.execute(
        update(FollowUpTask)
        .where(FollowUpTask.id == task.id, FollowUpTask.state == task.state, escalated)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentUpdate("the task changed meanwhile; read it again", field="task_id")
    uow.session.refresh(task)


# --- the daily sweep ------------------------------------------------------------------------------


@dataclass
class FollowUpSweepReport:
    """What one chunk of the follow-up sweep did."""

    due: int = 0
    missed: int = 0
    tasks_opened: int = 0
    tasks_escalated: int = 0
    cases_closed: int = 0
    checks_cancelled: int = 0


def sweep_follow_ups(
    on: date, after_id: str = "", limit: int = 1000
) -> tuple[FollowUpSweepReport, str | None]:
    """One chunk of the daily sweep over followed-up cases (by case id, after `after_id`), as
    of the day `on`: checks reaching their day become due; checks still not made
    `follow_up_grace_days` after it are missed and open a task (escalated when the check
    before was a problem too); tasks open more than `TASK_ESCALATION_DAYS` are escalated;
    follow-ups with nothing left open close their case; a case closed by staff has its
    remaining checks cancelled. Run again on the same day it changes nothing. Returns the
    report and the next cursor (None after the last chunk)."""
    report = FollowUpSweepReport()
    actor = system_actor()
    grace = timedelta(days=get_settings().follow_up_grace_days)
    stale = datetime.combine(on - timedelta(days=TASK_ESCALATION_DAYS), time.min, _VIET_NAM)
    live = exists().where(FollowUp.case_id == Case.id, FollowUp.state.in_(OPEN_CHECKS))
    with UnitOfWork() as uow:
        cases = uow.session.scalars(
            select(Case)
            .where(
                Case.id > after_id,
                or_(Case.stage == Stage.following_up, and_(Case.stage == Stage.closed, live)),
            )
            .order_by(Case.id)
            .limit(limit)
        ).all()
        ids = [case.id for case in cases]
        checks: dict[str, list[FollowUp]] = {case_id: [] for case_id in ids}
        for check in uow.session.scalars(
            select(FollowUp).where(FollowUp.case_id.in_(ids)).order_by(FollowUp.number)
        ):
            checks[check.case_id].append(check)
        tasks: dict[str, list[FollowUpTask]] = {case_id: [] for case_id in ids}
        for task in _tasks(uow, ids):
            tasks[task.case_id].append(task)
        for case in cases:
            if case.stage == Stage.closed:
                report.checks_cancelled += _cancel(uow, case, actor, checks[case.id], "case closed")
                continue
            _sweep_checks(uow, case, actor, on, grace, checks[case.id], tasks[case.id], report)
            for task in tasks[case.id]:
                if (
                    task.state == TaskState.open
                    and not task.escalated_at
                    and task.created_at < stale
                ):
                    _escalate(uow, case, actor, task, checks[case.id])
                    report.tasks_escalated += 1
            if _close_if_ended(uow, case, actor, checks[case.id], tasks[case.id]):
                report.cases_closed += 1
        uow.commit()
    return report, (ids[-1] if len(ids) == limit else None)


def _sweep_checks(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    on: date,
    grace: timedelta,
    checks: list[FollowUp],
    tasks: list[FollowUpTask],
    report: FollowUpSweepReport,
) -> None:
    """Due and missed checks of one case, earliest first, so a check missed now counts as the
    problem before the next."""
    for check in checks:
        if check.state in OPEN_CHECKS and check.due + grace < on:
            _set_check(uow, check, state=CheckState.missed)
            policy.record_event(
                uow,
                case,
                actor,
                "follow_up_missed",
                detail={"check": check.number, "due": check.due.isoformat()},
            )
            escalate = _previous_was_a_problem(checks, check)
            tasks.append(_open_task(uow, case, actor, check, TaskKind.missed_check, escalate))
            report.missed += 1
            report.tasks_opened += 1
        elif check.state == CheckState.scheduled and check.due <= on:
            _set_check(uow, check, state=CheckState.due)
            policy.record_event(
                uow,
                case,
                actor,
                "follow_up_due",
                detail={"check": check.number, "due": check.due.isoformat()},
            )
            report.due += 1


def _escalate(
    uow: UnitOfWork, case: Case, actor: Actor, task: FollowUpTask, checks: Sequence[FollowUp]
) -> None:
    _set_task(uow, task, escalated_at=policy.now())
    number = next(c.number for c in checks if c.id == task.follow_up_id)
    policy.record_event(
        uow,
        case,
        actor,
        "task_escalated",
        reason=f"open more than {TASK_ESCALATION_DAYS} days",
        detail={"task": task.kind, "check": number},
    )
