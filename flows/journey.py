"""The flows of one case's journey: intake, propose_benefits, issue_decision, refer."""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow, task

from cases import automation
from flows.retries import RETRIES, RETRY_DELAYS, only_retriable


@task(
    name="advance-intake",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
)
def advance_intake(case_id: str) -> str:
    return automation.advance_intake(case_id)


@task(
    name="propose",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
)
def propose(case_id: str) -> str | None:
    return automation.propose(case_id)


@task(
    name="issue",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
)
def issue(case_id: str) -> str | None:
    return automation.issue(case_id)


@task(
    name="refer",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
)
def refer_case(case_id: str) -> str:
    return automation.refer(case_id)


@flow(name="intake", flow_run_name="intake-{case_id}")
def intake(case_id: str) -> str:
    """A received case moves on to wait for its verification, with its clocks started."""
    return advance_intake(case_id)


@flow(name="propose_benefits", flow_run_name="propose-{case_id}")
def propose_benefits(case_id: str) -> str | None:
    """Compute the support and store it as a proposal; ends waiting for an approver."""
    return propose(case_id)


@flow(name="issue_decision", flow_run_name="issue-{case_id}")
def issue_decision(case_id: str) -> str | None:
    """Issue the decision of the approved calculation; a re-run returns the stored one."""
    from flows.dispatchers import dispatch_through_prefect_in_deployment_runs

    dispatch_through_prefect_in_deployment_runs()  # it dispatches `refer`
    return issue(case_id)


@flow(name="refer", flow_run_name="refer-{case_id}")
def refer(case_id: str) -> str:
    """After the decision: the case is referred and its follow-up checks are scheduled."""
    return refer_case(case_id)


#: the journey's flows by the name a `Dispatcher` is given
JOURNEY: dict[str, Flow[[str], Any]] = {
    "intake": intake,
    "propose_benefits": propose_benefits,
    "issue_decision": issue_decision,
    "refer": refer,
}
