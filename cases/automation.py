"""The steps that happen without a person in front of them, as use cases the flows call.

Each starts from the stored state and is idempotent: run twice, or after a crash, it does its
work once. They act as the system account, so a proposal made here is approved by a person
(maker-checker holds), and they take and return case ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from cases import decisions, policy, service
from cases.accounts import Actor, system_actor
from cases.dispatch import dispatch
from cases.exceptions import NotFound
from cases.lifecycle import PROPOSE_STAGES, CalcState, Stage
from cases.models import Case, Deadline
from cases.unit_of_work import UnitOfWork


def _system() -> Actor:
    return system_actor()


def advance_intake(case_id: str) -> str:
    """A received case moves on to wait for its verification; its stay clock starts."""
    actor = _system()
    with UnitOfWork() as uow:
        case = uow.repo.case(case_id)
        if case is None:
            raise NotFound("no such case", field="case_id")
        if case.stage != Stage.received:
            return case.stage
        policy.move(uow, case, actor, Stage.awaiting_verification, "intake_done", reason="intake")
        service._stay_clocks(uow, case, policy.latest_facts(uow, case).facts, service.today())
        uow.commit()
        return case.stage


def propose(case_id: str) -> str | None:
    """Propose support unless the newest facts already have a live proposal or decision."""
    actor = _system()
    with UnitOfWork(write=False) as uow:
        case = uow.repo.case(case_id)
        if case is None or Stage(case.stage) not in PROPOSE_STAGES:
            return None
        version = policy.latest_facts(uow, case).version
        kind = "full" if case.stage == Stage.identified else "waiting"
        for calc in uow.repo.calculations(case.id):
            live = calc.state in (CalcState.proposed, CalcState.approved, CalcState.issued)
            if live and calc.fact_version == version and calc.kind == kind:
                return calc.id
    _status, body = service.propose_benefits(
        actor, case_id, None, f"auto-propose:{case_id}:{version}:{kind}"
    )
    return str(body["id"])


def issue(case_id: str) -> str | None:
    """Issue the decision of the case's approved calculation, if there is one; run again once
    it is issued, it returns the stored decision's number (and issues none)."""
    actor = _system()
    with UnitOfWork(write=False) as uow:
        states = {c.state for c in uow.repo.calculations(case_id)}
    if CalcState.approved not in states and CalcState.issued not in states:
        return None
    number = decisions.issue_decision(actor, case_id).number
    if CalcState.approved in states:
        dispatch("refer", case_id)
    return number


def refer(case_id: str) -> str:
    """Once a decision is issued, the case moves to `referred` and, in the same transaction,
    each granted item a partner carries out is referred where the person's consent covers the
    service and exactly one partner serves the province; the rest wait for staff (a
    `referral_pending` event). Run again, it finds the case referred and does nothing. The
    follow-up checks are scheduled when the return home is recorded (`cases.followups`)."""
    from cases import referrals

    actor = _system()
    with UnitOfWork() as uow:
        case = uow.repo.case(case_id)
        if case is None:
            raise NotFound("no such case", field="case_id")
        issued = any(c.state == CalcState.issued for c in uow.repo.calculations(case.id))
        if case.stage != Stage.identified or not issued:
            return case.stage
        policy.move(uow, case, actor, Stage.referred, "referred", reason="decision issued")
        referrals.refer_automatically(uow, case, actor)
        uow.commit()
        return case.stage


# --- the daily sweep ------------------------------------------------------------------------------


@dataclass
class SweepReport:
    """What one chunk of the sweep over the statutory clocks found and did (the follow-up
    checks have their own sweep, `cases.followups.sweep_follow_ups`)."""

    warned: int = 0
    breached: int = 0
    redispatch: list[tuple[str, str]] = field(default_factory=list)


def sweep_deadlines(
    on: date, after_id: str = "", limit: int = 1000
) -> tuple[SweepReport, str | None]:
    """One chunk of the sweep over running clocks (ordered by id, from `after_id`): a clock past
    its due date is breached, one past its warning day is warned. Returns the next cursor."""
    report = SweepReport()
    actor = _system()
    from sqlalchemy import select

    with UnitOfWork() as uow:
        rows = uow.session.scalars(
            select(Deadline)
            .where(Deadline.state.in_(("open", "warned")), Deadline.id > after_id)
            .order_by(Deadline.id)
            .limit(limit)
        ).all()
        for row in rows:
            if row.due is None:
                continue
            case = uow.repo.case(row.case_id)
            assert case is not None
            if row.due < on:
                row.state = "breached"
                report.breached += 1
                policy.record_event(
                    uow,
                    case,
                    actor,
                    "deadline_breached",
                    detail={"clock": row.kind, "due": row.due.isoformat()},
                )
            elif row.warn_on is not None and row.warn_on <= on and row.state == "open":
                row.state = "warned"
                report.warned += 1
                policy.record_event(
                    uow,
                    case,
                    actor,
                    "deadline_warned",
                    detail={"clock": row.kind, "due": row.due.isoformat()},
                )
        uow.commit()
    return report, (rows[-1].id if len(rows) == limit else None)


def stuck_cases(
    older_than: timedelta = timedelta(hours=1), limit: int = 1000
) -> list[tuple[str, str]]:
    """Cases left in an automatic step (a dispatch lost, a worker down): the flow to run again."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from cases.models import BenefitCalculation

    cutoff = datetime.now(UTC) - older_than
    found: list[tuple[str, str]] = []
    with UnitOfWork(write=False) as uow:
        received = uow.session.scalars(
            select(Case.id)
            .where(Case.stage == Stage.received, Case.updated_at < cutoff)
            .limit(limit)
        ).all()
        found += [("intake", case_id) for case_id in received]
        approved = uow.session.scalars(
            select(BenefitCalculation.case_id)
            .where(
                BenefitCalculation.state == CalcState.approved,
                BenefitCalculation.created_at < cutoff,
            )
            .limit(limit)
        ).all()
        found += [("issue_decision", case_id) for case_id in approved]
        issued = uow.session.scalars(
            select(Case.id)
            .join(BenefitCalculation, BenefitCalculation.case_id == Case.id)
            .where(
                Case.stage == Stage.identified,
                BenefitCalculation.state == CalcState.issued,
                Case.updated_at < cutoff,
            )
            .limit(limit)
        ).all()
        found += [("refer", case_id) for case_id in dict.fromkeys(issued)]
    return found
