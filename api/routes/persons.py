"""The identity vault: personal data for a stated purpose, audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep
from api.errors import AUTH, INVALID, NOT_FOUND
from cases import service
from cases.schemas import PersonRead

router = APIRouter(tags=["persons"])


@router.get(
    "/persons/{person_id}", response_model=PersonRead, responses={**AUTH, **NOT_FOUND, **INVALID}
)
def read_person(
    person_id: str, actor: ActorDep, purpose: Annotated[str, Query(min_length=1, max_length=64)]
) -> PersonRead:
    """A person's record, for a purpose code; every read is audited."""
    return service.read_person(actor, person_id, purpose)
