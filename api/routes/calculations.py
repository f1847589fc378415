"""Support decisions: compute a proposal, read it and its trace, approve or return it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response, status

from api.deps import ActorDep
from api.errors import AUTH, CONFLICT, INVALID, MAKER_CHECKER, NOT_FOUND
from cases import service
from cases.schemas import (
    ApprovalCreate,
    ApprovalRead,
    CalculationCreate,
    CalculationRead,
    TraceRead,
)

router = APIRouter(tags=["calculations"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


@router.post(
    "/cases/{case_id}/calculations",
    status_code=status.HTTP_201_CREATED,
    response_model=CalculationRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def propose(
    case_id: str,
    actor: ActorDep,
    response: Response,
    body: Annotated[CalculationCreate | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Compute the support on `as_of` (default today) and store it as a proposal."""
    code, payload = service.propose_benefits(
        actor, case_id, body.as_of if body else None, idempotency_key
    )
    response.status_code = code
    return payload


@router.get(
    "/cases/{case_id}/calculations",
    response_model=list[CalculationRead],
    responses={**AUTH, **NOT_FOUND},
)
def list_calculations(case_id: str, actor: ActorDep) -> list[CalculationRead]:
    """Every support decision of the case."""
    return service.list_calculations(actor, case_id)


@router.get(
    "/cases/{case_id}/calculations/{calculation_id}",
    response_model=CalculationRead,
    responses={**AUTH, **NOT_FOUND},
)
def get_calculation(case_id: str, calculation_id: str, actor: ActorDep) -> CalculationRead:
    """One support decision."""
    return service.get_calculation(actor, case_id, calculation_id)


@router.get(
    "/cases/{case_id}/calculations/{calculation_id}/trace",
    response_model=TraceRead,
    responses={**AUTH, **NOT_FOUND},
)
def get_trace(case_id: str, calculation_id: str, actor: ActorDep) -> TraceRead:
    """Why each line is what it is: the rule, every parameter and rate with its citation."""
    return service.get_trace(actor, case_id, calculation_id)


@router.post(
    "/cases/{case_id}/approvals",
    status_code=status.HTTP_201_CREATED,
    response_model=ApprovalRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **MAKER_CHECKER},
)
def decide(
    case_id: str,
    body: ApprovalCreate,
    actor: ActorDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Approve or return a proposal (maker-checker; a second approver over the threshold;
    lines resting on unconfirmed law need `acknowledge_unconfirmed` with a note)."""
    code, payload = service.decide(actor, case_id, body, idempotency_key)
    response.status_code = code
    return payload
