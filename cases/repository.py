"""Every query of the case file. It flushes but never commits: that is the unit of work's job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cases.models import (
    ApiToken,
    Approval,
    BenefitCalculation,
    Case,
    CaseEvent,
    CaseFact,
    Deadline,
    DuplicateMatch,
    IdempotencyRecord,
    LoginAttempt,
    Person,
    RateValue,
    UserAccount,
)


class Repository:
    """Reads and writes rows inside the session of one unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Any) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    # users and tokens
    def user_by_name(self, username: str) -> UserAccount | None:
        return self.session.scalar(select(UserAccount).where(UserAccount.username == username))

    def user(self, user_id: str) -> UserAccount | None:
        return self.session.get(UserAccount, user_id)

    def token(self, token_hash: str) -> ApiToken | None:
        return self.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))

    def revoke_tokens(self, user_id: str, at: datetime) -> None:
        self.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def failed_logins_since(
        self, *, username: str | None, client: str | None, since: datetime
    ) -> int:
        query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
        if username is not None:
            query = query.where(LoginAttempt.username == username)
        if client is not None:
            query = query.where(LoginAttempt.client == client)
        return int(self.session.scalar(query) or 0)

    # cases
    def case(self, case_id: str) -> Case | None:
        return self.session.get(Case, case_id)

    def cases(
        self, *, province: str | None, stage: str | None, limit: int, offset: int
    ) -> Sequence[Case]:
        query = select(Case).order_by(Case.created_at, Case.id).limit(limit).offset(offset)
        if province is not None:
            query = query.where(Case.province == province)
        if stage is not None:
            query = query.where(Case.stage == stage)
        return self.session.scalars(query).all()

    def companions(self, case_id: str) -> Sequence[Case]:
        return self.session.scalars(select(Case).where(Case.accompanies_case_id == case_id)).all()

    def move_case(self, case: Case, *, expected_stage: str, values: dict[str, Any]) -> bool:
        """Compare-and-set: change the case only if its stage and version are as read."""
        result = self.session.execute(
            update(Case)
            .where(Case.id == case.id, Case.stage == expected_stage, Case.version == case.version)
            .values(version=Case.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        self.session.refresh(case)
        return True

    def latest_facts(self, case_id: str) -> CaseFact | None:
        return self.session.scalar(
            select(CaseFact)
            .where(CaseFact.case_id == case_id)
            .order_by(CaseFact.version.desc())
            .limit(1)
        )

    def fact_version(self, case_id: str, version: int) -> CaseFact | None:
        return self.session.scalar(
            select(CaseFact).where(CaseFact.case_id == case_id, CaseFact.version == version)
        )

    def events(self, case_id: str) -> Sequence[CaseEvent]:
        return self.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()

    # people
    def person(self, person_id: str) -> Person | None:
        return self.session.get(Person, person_id)

    def cases_of_match_key(self, match_key: str) -> Sequence[Case]:
        return self.session.scalars(
            select(Case)
            .join(Person, Case.person_id == Person.id)
            .where(Person.match_key == match_key)
        ).all()

    def cases_of_person(self, person_id: str) -> Sequence[Case]:
        return self.session.scalars(select(Case).where(Case.person_id == person_id)).all()

    def duplicates(self, case_id: str) -> Sequence[DuplicateMatch]:
        return self.session.scalars(
            select(DuplicateMatch).where(DuplicateMatch.case_id == case_id)
        ).all()

    def duplicate(self, case_id: str, other_case_id: str) -> DuplicateMatch | None:
        return self.session.scalar(
            select(DuplicateMatch).where(
                DuplicateMatch.case_id == case_id, DuplicateMatch.other_case_id == other_case_id
            )
        )

    # calculations and approvals
    def calculation(self, calculation_id: str) -> BenefitCalculation | None:
        return self.session.get(BenefitCalculation, calculation_id)

    def calculations(self, case_id: str) -> Sequence[BenefitCalculation]:
        return self.session.scalars(
            select(BenefitCalculation)
            .where(BenefitCalculation.case_id == case_id)
            .order_by(BenefitCalculation.created_at, BenefitCalculation.id)
        ).all()

    def open_calculations(self, case_id: str) -> Sequence[BenefitCalculation]:
        return self.session.scalars(
            select(BenefitCalculation).where(
                BenefitCalculation.case_id == case_id,
                BenefitCalculation.state.in_(("proposed", "returned")),
            )
        ).all()

    def move_calculation(
        self, calc: BenefitCalculation, *, expected_state: str, values: dict[str, Any]
    ) -> bool:
        """Compare-and-set on a calculation's state and version."""
        result = self.session.execute(
            update(BenefitCalculation)
            .where(
                BenefitCalculation.id == calc.id,
                BenefitCalculation.state == expected_state,
                BenefitCalculation.version == calc.version,
            )
            .values(version=BenefitCalculation.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        self.session.refresh(calc)
        return True

    def approvals(self, calculation_id: str) -> Sequence[Approval]:
        return self.session.scalars(
            select(Approval)
            .where(Approval.calculation_id == calculation_id)
            .order_by(Approval.created_at)
        ).all()

    # deadlines
    def deadlines(self, case_id: str) -> Sequence[Deadline]:
        return self.session.scalars(
            select(Deadline)
            .where(Deadline.case_id == case_id)
            .order_by(Deadline.due, Deadline.kind)
        ).all()

    def deadline(self, case_id: str, kind: str) -> Deadline | None:
        return self.session.scalar(
            select(Deadline)
            .where(Deadline.case_id == case_id, Deadline.kind == kind, Deadline.state != "met")
            .order_by(Deadline.created_at.desc())
            .limit(1)
        )

    def deadlines_in(
        self, *, province: str | None, state: str | None, due_before: date | None, limit: int
    ) -> Sequence[Deadline]:
        query = (
            select(Deadline)
            .join(Case, Case.id == Deadline.case_id)
            .order_by(Deadline.due)
            .limit(limit)
        )
        if province is not None:
            query = query.where(Case.province == province)
        if state is not None:
            query = query.where(Deadline.state == state)
        if due_before is not None:
            query = query.where(Deadline.due < due_before)
        return self.session.scalars(query).all()

    # rates
    def rate_values(self, province: str) -> Sequence[RateValue]:
        return self.session.scalars(
            select(RateValue)
            .where(RateValue.province == province)
            .order_by(RateValue.key, RateValue.since)
        ).all()

    def rate_values_for(self, provinces: Sequence[str]) -> Sequence[RateValue]:
        return self.session.scalars(
            select(RateValue).where(RateValue.province.in_(provinces)).order_by(RateValue.since)
        ).all()

    # idempotency
    def idempotency(self, user_id: str, key: str) -> IdempotencyRecord | None:
        return self.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
            )
        )
