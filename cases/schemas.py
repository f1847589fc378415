"""Shapes of what comes in and goes out, by intent (design §1). None of the read shapes holds a
name, an ID number, an address, a phone number or a health detail: those leave only through
`PersonRead`, from the vault, for a stated purpose."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    intake_officer = "intake_officer"
    approver = "approver"
    followup_worker = "followup_worker"
    auditor = "auditor"
    admin = "admin"
    #: a partner organisation's account: sees only its own organisation's referrals
    partner = "partner"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(Strict):
    """Personal data: goes straight into the vault, encrypted, and never into logs."""

    full_name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list, max_length=10)
    id_number: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=50)
    health_notes: str | None = Field(default=None, max_length=4000)


class CompanionIn(Strict):
    person: PersonIn
    facts: dict[str, Any]


class CaseCreate(Strict):
    person: PersonIn
    facts: dict[str, Any] = Field(
        description="law brief §4, without regime_override and extension_days"
    )
    facility: str = Field(min_length=1, max_length=200)
    accompanying: list[CompanionIn] = Field(default_factory=list, max_length=10)


class CaseCreated(BaseModel):
    id: str
    stage: str
    companions: list[str]


class DeadlineRead(BaseModel):
    id: str
    case_id: str
    kind: str
    due: date | None
    warn_on: date | None
    state: str
    cites: list[str]
    confirmed: bool
    rule: str
    pause_reason: str | None = None


class CertificateRead(BaseModel):
    issuer: str
    date: date


class CaseRead(BaseModel):
    id: str
    person_id: str
    stage: str
    status: str
    province: str
    facility: str
    nationality: str
    birth_year_month: str
    regime: str | None
    identified_on: date | None
    certificate: CertificateRead | None
    accompanies_case_id: str | None
    companions: list[str]
    fact_version: int
    deadlines: list[DeadlineRead]
    open_duplicates: int
    created_at: datetime
    updated_at: datetime


class FactsRead(BaseModel):
    case_id: str
    version: int
    facts: dict[str, Any]
    reason: str
    created_at: datetime


class VerificationIn(Strict):
    notified_on: date
    result: Literal["documents_present", "needs_identification"]
    certificate: CertificateIn | None = None


class CertificateIn(Strict):
    issuer: str = Field(min_length=1, max_length=200)
    number: str = Field(min_length=1, max_length=100)
    date: date


class IdentificationIn(Strict):
    result: Literal["victim", "not_victim"]
    certificate: CertificateIn | None = None


class ClockIn(Strict):
    clock: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=1000)


class CalculationCreate(Strict):
    as_of: date | None = None


class ItemRead(BaseModel):
    key: str
    group: str
    status: str
    amount_vnd: int | None
    quantity: int | None
    unit: str | None
    cites: list[str]
    needs_legal_check: bool


class CalculationRead(BaseModel):
    id: str
    case_id: str
    state: str
    kind: str
    as_of: date
    regime: str
    items: list[ItemRead]
    total_vnd: int
    approved_total_vnd: int | None
    needs_legal_check: list[str]
    granted_discretionary: list[str]
    approvals_required: int
    approvals: int
    uses_sample_rates: bool
    input_hash: str
    rule_version: str
    fact_version: int
    created_at: datetime


class TraceRead(BaseModel):
    calculation_id: str
    regime_reason: str
    trace: list[Any]
    parameter_versions: dict[str, Any]


class ApprovalCreate(Strict):
    calculation_id: str
    decision: Literal["approve", "return"]
    granted_discretionary: list[str] = Field(default_factory=list, max_length=30)
    acknowledge_unconfirmed: bool = False
    note: str | None = Field(default=None, max_length=2000)


class ApprovalRead(BaseModel):
    id: str
    calculation_id: str
    decision: str
    calculation_state: str
    approvals: int
    approvals_required: int
    approved_total_vnd: int | None


class FactsCorrection(Strict):
    facts: dict[str, Any] = Field(
        description="the facts to change (law brief §4); null removes one"
    )
    reason: str = Field(min_length=1, max_length=1000)


class RefusalIn(Strict):
    items: list[str] = Field(min_length=1, max_length=30)
    note: str | None = Field(default=None, max_length=1000)


class RegimeOverrideIn(Strict):
    regime: Literal["LAW_53_2024", "LAW_66_2011"]
    reason: str = Field(min_length=1, max_length=1000)


class ExtensionIn(Strict):
    extension_days: int = Field(ge=0, le=3650)
    decided_on: date
    decided_by: str = Field(
        min_length=1,
        max_length=200,
        description="the deciding authority, e.g. the facility director",
    )
    reason: str = Field(min_length=1, max_length=1000)


class CloseIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class DuplicateRead(BaseModel):
    case_id: str
    other_case_id: str
    state: str


class DuplicateDecisionIn(Strict):
    decision: Literal["confirm", "dismiss"]


class RateIn(Strict):
    key: str
    from_: date = Field(alias="from")
    # bounded: a rate times the days of a stay must fit the database's 64-bit amounts
    value: int | None = Field(ge=0, le=1_000_000_000)
    citation: str = Field(min_length=1, max_length=1000)
    confirmed: bool
    under: Literal["LAW_53_2024", "LAW_66_2011"]

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RateRead(BaseModel):
    province: str
    key: str
    from_: date = Field(serialization_alias="from")
    value: int | None
    citation: str
    confirmed: bool
    under: str
    source: Literal["shipped", "entered"]


class PersonRead(BaseModel):
    id: str
    full_name: str
    aliases: list[str]
    id_number: str | None
    address: str | None
    phone: str | None
    health_notes: str | None


class DecisionIssue(Strict):
    calculation_id: str | None = None


class DecisionRead(BaseModel):
    """`number` names the decision in URLs (year-number); `reference` is what it prints."""

    number: str
    reference: str
    issued_on: date
    sha256: str
    content_sha256: str
    calculation_id: str
    replaces: str | None


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class EventRead(BaseModel):
    at: datetime
    kind: str
    from_stage: str | None
    to_stage: str | None
    reason: str | None


class AuditReport(BaseModel):
    """`head_hash` is the newest row's hash: kept outside the database, it shows whether the
    newest rows were later removed, which the chain alone cannot."""

    rows: int
    intact: bool
    head_hash: str
    first_broken_id: int | None
    problem: str | None


VerificationIn.model_rebuild()
