"""Consent and referrals: staff record the person's consent and refer them to partners; a
partner reads the packet of its own live referrals and reports back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from api.deps import ActorDep
from api.errors import AUTH, CONFLICT, INVALID, NOT_FOUND, ErrorBody, Responses
from cases import consents, referrals
from cases.referral_schemas import (
    ConsentCreate,
    ConsentRead,
    ConsentWithdraw,
    PacketRead,
    PartnerReferralRead,
    ReferralCreate,
    ReferralRead,
    ReportCreate,
    RevokeIn,
)

router = APIRouter(tags=["referrals"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
GONE: Responses = {
    410: {
        "model": ErrorBody,
        "description": "ReferralClosed: revoked, expired or finished; the partner may not read it",
    }
}


@router.post(
    "/cases/{case_id}/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def record_consent(
    case_id: str,
    body: ConsentCreate,
    actor: ActorDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Record the person's consent to share what the listed services need with their partners."""
    code, payload = consents.record_consent(actor, case_id, body, idempotency_key)
    response.status_code = code
    return payload


@router.get(
    "/cases/{case_id}/consents",
    response_model=list[ConsentRead],
    responses={**AUTH, **NOT_FOUND},
)
def list_consents(case_id: str, actor: ActorDep) -> list[ConsentRead]:
    """The case's consents, withdrawn ones included."""
    return consents.list_consents(actor, case_id)


@router.post(
    "/cases/{case_id}/consents/{consent_id}/withdraw",
    response_model=ConsentRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def withdraw_consent(
    case_id: str, consent_id: str, body: ConsentWithdraw, actor: ActorDep
) -> ConsentRead:
    """Withdraw a consent: every live referral resting on it is revoked at once."""
    return consents.withdraw_consent(actor, case_id, consent_id, body)


@router.post(
    "/cases/{case_id}/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def create_referral(
    case_id: str,
    body: ReferralCreate,
    actor: ActorDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Refer the person to a partner for a granted item of the decision in force; needs an
    active consent covering the service (422 ConsentRequired otherwise)."""
    code, payload = referrals.create_referral(actor, case_id, body, idempotency_key)
    response.status_code = code
    return payload


@router.get(
    "/cases/{case_id}/referrals",
    response_model=list[ReferralRead],
    responses={**AUTH, **NOT_FOUND},
)
def case_referrals(case_id: str, actor: ActorDep) -> list[ReferralRead]:
    """The case's referrals and the partners' reports; no personal data."""
    return referrals.case_referrals(actor, case_id)


@router.post(
    "/cases/{case_id}/referrals/{referral_id}/revoke",
    response_model=ReferralRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID},
)
def revoke_referral(
    case_id: str, referral_id: str, body: RevokeIn, actor: ActorDep
) -> ReferralRead:
    """Revoke a referral: the partner can no longer read its packet or report on it."""
    return referrals.revoke_referral(actor, case_id, referral_id, body.reason)


@router.get(
    "/referrals",
    response_model=list[ReferralRead] | list[PartnerReferralRead],
    responses={**AUTH, **INVALID},
)
def list_referrals(
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[ReferralRead] | list[PartnerReferralRead]:
    """A partner's own referrals; for staff who refer, those of their province."""
    return referrals.list_referrals(actor, limit, offset)


@router.get(
    "/referrals/{referral_id}",
    response_model=PacketRead | ReferralRead,
    responses={**AUTH, **NOT_FOUND, **GONE},
)
def read_referral(referral_id: str, actor: ActorDep) -> PacketRead | ReferralRead:
    """For its partner, the packet: the item to carry out and only the fields its service
    needs, read from the vault and audited; 410 once revoked, expired or finished. For staff,
    the referral without personal data."""
    return referrals.read_referral(actor, referral_id)


@router.post(
    "/referrals/{referral_id}/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerReferralRead,
    responses={**AUTH, **NOT_FOUND, **CONFLICT, **INVALID, **GONE},
)
def report(
    referral_id: str,
    body: ReportCreate,
    actor: ActorDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The partner reports: accepted, started, completed or dropped (in that order, dropped at
    any point). The same report again writes nothing."""
    code, payload = referrals.report(actor, referral_id, body, idempotency_key)
    response.status_code = code
    return payload
