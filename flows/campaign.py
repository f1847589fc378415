"""The recalculation campaign after a law or rate change: one flow run, chunked tasks."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from cases import campaigns
from cases.accounts import system_actor
from flows.retries import RETRIES, RETRY_DELAYS, only_retriable

CHUNK = 5000


@task(
    name="start-campaign",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
)
def start(changed_on: date) -> str:
    return campaigns.start(system_actor(), changed_on).id


# Never cached: every call has the same inputs and must do the next chunk. With result
# persistence on (PREFECT_RESULTS_PERSIST_BY_DEFAULT), the default policy would return the
# first chunk's status forever and the flow would never end.
@task(
    name="recompute-chunk",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=only_retriable,
    cache_policy=NO_CACHE,
)
def chunk(campaign_id: str, size: int) -> campaigns.CampaignStatus:
    return campaigns.run_chunk(campaign_id, size)


@flow(name="recalculate", flow_run_name="recalculate-{changed_on}")
def recalculate(changed_on: date, chunk_size: int = CHUNK) -> dict[str, object]:
    """Recompute every affected decided case from its stored snapshot and store the deltas for
    one batch approval. Started again after a crash, it resumes after the last stored chunk."""
    logger = get_run_logger()
    campaign_id = start(changed_on)
    status = campaigns.status(campaign_id)
    while status.state == "running":
        status = chunk(campaign_id, chunk_size)
        logger.info(
            "campaign %s: %d/%d computed, %d changed, net %d VND",
            campaign_id,
            status.done_cases,
            status.total_cases,
            status.changed_cases,
            status.net_delta_vnd,
        )
    return {
        "campaign_id": status.id,
        "state": status.state,
        "done": status.done_cases,
        "changed": status.changed_cases,
        "net_delta_vnd": status.net_delta_vnd,
    }
