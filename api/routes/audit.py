"""The audit log's integrity."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ActorDep
from api.errors import AUTH
from cases import service
from cases.schemas import AuditReport

router = APIRouter(tags=["audit"])


@router.get("/audit/verify", response_model=AuditReport, responses={**AUTH})
def verify(actor: ActorDep) -> AuditReport:
    """Walk the hash chain; the first broken link says where a row was deleted or edited."""
    return service.verify_audit(actor)
