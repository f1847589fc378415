"""The daily sweep: one run for all cases, in chunks."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task

from cases import automation, followups
from cases.dispatch import dispatch
from cases.service import today
from flows.dispatchers import dispatch_through_prefect_in_deployment_runs
from flows.retries import RETRIES, RETRY_DELAYS, only_retriable

CHUNK = 1000


@task(
    name="sweep-deadlines",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
)
def sweep_chunk(on: date, after_id: str) -> tuple[int, int, str | None]:
    report, cursor = automation.sweep_deadlines(on, after_id, CHUNK)
    return report.warned, report.breached, cursor


@task(
    name="sweep-follow-ups",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
)
def sweep_follow_up_chunk(on: date, after_id: str) -> tuple[dict[str, int], str | None]:
    """One chunk of followed-up cases: checks due and missed, tasks opened and escalated,
    follow-ups ended. Counts and a case-id cursor only: nothing personal crosses into Prefect."""
    report, cursor = followups.sweep_follow_ups(on, after_id, CHUNK)
    counts = {
        "follow_ups_due": report.due,
        "follow_ups_missed": report.missed,
        "tasks_escalated": report.tasks_escalated,
        "cases_closed": report.cases_closed,
    }
    return counts, cursor


@task(
    name="find-stuck-cases",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
)
def find_stuck() -> list[tuple[str, str]]:
    return automation.stuck_cases()


def _run_name() -> str:
    """`daily-sweep-<day>`: the day swept, today's when the run is given none (the cron's)."""
    from prefect.runtime import flow_run

    return f"daily-sweep-{flow_run.parameters.get('on') or today()}"


@flow(name="daily_sweep", flow_run_name=_run_name)
def daily_sweep(on: date | None = None) -> dict[str, int]:
    """Deadlines coming due (warned) and breached, on the working-day calendar the clocks were
    computed with; stays nearing day 120; follow-up checks due and missed, their tasks escalated
    and the follow-ups that ended closed; cases stuck in an automatic step are dispatched
    again."""
    logger = get_run_logger()
    dispatch_through_prefect_in_deployment_runs()  # it re-dispatches stuck cases
    day = on or today()
    totals = {
        "warned": 0,
        "breached": 0,
        "follow_ups_due": 0,
        "follow_ups_missed": 0,
        "tasks_escalated": 0,
        "cases_closed": 0,
        "redispatched": 0,
    }
    cursor: str | None = ""
    while cursor is not None:
        warned, breached, cursor = sweep_chunk(day, cursor)
        totals["warned"] += warned
        totals["breached"] += breached
    cursor = ""
    while cursor is not None:
        counts, cursor = sweep_follow_up_chunk(day, cursor)
        for key, count in counts.items():
            totals[key] += count
    for flow_name, case_id in find_stuck():
        dispatch(flow_name, case_id)
        totals["redispatched"] += 1
    logger.info("daily sweep %s: %s", day.isoformat(), totals)
    return totals
