"""Shapes of partners, consent and referrals (issue 7).

None of them holds personal data except `PacketRead`, which a partner gets for a live referral
it owns, with only the fields its service needs (`benefits_rules.referrals`), read from the
vault at that moment and audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from cases.schemas import Strict

#: `benefits_rules.referrals.Service`, spelt out so the OpenAPI document lists the values
ServiceName = Literal[
    "vocational_training", "employment_service", "vbsp_loan", "legal_aid", "psychological_support"
]
ConsentMethod = Literal["signed_form", "verbal_witnessed"]
ReportState = Literal["accepted", "started", "completed", "dropped"]
#: where a referral stands; `expired` is not a state but a date, see `expires_on`
ReferralState = Literal["sent", "accepted", "started", "completed", "dropped", "revoked"]

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"


class PartnerCreate(Strict):
    slug: str = Field(pattern=SLUG_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    service: ServiceName
    province: str | None = Field(
        default=None, min_length=1, max_length=64, description="a province slug; null: national"
    )


class PartnerRead(BaseModel):
    id: str
    slug: str
    name: str
    service: str
    province: str | None
    active: bool
    created_at: datetime


class ConsentCreate(Strict):
    services: list[ServiceName] = Field(min_length=1, max_length=5)
    given_on: date
    method: ConsentMethod
    note: str | None = Field(default=None, max_length=2000)


class ConsentWithdraw(Strict):
    reason: str = Field(min_length=1, max_length=1000)
    withdrawn_on: date


class ConsentRead(BaseModel):
    id: str
    case_id: str
    services: list[str]
    given_on: date
    method: str
    note: str | None
    withdrawn_on: date | None
    withdrawn_reason: str | None
    created_at: datetime


class ReferralCreate(Strict):
    service: ServiceName
    partner_id: str = Field(min_length=1, max_length=36)
    item_key: str = Field(min_length=1, max_length=64)
    expires_on: date | None = Field(
        default=None, description="default: today + VONGTAY_REFERRAL_EXPIRY_DAYS; at most 365 days"
    )


class RevokeIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class ReportCreate(Strict):
    state: ReportState
    on: date
    note: str | None = Field(default=None, max_length=2000)


class ReportRead(BaseModel):
    state: str
    on: date
    note: str | None
    at: datetime


class ReferralRead(BaseModel):
    """A referral as staff see it: metadata and the partner's reports, no personal data."""

    id: str
    case_id: str
    service: str
    partner_id: str
    partner_slug: str
    item_key: str
    cites: list[str]
    decision: str
    consent_id: str
    packet_fields: list[str]
    state: ReferralState
    expires_on: date
    expired: bool
    revoked_at: datetime | None
    revoked_reason: str | None
    created_at: datetime
    updated_at: datetime
    reports: list[ReportRead]


class PartnerReferralRead(BaseModel):
    """A referral as its partner sees it in a list: what to do and until when, nothing about
    the person (the packet carries that) or about the case file."""

    id: str
    service: str
    item_key: str
    state: ReferralState
    expires_on: date
    expired: bool
    created_at: datetime
    reports: list[ReportRead]


class PacketItem(BaseModel):
    key: str
    label: str
    amount_vnd: int | None
    status: str


class PacketRead(BaseModel):
    """What the partner needs to carry out the item: `fields` holds exactly the packet fields
    of the service (personal ones from the vault), no other key."""

    referral_id: str
    service: str
    state: ReferralState
    expires_on: date
    item: PacketItem
    fields: dict[str, str | None]
