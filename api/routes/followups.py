"""The follow-up after the return home: the schedule, the outcomes of the checks, the worker's
list of checks to make, and the tasks worrying findings open."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from api.deps import ActorDep
from api.errors import AUTH, CONFLICT, INVALID, NOT_FOUND, Responses
from cases import followups
from cases.followup_schemas import (
    DueCheckRead,
    OutcomeIn,
    ResolveIn,
    ReturnHomeIn,
    ScheduleRead,
    TaskRead,
    TaskState,
)

router = APIRouter(tags=["followups"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
Province = Annotated[
    str | None,
    Query(max_length=64, description="a national account may narrow the list to one province"),
]
Limit = Annotated[int, Query(ge=1, le=1000)]
REPEAT: Responses = {
    200: {"model": ScheduleRead, "description": "recorded before: the schedule, nothing created"}
}


@router.post(
    "/cases/{case_id}/return-home",
    status_code=status.HTTP_201_CREATED,
    response_model=ScheduleRead,
    responses={**REPEAT, **AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def return_home(
    case_id: str,
    body: ReturnHomeIn,
    actor: ActorDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Record the person's return home: a `referred` case moves to `following_up`, and its
    checks are scheduled from that day (1, 3, 6 and 12 months by default, or the province's
    schedule; a day missing from the month is its last day). Sent again with the same day it
    returns the schedule (200)."""
    code, payload = followups.record_return_home(actor, case_id, body, idempotency_key)
    response.status_code = code
    return payload


@router.get(
    "/cases/{case_id}/follow-ups",
    response_model=ScheduleRead,
    responses={**AUTH, **NOT_FOUND},
)
def schedule(case_id: str, actor: ActorDep) -> ScheduleRead:
    """The case's checks, what each found, who checked and when, and the tasks they opened."""
    return followups.get_schedule(actor, case_id)


@router.post(
    "/cases/{case_id}/follow-ups/{follow_up_id}/outcome",
    response_model=ScheduleRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def outcome(
    case_id: str,
    follow_up_id: str,
    body: OutcomeIn,
    actor: ActorDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Record what a check found. At risk, unreachable and a need for support open a task for
    the workers; re-trafficked opens one escalated to the approver at once, as does a second
    problem in a row; moved away ends the follow-up. When nothing is left open the case closes
    with the reason."""
    code, payload = followups.record_outcome(actor, case_id, follow_up_id, body, idempotency_key)
    response.status_code = code
    return payload


@router.get("/follow-ups", response_model=list[DueCheckRead], responses={**AUTH, **INVALID})
def due_checks(
    actor: ActorDep,
    due_before: Annotated[date, Query(description="checks due before this day")],
    province: Province = None,
    limit: Limit = 200,
) -> list[DueCheckRead]:
    """The worker's list: checks not yet made in your province, soonest first."""
    return followups.due_checks(actor, due_before, province, limit)


@router.get("/tasks", response_model=list[TaskRead], responses={**AUTH, **INVALID})
def tasks(
    actor: ActorDep,
    state: TaskState | None = TaskState.open,
    escalated: bool | None = None,
    province: Province = None,
    limit: Limit = 200,
) -> list[TaskRead]:
    """Tasks in your province, oldest first: open ones unless `state` says otherwise. An
    approver sees the escalated ones unless `escalated=false`."""
    return followups.list_tasks(actor, state, escalated, province, limit)


@router.post(
    "/tasks/{task_id}/resolve",
    response_model=TaskRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def resolve(task_id: str, body: ResolveIn, actor: ActorDep) -> TaskRead:
    """Resolve a task with what was done; an escalated task only by an approver."""
    return followups.resolve_task(actor, task_id, body)
