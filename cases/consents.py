"""The person's consent to share what a service needs with a partner organisation.

Disclosing a victim's details without their consent is an offence (Decree 98/2026/NĐ-CP Art. 8)
besides the harm, so no referral is made without a consent covering its service, and
withdrawing a consent revokes, in the same transaction, every live referral resting on it: the
partner's next read is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from cases.accounts import Actor
from cases.exceptions import (
    ConcurrentUpdate,
    Conflict,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from cases.idempotency import idempotent, request_hash
from cases.lifecycle import Stage
from cases.models import Consent, Referral
from cases.policy import allow, case_for, now, record_event, today
from cases.referral_schemas import ConsentCreate, ConsentRead, ConsentWithdraw
from cases.referrals import LIVE_STATES, revoke
from cases.unit_of_work import UnitOfWork


def consent_read(row: Consent) -> ConsentRead:
    """The read shape of a consent."""
    return ConsentRead(
        id=row.id,
        case_id=row.case_id,
        services=list(row.services),
        given_on=row.given_on,
        method=row.method,
        note=row.note,
        withdrawn_on=row.withdrawn_on,
        withdrawn_reason=row.withdrawn_reason,
        created_at=row.created_at,
    )


def record_consent(
    actor: Actor, case_id: str, command: ConsentCreate, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Record the consent the person gave, for which services, how, and on which day (not a
    day still to come: a consent is recorded once given)."""
    allow(actor, "consent")
    payload = {"case_id": case_id, **command.model_dump(mode="json")}

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        case = case_for(uow, actor, case_id)
        if case.stage == Stage.closed:
            raise TransitionNotAllowed(
                "the case is closed: nothing is referred any more", field="stage", rule="closed"
            )
        if command.given_on > today():
            raise InvalidInput(
                "consent is recorded once given, not in advance",
                field="given_on",
                rule="not_in_future",
            )
        services = list(dict.fromkeys(command.services))
        row = Consent(
            case_id=case.id,
            services=services,
            given_on=command.given_on,
            method=command.method,
            note=command.note,
            recorded_by=actor.id,
            created_at=now(),
        )
        uow.repo.add(row)
        uow.repo.flush()
        record_event(
            uow,
            case,
            actor,
            "consent_recorded",
            detail={"consent_id": row.id, "services": services, "method": command.method},
        )
        return 201, consent_read(row).model_dump(mode="json")

    return idempotent(actor, idempotency_key, request_hash(payload), produce)


def list_consents(actor: Actor, case_id: str) -> list[ConsentRead]:
    """The consents of a case, withdrawn ones included, oldest first."""
    allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        case = case_for(uow, actor, case_id)
        rows = uow.session.scalars(
            select(Consent).where(Consent.case_id == case.id).order_by(Consent.created_at)
        ).all()
        return [consent_read(row) for row in rows]


def withdraw_consent(
    actor: Actor, case_id: str, consent_id: str, command: ConsentWithdraw
) -> ConsentRead:
    """Withdraw a consent and, in the same transaction, revoke every live referral resting on
    it. Withdrawing again on the same day changes nothing (a retry is safe)."""
    allow(actor, "consent")
    with UnitOfWork() as uow:
        case = case_for(uow, actor, case_id)
        row = uow.session.get(Consent, consent_id)
        if row is None or row.case_id != case.id:
            raise NotFound("no such consent on this case", field="consent_id")
        if row.withdrawn_on is not None:
            if row.withdrawn_on == command.withdrawn_on:
                return consent_read(row)
            raise Conflict(
                "the consent was already withdrawn", field="withdrawn_on", rule="already_withdrawn"
            )
        if command.withdrawn_on > today():
            raise InvalidInput(
                "a withdrawal is recorded once made, not in advance",
                field="withdrawn_on",
                rule="not_in_future",
            )
        if command.withdrawn_on < row.given_on:
            raise InvalidInput(
                "a consent is withdrawn after it was given",
                field="withdrawn_on",
                rule="not_before_given_on",
            )
        result = uow.session.execute(
            update(Consent)
            .where(Consent.id == row.id, Consent.withdrawn_on.is_(None))
            .values(withdrawn_on=command.withdrawn_on, withdrawn_reason=command.reason)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(
                "the consent changed meanwhile; read it again", field="consent_id"
            )
        uow.session.refresh(row)
        resting = uow.session.scalars(
            select(Referral)
            .where(Referral.consent_id == row.id, Referral.state.in_(LIVE_STATES))
            .order_by(Referral.created_at)
        ).all()
        for referral in resting:
            revoke(uow, actor, case, referral, "consent withdrawn")
        record_event(
            uow,
            case,
            actor,
            "consent_withdrawn",
            reason=command.reason,
            detail={"consent_id": row.id, "revoked": [r.id for r in resting]},
        )
        uow.commit()
        return consent_read(row)
