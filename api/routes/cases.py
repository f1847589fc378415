"""Cases: intake, reads, verification, identification, clocks, decisions on facts, closing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from api.deps import ActorDep
from api.errors import AUTH, CONFLICT, INVALID, NOT_FOUND, Responses
from cases import service
from cases.schemas import (
    CaseCreate,
    CaseCreated,
    CaseRead,
    ClockIn,
    CloseIn,
    DeadlineRead,
    DuplicateDecisionIn,
    DuplicateRead,
    EventRead,
    ExtensionIn,
    FactsCorrection,
    FactsRead,
    IdentificationIn,
    RefusalIn,
    RegimeOverrideIn,
    VerificationIn,
)

router = APIRouter(tags=["cases"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
ON_CASE: Responses = {**AUTH, **NOT_FOUND}


@router.post(
    "/cases",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseCreated,
    responses={**AUTH, **INVALID, 409: CONFLICT[409]},
)
def receive(
    body: CaseCreate, actor: ActorDep, response: Response, idempotency_key: IdempotencyKey = None
) -> Any:
    """Receive a person and the minors who came with them. The person's data goes to the
    encrypted vault; the answer carries only ids. Repeat with the same `Idempotency-Key` to get
    the first answer back."""
    code, payload = service.receive(actor, body, idempotency_key)
    response.status_code = code
    return payload


@router.get("/cases", response_model=list[CaseRead], responses={**AUTH, **INVALID})
def list_cases(
    actor: ActorDep,
    stage: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[CaseRead]:
    """The cases of your province."""
    return service.list_cases(actor, stage, limit, offset)


@router.get("/cases/{case_id}", response_model=CaseRead, responses=ON_CASE)
def get_case(case_id: str, actor: ActorDep) -> CaseRead:
    """A case: stage, regime, deadlines. No personal data."""
    return service.get_case(actor, case_id)


@router.get("/cases/{case_id}/facts", response_model=FactsRead, responses=ON_CASE)
def get_facts(case_id: str, actor: ActorDep) -> FactsRead:
    """The current version of the case's facts."""
    return service.get_facts(actor, case_id)


@router.post(
    "/cases/{case_id}/facts",
    response_model=FactsRead,
    status_code=status.HTTP_201_CREATED,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def correct_facts(case_id: str, body: FactsCorrection, actor: ActorDep) -> FactsRead:
    """Correct facts recorded wrongly: a new version with the reason; the law's rules apply."""
    return service.correct_facts(actor, case_id, body.facts, body.reason)


@router.get("/cases/{case_id}/events", response_model=list[EventRead], responses=ON_CASE)
def get_events(case_id: str, actor: ActorDep) -> list[EventRead]:
    """The history of the case."""
    return service.case_events(actor, case_id)


@router.post(
    "/cases/{case_id}/verification",
    response_model=CaseRead,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def verification(case_id: str, body: VerificationIn, actor: ActorDep) -> CaseRead:
    """The initial verification (within 3 days of the commune's notification)."""
    return service.record_verification(actor, case_id, body)


@router.post(
    "/cases/{case_id}/verification/pause",
    response_model=DeadlineRead,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def pause(case_id: str, body: ClockIn, actor: ActorDep) -> DeadlineRead:
    """Pause a clock with a reason (e.g. waiting on the border guard's reply)."""
    return service.pause_clock(actor, case_id, body.clock, body.reason)


@router.post(
    "/cases/{case_id}/verification/resume",
    response_model=DeadlineRead,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def resume(case_id: str, body: ClockIn, actor: ActorDep) -> DeadlineRead:
    """Resume a paused clock with the days it had left."""
    return service.resume_clock(actor, case_id, body.clock, body.reason)


@router.post(
    "/cases/{case_id}/identification",
    response_model=CaseRead,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def identification(case_id: str, body: IdentificationIn, actor: ActorDep) -> CaseRead:
    """The identification result, with the certificate's issuer, number and date."""
    return service.record_identification(actor, case_id, body)


@router.post(
    "/cases/{case_id}/refusals",
    response_model=FactsRead,
    status_code=status.HTTP_201_CREATED,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def refuse(case_id: str, body: RefusalIn, actor: ActorDep) -> FactsRead:
    """The person refuses some support (they may ask for it again later)."""
    return service.record_refusal(actor, case_id, body.items, body.note)


@router.post(
    "/cases/{case_id}/refusals/withdrawal",
    response_model=FactsRead,
    status_code=status.HTTP_201_CREATED,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def withdraw(case_id: str, body: RefusalIn, actor: ActorDep) -> FactsRead:
    """Withdraw a refusal: the items come back."""
    return service.withdraw_refusal(actor, case_id, body.items, body.note)


@router.post(
    "/cases/{case_id}/regime-override",
    response_model=FactsRead,
    status_code=status.HTTP_201_CREATED,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def regime_override(case_id: str, body: RegimeOverrideIn, actor: ActorDep) -> FactsRead:
    """An approver sets the case's regime, with a reason printed in the decision."""
    return service.override_regime(actor, case_id, body.regime, body.reason)


@router.post(
    "/cases/{case_id}/stay-extension",
    response_model=FactsRead,
    status_code=status.HTTP_201_CREATED,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def stay_extension(case_id: str, body: ExtensionIn, actor: ActorDep) -> FactsRead:
    """Record a decision extending the stay beyond 120 days."""
    return service.record_extension(actor, case_id, body)


@router.post(
    "/cases/{case_id}/close", response_model=CaseRead, responses={**ON_CASE, **CONFLICT, **INVALID}
)
def close(case_id: str, body: CloseIn, actor: ActorDep) -> CaseRead:
    """Close the case with a reason."""
    return service.close_case(actor, case_id, body.reason)


@router.get("/cases/{case_id}/duplicates", response_model=list[DuplicateRead], responses=ON_CASE)
def duplicates(case_id: str, actor: ActorDep) -> list[DuplicateRead]:
    """Possible earlier cases of the same person."""
    return service.list_duplicates(actor, case_id)


@router.post(
    "/cases/{case_id}/duplicates/{other_case_id}",
    response_model=DuplicateRead,
    responses={**ON_CASE, **CONFLICT, **INVALID},
)
def decide_duplicate(
    case_id: str, other_case_id: str, body: DuplicateDecisionIn, actor: ActorDep
) -> DuplicateRead:
    """Confirm or dismiss a possible duplicate."""
    return service.decide_duplicate(actor, case_id, other_case_id, body.decision)


@router.get("/deadlines", response_model=list[DeadlineRead], responses={**AUTH, **INVALID})
def deadlines(
    actor: ActorDep,
    state: str | None = None,
    due_before: date | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeadlineRead]:
    """Clocks in your province, soonest first."""
    return service.list_deadlines(actor, state, due_before, limit)
