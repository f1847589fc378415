"""The tables of the case file (SQLAlchemy 2 typed mappings).

Case tables hold no names, ID numbers, addresses, contacts or health details: those live only in
`person`, encrypted field by field, and only `cases.vault` decrypts them. Money is integer VND;
days are `Date`; moments are timezone-aware UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A random id: ids travel in URLs, so they must say nothing about the person."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class UserAccount(Base):
    """A named staff account; `province` None means national."""

    __tablename__ = "user_account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(64))
    # a partner organisation's account sees only that organisation's referrals
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partner_org.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiToken(Base):
    """A bearer token, stored as its SHA-256 only; it expires and can be revoked."""

    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """A failed login, for throttling per account and per client address."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Person(Base):
    """The identity vault: every personal field encrypted on its own (Fernet).

    `match_key` is a keyed hash (HMAC) of the diacritic-insensitive name and the birth date:
    equal for the same person received twice, and useless to anyone without the vault key.
    """

    __tablename__ = "person"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    match_key: Mapped[str] = mapped_column(String(64), index=True)
    full_name: Mapped[bytes] = mapped_column(LargeBinary)
    aliases: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number: Mapped[bytes | None] = mapped_column(LargeBinary)
    address: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone: Mapped[bytes | None] = mapped_column(LargeBinary)
    health_notes: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Case(Base):
    """A person's path through the system. `version` guards every compare-and-set."""

    __tablename__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    accompanies_case_id: Mapped[str | None] = mapped_column(ForeignKey("case.id"), index=True)
    province: Mapped[str] = mapped_column(String(64), index=True)
    facility: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32))
    nationality: Mapped[str] = mapped_column(String(32))
    birth_year_month: Mapped[str] = mapped_column(String(7))
    regime: Mapped[str | None] = mapped_column(String(16))
    identified_on: Mapped[date | None] = mapped_column(Date)
    certificate_issuer: Mapped[str | None] = mapped_column(String(200))
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    certificate_date: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseFact(Base):
    """One version of a case's facts (law brief §4): facts change by new versions only."""

    __tablename__ = "case_fact"
    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_case_fact_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BenefitCalculation(Base):
    """A support decision: what the engine computed from which facts, and where it stands."""

    __tablename__ = "benefit_calculation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    fact_version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    regime: Mapped[str] = mapped_column(String(16))
    input_hash: Mapped[str] = mapped_column(String(64))
    rule_version: Mapped[str] = mapped_column(String(64))
    parameter_versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    items: Mapped[list[Any]] = mapped_column(JSON)
    trace: Mapped[list[Any]] = mapped_column(JSON)
    total_vnd: Mapped[int] = mapped_column(BigInteger)
    needs_legal_check: Mapped[list[Any]] = mapped_column(JSON)
    uses_sample_rates: Mapped[bool] = mapped_column(Boolean, default=False)
    approvals_required: Mapped[int] = mapped_column(Integer, default=1)
    granted_discretionary: Mapped[list[Any]] = mapped_column(JSON, default=list)
    approved_total_vnd: Mapped[int | None] = mapped_column(BigInteger)
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("benefit_calculation.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    proposed_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DecisionSequence(Base):
    """The last number an issuing body used in a year: numbers are taken in the transaction that
    stores the decision, so a retry or a crash never skips or repeats one."""

    __tablename__ = "decision_sequence"

    issuer: Mapped[str] = mapped_column(String(80), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Decision(Base):
    """An issued decision document: immutable once stored, its SHA-256 kept with it."""

    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("issuer", "year", "number", name="uq_decision_number"),
        UniqueConstraint("calculation_id", name="uq_decision_calculation"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    calculation_id: Mapped[str] = mapped_column(ForeignKey("benefit_calculation.id"))
    issuer: Mapped[str] = mapped_column(String(80))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(80))
    issued_on: Mapped[date] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("decision.id"))
    issued_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DecisionCopy(Base):
    """A copy of a decision for one kind of recipient, showing only what that recipient needs."""

    __tablename__ = "decision_copy"
    __table_args__ = (UniqueConstraint("decision_id", "recipient", name="uq_decision_copy"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decision.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)


class RecalcCampaign(Base):
    """A law-change campaign: every affected case recomputed from its stored input snapshot.

    `cursor` is the last calculation id whose delta is stored; a campaign resumed after a crash
    starts after it, so no case is computed or counted twice.
    """

    __tablename__ = "recalc_campaign"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    changed_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), index=True)
    cursor: Mapped[str] = mapped_column(String(36), default="")
    total_cases: Mapped[int] = mapped_column(Integer, default=0)
    done_cases: Mapped[int] = mapped_column(Integer, default=0)
    changed_cases: Mapped[int] = mapped_column(Integer, default=0)
    net_delta_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    started_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)


