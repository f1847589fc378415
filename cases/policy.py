"""What every use case of the case file shares: who may do what, the case in the actor's
province, the case event written with its audit row, and the compare-and-set stage move.

The use case modules (`service`, `decisions`, `campaigns`, `referrals`, `followups`, ...) build on
these and nothing private of each other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from cases import audit
from cases.accounts import Actor
from cases.exceptions import ConcurrentUpdate, NotFound, OutsideProvince, RoleNotAllowed
from cases.lifecycle import Stage, check_move
from cases.models import Case, CaseEvent, CaseFact
from cases.schemas import Role
from cases.unit_of_work import UnitOfWork

#: which roles may do what (admins manage accounts and rates; auditors read)
ALLOWED: dict[str, frozenset[Role]] = {
    "receive": frozenset({Role.intake_officer}),
    "verify": frozenset({Role.intake_officer}),
    "identify": frozenset({Role.intake_officer}),
    "clock": frozenset({Role.intake_officer, Role.approver}),
    "propose": frozenset({Role.intake_officer, Role.approver}),
    "decide": frozenset({Role.approver}),
    "refusal": frozenset({Role.intake_officer, Role.approver, Role.followup_worker}),
    "correct_facts": frozenset({Role.intake_officer, Role.approver}),
    "override_regime": frozenset({Role.approver}),
    "extension": frozenset({Role.approver}),
    "rates": frozenset({Role.approver, Role.admin}),
    "close": frozenset({Role.intake_officer, Role.approver, Role.followup_worker}),
    "duplicates": frozenset({Role.intake_officer, Role.approver}),
    # every staff role reads the case file; a partner reads only its referrals' packets
    "read": frozenset(set(Role) - {Role.partner}),
    "read_person": frozenset({Role.intake_officer, Role.approver, Role.followup_worker}),
    "audit": frozenset({Role.auditor, Role.admin}),
    # issue 7: consent, referrals, partners, follow-up, statistics and exports
    "consent": frozenset({Role.intake_officer, Role.approver, Role.followup_worker}),
    "refer": frozenset({Role.intake_officer, Role.approver, Role.followup_worker}),
    "manage_partners": frozenset({Role.admin}),
    "partner_report": frozenset({Role.partner}),
    "follow_up": frozenset({Role.followup_worker, Role.approver}),
    # the centre's intake officer often sees the person off, so may record the return home
    "return_home": frozenset({Role.followup_worker, Role.approver, Role.intake_officer}),
    "tasks": frozenset({Role.followup_worker, Role.approver}),
    "stats": frozenset(set(Role) - {Role.partner}),
    "export": frozenset({Role.approver, Role.auditor, Role.admin}),
}

INTAKE_FORBIDDEN_FACTS = ("regime_override", "extension_days")
#: design §2's clock states, and `cancelled` for the clocks of a closed case
DEADLINE_STATES = ("open", "met", "warned", "breached", "paused", "cancelled")


def now() -> datetime:
    """The current moment, in UTC, as every table stores moments."""
    return datetime.now(UTC)


def today() -> date:
    """Today in Viet Nam, where deadlines run."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def allow(actor: Actor, action: str) -> None:
    """Refuse an actor whose role may not do `action` (a key of `ALLOWED`)."""
    if actor.role not in ALLOWED[action]:
        raise RoleNotAllowed(
            f"the role {actor.role} may not {action.replace('_', ' ')}", field="role", rule="role"
        )


def case_for(uow: UnitOfWork, actor: Actor, case_id: str) -> Case:
    """The case, if it exists and lies in the actor's province: a case of another province
    is refused, never silently hidden, so staff know to ask the right office."""
    case = uow.repo.case(case_id)
    if case is None:
        raise NotFound("no such case", field="case_id")
    if not actor.sees(case.province):
        raise OutsideProvince(
            "the case belongs to another province", field="province", rule="province_scope"
        )
    return case


def record_event(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    kind: str,
    *,
    from_stage: str | None = None,
    to_stage: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write the case event and its audit row in the caller's transaction: a change without
    its event cannot be committed."""
    uow.repo.add(
        CaseEvent(
            case_id=case.id,
            at=now(),
            actor_id=actor.id,
            kind=kind,
            from_stage=from_stage,
            to_stage=to_stage,
            reason=reason,
            detail=detail or {},
        )
    )
    audit.append(
        uow.session,
        actor=actor.username,
        action=f"case.{kind}",
        subject_type="case",
        subject_id=case.id,
        detail=detail or {},
    )


def move(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    target: Stage,
    kind: str,
    *,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
) -> None:
    """Move the case to `target` by compare-and-set on its stored stage: a move the lifecycle
    forbids raises `TransitionNotAllowed`, a lost race `ConcurrentUpdate`."""
    current = Stage(case.stage)
    check_move(current, target)
    changes = {"stage": target.value, "updated_at": now(), **(values or {})}
    if not uow.repo.move_case(case, expected_stage=current.value, values=changes):
        raise ConcurrentUpdate("the case changed meanwhile; read it again", field="stage")
    record_event(
        uow, case, actor, kind, from_stage=current.value, to_stage=target.value, reason=reason
    )


def latest_facts(uow: UnitOfWork, case: Case) -> CaseFact:
    """The newest version of the case's facts."""
    row = uow.repo.latest_facts(case.id)
    if row is None:
        raise NotFound("the case has no facts", field="facts")
    return row
