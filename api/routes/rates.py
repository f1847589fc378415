"""Provincial rates: read them, append a dated value with its citation."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ActorDep
from api.errors import AUTH, CONFLICT, INVALID, NOT_FOUND
from cases import service
from cases.schemas import RateIn, RateRead

router = APIRouter(tags=["rates"])


@router.get("/rates/{province}", response_model=list[RateRead], responses={**AUTH, **NOT_FOUND})
def list_rates(province: str, actor: ActorDep) -> list[RateRead]:
    """Dated rate values with their citations: shipped and entered."""
    return service.list_rates(actor, province)


@router.post(
    "/rates/{province}",
    status_code=status.HTTP_201_CREATED,
    response_model=RateRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def enter_rate(province: str, body: RateIn, actor: ActorDep) -> RateRead:
    """Append a value from a date (never an edit of an old one); recompute cases to apply it."""
    return service.enter_rate(actor, province, body)
