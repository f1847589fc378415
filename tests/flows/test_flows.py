"""Each flow as a real flow run on the shared Prefect test harness (design §5): it does its step
once from the stored state, a second run changes nothing, and Prefect keeps nothing but case
ids (or a date) in the run's name and parameters. On SQLite only: the steps themselves are
tested on both databases elsewhere; here Prefect's share is what is tested."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from benefits_rules import clocks
from cases import automation, followups, service
from cases.exceptions import ConcurrentUpdate, InvalidInput
from cases.followup_schemas import ReturnHomeIn
from cases.lifecycle import CalcState, Stage
from cases.models import (
    Case,
    CaseEvent,
    Deadline,
    Decision,
    DecisionSequence,
    FollowUp,
    RecalcCampaign,
    RecalcDelta,
)
from cases.unit_of_work import UnitOfWork
from flows import campaign as campaign_flows
from flows import journey
from flows.sweep import daily_sweep
from tests.flows import journeys

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
pytestmark = pytest.mark.usefixtures("prefect_harness")


class Recorder:
    """A dispatcher that only records what it was asked to start."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def dispatch(self, flow: str, case_id: str) -> None:
        self.calls.append((flow, case_id))


@pytest.fixture
def recorder(configured: str, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    from cases import dispatch

    made = Recorder()
    monkeypatch.setattr(dispatch, "_current", made)
    return made


def flow_runs(name: str) -> list[Any]:
    """The flow runs of this name, read back from Prefect's API, oldest first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        )


def assert_runs(name: str, flow: str, parameters: dict[str, Any], count: int = 2) -> list[Any]:
    """`count` completed runs of `flow`, named `name`, with exactly these parameters."""
    from prefect.client.orchestration import get_client

    runs = flow_runs(name)
    assert len(runs) == count, [r.name for r in runs]
    with get_client(sync_client=True) as client:
        for run in runs:
            assert run.state is not None and run.state.is_completed(), run.state
            assert client.read_flow(run.flow_id).name == flow
            assert run.parameters == parameters
    return runs


def events(case_id: str) -> list[str]:
    with UnitOfWork(write=False) as uow:
        return list(
            uow.session.scalars(
                select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        )


def deadlines(case_id: str) -> list[tuple[str, date | None, str]]:
    with UnitOfWork(write=False) as uow:
        rows = uow.session.scalars(select(Deadline).where(Deadline.case_id == case_id)).all()
        return sorted((row.kind, row.due, row.state) for row in rows)


def follow_up_checks(case_id: str) -> list[tuple[int, date, str]]:
    with UnitOfWork(write=False) as uow:
        rows = uow.session.scalars(select(FollowUp).where(FollowUp.case_id == case_id)).all()
        return sorted((row.number, row.due, row.state) for row in rows)


def calculations(case_id: str) -> list[tuple[str, str, str, str]]:
    """(id, state, kind, proposed by) of the case's calculations, oldest first."""
    with UnitOfWork(write=False) as uow:
        return [(c.id, c.state, c.kind, c.proposed_by) for c in uow.repo.calculations(case_id)]


# --- the journey ---------------------------------------------------------------------------------


@SQLITE
def test_intake_moves_a_received_case_on_and_starts_its_stay_clock(configured: str) -> None:
    people = journeys.staff()
    case_id = journeys.received(people)
    assert journey.intake(case_id) == Stage.awaiting_verification
    after = (service.get_case(people.intake, case_id).stage, deadlines(case_id), events(case_id))
    assert after[0] == Stage.awaiting_verification
    assert [(kind, state) for kind, _due, state in after[1]] == [("stay_limit", "open")]
    assert after[2] == ["received", "intake_done"]

    assert journey.intake(case_id) == Stage.awaiting_verification  # again: nothing changes
    assert (
        service.get_case(people.intake, case_id).stage,
        deadlines(case_id),
        events(case_id),
    ) == after
    assert_runs(f"intake-{case_id}", "intake", {"case_id": case_id})


@SQLITE
def test_propose_benefits_stores_one_proposal_by_the_system_account(configured: str) -> None:
    people = journeys.staff()
    case_id = journeys.identified(people, journeys.received(people))
    calc_id = journey.propose_benefits(case_id)
    assert calc_id is not None
    assert journey.propose_benefits(case_id) == calc_id  # again: the same proposal
    assert calculations(case_id) == [(calc_id, CalcState.proposed, "full", people.system.id)]
    assert service.get_case(people.intake, case_id).stage == Stage.identified
    assert events(case_id).count("benefits_proposed") == 1
    assert_runs(f"propose-{case_id}", "propose_benefits", {"case_id": case_id})


@SQLITE
def test_issue_decision_issues_one_number_and_a_rerun_returns_it(
    configured: str, recorder: Recorder
) -> None:
    people = journeys.staff()
    case_id = journeys.identified(people, journeys.received(people))
    calc_id = automation.propose(case_id)
    assert calc_id is not None
    journeys.approve(people, case_id, calc_id)
    year = service.today().year
    recorder.calls.clear()

    assert journey.issue_decision(case_id) == f"{year}-01"
    assert recorder.calls == [("refer", case_id)]
    assert journey.issue_decision(case_id) == f"{year}-01"  # again: the stored decision
    with UnitOfWork(write=False) as uow:
        stored = uow.session.scalars(select(Decision)).all()
        assert [(d.case_id, d.calculation_id, d.number) for d in stored] == [(case_id, calc_id, 1)]
        assert stored[0].issued_by == people.system.id and stored[0].reference == "01/QĐ-SYT"
        assert uow.session.scalar(select(DecisionSequence.last_number)) == 1
    assert [state for _id, state, _kind, _by in calculations(case_id)] == [CalcState.issued]
    assert events(case_id).count("decision_issued") == 1
    assert_runs(f"issue-{case_id}", "issue_decision", {"case_id": case_id})


@SQLITE
def test_refer_moves_the_case_once_and_the_return_home_schedules_the_checks(
    configured: str,
) -> None:
    people = journeys.staff()
    case_id, _number = journeys.issued(people)
    before = deadlines(case_id)
    assert journey.refer(case_id) == Stage.referred
    assert deadlines(case_id) == before  # no follow-up clock: the checks wait for the return home
    assert follow_up_checks(case_id) == []

    after = (deadlines(case_id), events(case_id))
    assert journey.refer(case_id) == Stage.referred  # again: nothing changes
    assert (deadlines(case_id), events(case_id)) == after
    assert events(case_id).count("referred") == 1
    assert_runs(f"refer-{case_id}", "refer", {"case_id": case_id})

    returned_on = service.today() - timedelta(days=3)
    followups.record_return_home(people.intake, case_id, ReturnHomeIn(returned_on=returned_on))
    assert service.get_case(people.intake, case_id).stage == Stage.following_up
    due = [d.due for d in clocks.follow_up_schedule(returned_on)]
    assert follow_up_checks(case_id) == [(n, day, "scheduled") for n, day in enumerate(due, 1)]


# --- the daily sweep -----------------------------------------------------------------------------


@SQLITE
def test_the_daily_sweep_warns_breaches_and_redispatches(
    configured: str, recorder: Recorder
) -> None:
    people = journeys.staff()
    warned = journeys.received(people)  # stay from 2025-10-01: due 2026-01-28, warned from 01-18
    breached = journeys.received(people, received_on="2025-08-01", stay={"from": "2025-08-01"})
    for case_id in (warned, breached):
        automation.advance_intake(case_id)
    stuck = journeys.received(people)  # left in `received`: its intake dispatch was lost
    with UnitOfWork() as uow:
        uow.session.execute(
            update(Case)
            .where(Case.id == stuck)
            .values(updated_at=datetime.now(UTC) - timedelta(hours=2))
        )
        uow.commit()
    ((kind, due, _),) = deadlines(warned)
    assert due is not None
    on = due - timedelta(days=5)
    assert on == date(2026, 1, 23)
    home, _number = journeys.issued(people)  # back home a month before: its first check is due
    automation.refer(home)
    followups.record_return_home(people.intake, home, ReturnHomeIn(returned_on=date(2025, 12, 23)))
    recorder.calls.clear()

    assert daily_sweep(on) == {
        "warned": 1,
        "breached": 1,
        "follow_ups_due": 1,
        "follow_ups_missed": 0,
        "tasks_escalated": 0,
        "cases_closed": 0,
        "redispatched": 1,
    }
    assert deadlines(warned) == [(kind, due, "warned")]
    assert [state for _k, _d, state in deadlines(breached)] == ["breached"]
    assert [state for _n, _d, state in follow_up_checks(home)][:2] == ["due", "scheduled"]
    assert recorder.calls == [("intake", stuck)]
    assert events(warned).count("deadline_warned") == 1
    assert events(breached).count("deadline_breached") == 1
    assert events(home).count("follow_up_due") == 1

    again = daily_sweep(on)  # the next run finds nothing new to warn, breach or make due
    assert again == {
        "warned": 0,
        "breached": 0,
        "follow_ups_due": 0,
        "follow_ups_missed": 0,
        "tasks_escalated": 0,
        "cases_closed": 0,
        "redispatched": 1,
    }
    assert events(warned).count("deadline_warned") == 1
    assert events(breached).count("deadline_breached") == 1
    assert events(home).count("follow_up_due") == 1
    assert_runs(f"daily-sweep-{on.isoformat()}", "daily_sweep", {"on": on.isoformat()})


@SQLITE
def test_the_daily_sweep_without_a_day_is_named_after_today(configured: str) -> None:
    name = f"daily-sweep-{service.today().isoformat()}"
    before = {run.id for run in flow_runs(name)}  # the demo's, if it ran in this process
    daily_sweep()
    [run] = [run for run in flow_runs(name) if run.id not in before]
    assert run.state is not None and run.state.is_completed()
    assert run.parameters == {"on": None}


# --- the recalculation campaign ------------------------------------------------------------------


@SQLITE
def test_recalculate_stores_each_delta_once_and_a_rerun_changes_nothing(configured: str) -> None:
    people = journeys.staff()
    changed = [journeys.approved(people)[1] for _ in range(2)]  # food from 2025-10-01 to 11-30
    unchanged = journeys.approved(  # a stay that ended before the new rate
        people, received_on="2025-08-01", stay={"from": "2025-08-01", "to": "2025-09-30"}
    )[1]
    changed_on = date(2025, 10, 15)
    journeys.enter_food_rate(people, changed_on, 90_000)

    result = campaign_flows.recalculate(changed_on, chunk_size=2)
    per_day = 90_000 - 70_000
    days = (date(2025, 11, 30) - changed_on).days + 1  # stay days at the new rate
    assert result["state"] == "computed" and result["done"] == 3 and result["changed"] == 2
    assert result["net_delta_vnd"] == 2 * days * per_day

    def stored() -> tuple[Any, ...]:
        with UnitOfWork(write=False) as uow:
            rows = uow.session.scalars(select(RecalcDelta)).all()
            campaigns = uow.session.scalars(select(RecalcCampaign)).all()
            return (
                sorted((d.calculation_id, d.delta_vnd, d.state) for d in rows),
                [(c.id, c.state, c.total_cases, c.done_cases, c.changed_cases) for c in campaigns],
            )

    deltas, campaigns = stored()
    assert deltas == sorted((calc, days * per_day, "pending") for calc in changed)
    assert unchanged not in {calc for calc, _delta, _state in deltas}
    assert campaigns == [(result["campaign_id"], "computed", 3, 3, 2)]

    assert campaign_flows.recalculate(changed_on, chunk_size=2) == result  # again: the same
    assert stored() == (deltas, campaigns)
    parameters = {"changed_on": changed_on.isoformat(), "chunk_size": 2}
    assert_runs(f"recalculate-{changed_on.isoformat()}", "recalculate", parameters)


# --- retries -------------------------------------------------------------------------------------

_ADVANCE_INTAKE = automation.advance_intake


def _flaky(error: Exception, failures: int, calls: list[str]) -> Any:
    """`automation.advance_intake` failing with `error` the first `failures` times."""
    real = _ADVANCE_INTAKE

    def step(case_id: str) -> str:
        calls.append(case_id)
        if len(calls) <= failures:
            raise error
        return real(case_id)

    return step


def _task_runs(flow_run_id: Any) -> list[Any]:
    """The flow run's task runs once Prefect has recorded their final state (task-run states
    reach the server as events, a moment after the flow run ends)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            if runs and all(r.state is not None and r.state.is_final() for r in runs):
                return runs
            if time.monotonic() > deadline:
                return runs
            time.sleep(0.2)


@SQLITE
def test_a_lost_race_is_retried_and_a_broken_rule_is_not(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = journeys.staff()
    fast = journey.advance_intake.with_options(retry_delay_seconds=0)
    monkeypatch.setattr(journey, "advance_intake", fast)

    raced = journeys.received(people)
    calls: list[str] = []
    monkeypatch.setattr(
        automation, "advance_intake", _flaky(ConcurrentUpdate("raced", field="case"), 1, calls)
    )
    assert journey.intake(raced) == Stage.awaiting_verification
    assert calls == [raced, raced]

    broken = journeys.received(people)
    calls.clear()
    monkeypatch.setattr(
        automation, "advance_intake", _flaky(InvalidInput("broken", field="facts"), 99, calls)
    )
    with pytest.raises(InvalidInput):
        journey.intake(broken)
    assert calls == [broken]  # one attempt: a broken rule fails at once
    assert service.get_case(people.intake, broken).stage == Stage.received

    [ok] = assert_runs(f"intake-{raced}", "intake", {"case_id": raced}, count=1)
    [failed] = flow_runs(f"intake-{broken}")
    assert failed.state is not None and failed.state.is_failed()
    assert [(t.run_count, t.state.type.value) for t in _task_runs(ok.id)] == [(2, "COMPLETED")]
    assert [(t.run_count, t.state.type.value) for t in _task_runs(failed.id)] == [(1, "FAILED")]
