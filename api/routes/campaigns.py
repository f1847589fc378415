"""Recalculation campaigns: their progress, and the batch approval of their deltas."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ActorDep
from api.errors import AUTH, CONFLICT, NOT_FOUND
from cases import campaigns

router = APIRouter(tags=["campaigns"])


class CampaignRead(BaseModel):
    id: str
    changed_on: str
    state: str
    total_cases: int
    done_cases: int
    changed_cases: int
    net_delta_vnd: int


def _read(status: campaigns.CampaignStatus) -> CampaignRead:
    return CampaignRead(
        id=status.id,
        changed_on=status.changed_on.isoformat(),
        state=status.state,
        total_cases=status.total_cases,
        done_cases=status.done_cases,
        changed_cases=status.changed_cases,
        net_delta_vnd=status.net_delta_vnd,
    )


@router.get(
    "/campaigns/{campaign_id}", response_model=CampaignRead, responses={**AUTH, **NOT_FOUND}
)
def get_campaign(campaign_id: str, actor: ActorDep) -> CampaignRead:
    """A campaign's progress and totals."""
    return _read(campaigns.status(campaign_id, actor))


@router.post(
    "/campaigns/{campaign_id}/approval",
    response_model=CampaignRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT},
)
def approve_campaign(campaign_id: str, actor: ActorDep) -> CampaignRead:
    """Approve every delta of a computed campaign in one action (maker-checker: not the
    account that started it)."""
    return _read(campaigns.approve(actor, campaign_id))
