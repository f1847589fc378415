"""Decision documents: issue one for an approved calculation, list them, download them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response, status

from api.deps import ActorDep
from api.errors import AUTH, CONFLICT, INVALID, NOT_FOUND
from cases import decisions
from cases.schemas import DecisionIssue, DecisionRead

router = APIRouter(tags=["decisions"])


@router.post(
    "/cases/{case_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def issue(
    case_id: str, actor: ActorDep, body: Annotated[DecisionIssue | None, Body()] = None
) -> DecisionRead:
    """Issue the decision of an approved calculation; issuing again returns the same one."""
    return decisions.issue_decision(actor, case_id, body.calculation_id if body else None)


@router.get(
    "/cases/{case_id}/decisions",
    response_model=list[DecisionRead],
    responses={**AUTH, **NOT_FOUND},
)
def list_decisions(case_id: str, actor: ActorDep) -> list[DecisionRead]:
    """The case's decisions with their SHA-256 and what each replaces."""
    return decisions.list_decisions(actor, case_id)


@router.get(
    "/cases/{case_id}/decisions/{number}.docx",
    response_class=Response,
    responses={
        200: {"content": {decisions.CONTENT_TYPE: {}}, "description": "the .docx file"},
        **AUTH,
        **NOT_FOUND,
    },
)
def download(
    case_id: str,
    number: str,
    actor: ActorDep,
    copy: Annotated[Literal["official", "partner"], Query()] = "official",
) -> Response:
    """The stored document, or a recipient's copy without ID number, address or health
    details. Every download is audited."""
    filename, body = decisions.download(actor, case_id, number, copy)
    return Response(
        content=body,
        media_type=decisions.CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
