"""The two `Dispatcher`s: Prefect deployments for production, in-process runs for the demo and
the tests."""

from __future__ import annotations

import logging
from collections import deque

from prefect.deployments import run_deployment

from flows.journey import JOURNEY

log = logging.getLogger(__name__)


class PrefectDispatcher:
    """Starts the flow's deployment (served by `vongtay serve`) and returns at once."""

    def dispatch(self, flow: str, case_id: str) -> None:
        run_deployment(f"{flow}/{flow}", parameters={"case_id": case_id}, timeout=0)


def dispatch_through_prefect_in_deployment_runs() -> None:
    """In a run of a served deployment, start further flows through Prefect.

    A runner executes each flow run in a fresh process, where the dispatcher that `vongtay
    serve` installed in the runner's own process is not set: a dispatch from inside the run
    (`issue_decision` starting `refer`, the daily sweep's re-dispatches) would reach the
    `NullDispatcher` and be lost. Runs outside a deployment (the demo's inline runs, the
    tests) keep the dispatcher they were given."""
    from prefect.runtime import deployment

    from cases.dispatch import NullDispatcher, dispatcher, set_dispatcher

    if deployment.id is not None and isinstance(dispatcher(), NullDispatcher):
        set_dispatcher(PrefectDispatcher())


class InlineDispatcher:
    """Runs the same flows in this process, on Prefect's own (ephemeral) server.

    Dispatches made while a flow runs are queued and run after it, in order, so a flow never
    starts another from inside a task; `drain` runs the queue until it is empty.
    """

    def __init__(self) -> None:
        self.queue: deque[tuple[str, str]] = deque()
        self.runs = 0

    def dispatch(self, flow: str, case_id: str) -> None:
        self.queue.append((flow, case_id))

    def drain(self, limit: int = 10_000) -> int:
        """Run every queued flow (and what they queue); returns how many ran."""
        ran = 0
        while self.queue and ran < limit:
            flow, case_id = self.queue.popleft()
            JOURNEY[flow](case_id)
            ran += 1
        self.runs += ran
        return ran
