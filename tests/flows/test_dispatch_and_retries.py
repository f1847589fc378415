"""The flows' plumbing without a flow run: declared retries and which errors they retry, and
what each dispatcher passes on (case ids only). No Prefect server needed."""

from __future__ import annotations

from typing import Any

import pytest
from prefect import Task
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from cases.exceptions import ConcurrentUpdate, InvalidInput, NotFound
from flows import campaign, dispatchers, journey, retries, sweep


class _State:
    def __init__(self, data: object) -> None:
        self.data = data


def _retried(error: object) -> bool:
    return retries.only_retriable(None, None, _State(error))


def test_every_task_declares_its_retries_with_the_one_condition() -> None:
    tasks = [
        value
        for module in (journey, sweep, campaign)
        for value in vars(module).values()
        if isinstance(value, Task)
    ]
    assert sorted(t.name for t in tasks) == [
        "advance-intake",
        "find-stuck-cases",
        "issue",
        "propose",
        "recompute-chunk",
        "refer",
        "start-campaign",
        "sweep-deadlines",
        "sweep-follow-ups",
    ]
    for each in tasks:
        assert each.retries == retries.RETRIES > 0, each.name
        assert each.retry_delay_seconds == retries.RETRY_DELAYS, each.name
        assert each.retry_condition_fn is retries.only_retriable, each.name


def test_only_a_lost_race_or_a_lost_connection_is_retried() -> None:
    lost = DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert _retried(ConcurrentUpdate("raced"))
    assert _retried(OperationalError("SELECT 1", {}, Exception("database is locked")))
    assert _retried(lost)
    assert not _retried(DBAPIError("SELECT 1", {}, Exception("bad")))
    assert not _retried(InvalidInput("broken"))
    assert not _retried(NotFound("no such case"))
    assert not _retried(IntegrityError("INSERT", {}, Exception("duplicate")))
    assert not _retried(ValueError("a bug"))
    assert not _retried(None)


def test_the_prefect_dispatcher_passes_the_case_id_only(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(
        dispatchers, "run_deployment", lambda *args, **kwargs: started.append((args, kwargs))
    )
    dispatchers.PrefectDispatcher().dispatch("issue_decision", "c-1")
    assert started == [
        (("issue_decision/issue_decision",), {"parameters": {"case_id": "c-1"}, "timeout": 0})
    ]


def test_the_inline_dispatcher_runs_queued_flows_after_the_caller_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[tuple[str, str]] = []

    def fake(name: str) -> Any:
        return lambda case_id: ran.append((name, case_id))

    monkeypatch.setattr(dispatchers, "JOURNEY", {name: fake(name) for name in journey.JOURNEY})
    inline = dispatchers.InlineDispatcher()
    inline.dispatch("intake", "a")
    inline.dispatch("refer", "b")
    assert ran == []  # queued, never run from inside the caller
    assert inline.drain() == 2 and inline.runs == 2
    assert ran == [("intake", "a"), ("refer", "b")]
    assert inline.drain() == 0
