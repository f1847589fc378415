"""The deployments `vongtay serve` hosts: one per journey flow, the daily sweep on a cron, and
the recalculation campaign. Several runner processes, on several hosts, may serve the same
deployments against one Prefect server: Prefect gives each scheduled run to one of them."""

from __future__ import annotations

from typing import Any

from prefect import serve
from prefect.schedules import Cron

from flows.campaign import recalculate
from flows.journey import JOURNEY
from flows.sweep import daily_sweep

SWEEP_CRON = "30 1 * * *"  # 01:30 every day, Viet Nam time
SWEEP_TIMEZONE = "Asia/Ho_Chi_Minh"


def deployments() -> list[Any]:
    """Every deployment, named after its flow."""
    made = [journey_flow.to_deployment(name=name) for name, journey_flow in JOURNEY.items()]
    made.append(
        daily_sweep.to_deployment(
            name="daily_sweep", schedule=Cron(SWEEP_CRON, timezone=SWEEP_TIMEZONE)
        )
    )
    made.append(recalculate.to_deployment(name="recalculate"))
    return made


def serve_deployments(limit: int = 8) -> None:
    """Host every deployment in this process until stopped (a Prefect runner).

    A runner that stops leaves the deployments as they are: they are shared by every runner,
    and Prefect's default (pause them on shutdown) would stop the daily sweep's schedule for
    the runners still serving."""
    serve(*deployments(), limit=limit, pause_on_shutdown=False)