class RecalcDelta(Base):
    """One case's difference under the new rules: arrears (positive) or an over-payment
    (negative), never clawed back automatically."""

    __tablename__ = "recalc_delta"
    __table_args__ = (
        UniqueConstraint("campaign_id", "calculation_id", name="uq_recalc_delta_calculation"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("recalc_campaign.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    calculation_id: Mapped[str] = mapped_column(ForeignKey("benefit_calculation.id"))
    old_total_vnd: Mapped[int] = mapped_column(BigInteger)
    new_total_vnd: Mapped[int] = mapped_column(BigInteger)
    delta_vnd: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))


class Approval(Base):
    """One approver's word on a calculation; one per approver and calculation."""

    __tablename__ = "approval"
    __table_args__ = (
        UniqueConstraint("calculation_id", "approver_id", name="uq_approval_approver"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    calculation_id: Mapped[str] = mapped_column(ForeignKey("benefit_calculation.id"), index=True)
    approver_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str] = mapped_column(String(16))
    granted_discretionary: Mapped[list[Any]] = mapped_column(JSON)
    acknowledged_unconfirmed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Deadline(Base):
    """A statutory clock of law brief §7 with its citation; a pause keeps the remaining days."""

    __tablename__ = "deadline"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    due: Mapped[date | None] = mapped_column(Date, index=True)
    warn_on: Mapped[date | None] = mapped_column(Date)
    cites: Mapped[list[Any]] = mapped_column(JSON)
    confirmed: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    paused_on: Mapped[date | None] = mapped_column(Date)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    remaining_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PartnerOrg(Base):
    """An organisation that carries out a referral: a vocational training centre, a public
    employment service centre, the Vietnam Bank for Social Policies, a legal aid centre or a
    psychological support provider. `province` None means it serves every province."""

    __tablename__ = "partner_org"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(32), index=True)
    province: Mapped[str | None] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """The person's recorded consent to share what a service needs with a partner; withdrawn,
    it revokes the referrals that rest on it."""

    __tablename__ = "consent"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    services: Mapped[list[Any]] = mapped_column(JSON)
    given_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class Referral(Base):
    """A referral of the person to a partner, carrying out one item of an issued decision.

    The packet the partner reads is assembled from the vault at read time from `packet_fields`
    (what this service needs, nothing more): nothing personal is stored here, and a revoked or
    expired referral can no longer be read.
    """

    __tablename__ = "referral"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    service: Mapped[str] = mapped_column(String(32))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partner_org.id"), index=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decision.id"))
    item_key: Mapped[str] = mapped_column(String(64))
    consent_id: Mapped[str] = mapped_column(ForeignKey("consent.id"))
    packet_fields: Mapped[list[Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)
    expires_on: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReferralReport(Base):
    """What the partner reported back: accepted, started, completed or dropped, and when."""

    __tablename__ = "referral_report"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    reported_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FollowUp(Base):
    """One scheduled check after the return home (policy, not law), and its outcome: who
    checked, on which day, and what they found."""

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_follow_up_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    months_after: Mapped[int] = mapped_column(Integer)
    due: Mapped[date] = mapped_column(Date, index=True)
    cites: Mapped[list[Any]] = mapped_column(JSON)
    rule: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    checked_on: Mapped[date | None] = mapped_column(Date)
    worker_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)


class FollowUpTask(Base):
    """Work a missed check or a worrying outcome opens for the follow-up worker; `escalated_at`
    set means it now waits on the province's approver too."""

    __tablename__ = "follow_up_task"
    __table_args__ = (UniqueConstraint("follow_up_id", "kind", name="uq_follow_up_task_kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    follow_up_id: Mapped[str] = mapped_column(ForeignKey("follow_up.id"))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseEvent(Base):
    """Every move and decision on a case: who, when, from, to, why."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(48))
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DuplicateMatch(Base):
    """A possible earlier case of the same person, for staff to confirm or dismiss."""

    __tablename__ = "duplicate_match"
    __table_args__ = (UniqueConstraint("case_id", "other_case_id", name="uq_duplicate_pair"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    other_case_id: Mapped[str] = mapped_column(ForeignKey("case.id"))
    state: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RateValue(Base):
    """A provincial rate value entered through the API: appended, never edited."""

    __tablename__ = "rate_value"
    __table_args__ = (UniqueConstraint("province", "key", "since", name="uq_rate_value_day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    province: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str] = mapped_column(String(64))
    since: Mapped[date] = mapped_column(Date)
    value: Mapped[int | None] = mapped_column(BigInteger)
    citation: Mapped[str] = mapped_column(Text)
    confirmed: Mapped[bool] = mapped_column(Boolean)
    under: Mapped[str] = mapped_column(String(16))
    entered_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdempotencyRecord(Base):
    """The first answer to a POST with an `Idempotency-Key`, returned again for a repeat."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditLog(Base):
    """Append-only and hash-chained: each row stores the previous row's hash."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # unique: two rows linking to the same predecessor would be a fork, refused at insert
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


@cache
def _moment_keys(cls: type[Base]) -> tuple[str, ...]:
    """The attributes of a table that hold timezone-aware moments."""
    return tuple(
        attr.key
        for attr in inspect(cls).column_attrs
        if isinstance(attr.columns[0].type, DateTime) and attr.columns[0].type.timezone
    )


def _utc_moments(target: Base, *_args: Any) -> None:
    """Moments come back from SQLite without their time zone (it stores none): every stored
    moment is UTC, so a loaded row says so, and the API answers the same on both databases."""
    for key in _moment_keys(type(target)):
        value = target.__dict__.get(key)
        if isinstance(value, datetime) and value.utcoffset() != timedelta(0):
            moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            set_committed_value(target, key, moment)


event.listen(Base, "load", _utc_moments, propagate=True)
event.listen(Base, "refresh", _utc_moments, propagate=True)
