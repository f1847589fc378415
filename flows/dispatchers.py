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
