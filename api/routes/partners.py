"""Partner organisations: an admin registers them; staff list those serving their province."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status

from api.deps import ActorDep
from api.errors import AUTH, CONFLICT, INVALID
from cases import partners
from cases.referral_schemas import PartnerCreate, PartnerRead, ServiceName

router = APIRouter(tags=["partners"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


@router.post(
    "/partners",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerRead,
    responses={**AUTH, **CONFLICT, **INVALID},
)
def create_partner(
    body: PartnerCreate, actor: ActorDep, response: Response, idempotency_key: IdempotencyKey = None
) -> Any:
    """Register a partner organisation (admins only): its slug, name, the one service it offers,
    and its province (null for a national partner)."""
    code, payload = partners.create_partner(actor, body, idempotency_key)
    response.status_code = code
    return payload


@router.get("/partners", response_model=list[PartnerRead], responses={**AUTH, **INVALID})
def list_partners(actor: ActorDep, service: ServiceName | None = None) -> list[PartnerRead]:
    """The partners you may refer to: national ones and those of your province."""
    return partners.list_partners(actor, service)
