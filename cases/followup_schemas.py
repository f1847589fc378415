"""Shapes of the follow-up after the return home: what a worker records and what they read.

None holds personal data: a check says when and what was found, by which account (an id); the
person behind the case is reached only through the vault, for a stated purpose.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from cases.schemas import Strict


class Outcome(StrEnum):
    """What a worker found at a check."""

    stable = "stable"
    needs_support = "needs_support"
    at_risk = "at_risk"
    re_trafficked = "re_trafficked"
    unreachable = "unreachable"
    moved_away = "moved_away"


class CheckState(StrEnum):
    """Where one check is: `done` once an outcome is recorded, `missed` when nobody recorded one
    within the grace days, `cancelled` when the follow-up ended before it was due."""

    scheduled = "scheduled"
    due = "due"
    done = "done"
    missed = "missed"
    cancelled = "cancelled"


class TaskKind(StrEnum):
    """Why a task was opened."""

    missed_check = "missed_check"
    needs_support = "needs_support"
    at_risk = "at_risk"
    re_trafficked = "re_trafficked"


class TaskState(StrEnum):
    open = "open"
    resolved = "resolved"


class ReturnHomeIn(Strict):
    returned_on: date = Field(description="the day the person arrived home; not in the future")
    note: str | None = Field(default=None, max_length=2000)


class OutcomeIn(Strict):
    outcome: Outcome
    checked_on: date = Field(description="the day of the check; not in the future")
    note: str | None = Field(default=None, max_length=2000)


class ResolveIn(Strict):
    resolution: str = Field(min_length=1, max_length=2000)


class CheckRead(BaseModel):
    id: str
    case_id: str
    number: int
    months_after: int
    due: date
    state: CheckState
    outcome: Outcome | None
    checked_on: date | None
    worker_id: str | None
    note: str | None
    cites: list[str]
    rule: str


class TaskRead(BaseModel):
    id: str
    case_id: str
    follow_up_id: str
    check_number: int
    kind: TaskKind
    state: TaskState
    escalated: bool
    escalated_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None
    created_at: datetime


class ScheduleRead(BaseModel):
    """A case's follow-up: the checks, the tasks they opened, and whether it has ended."""

    case_id: str
    stage: str
    returned_on: date | None
    closed_reason: str | None
    checks: list[CheckRead]
    tasks: list[TaskRead]


class DueCheckRead(BaseModel):
    """One line of a worker's list of checks to make."""

    id: str
    case_id: str
    number: int
    due: date
    state: CheckState
    months_after: int
