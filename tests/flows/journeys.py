"""Cases taken to a given stage through the service (no API, no Prefect), for the flow and
crash tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from cases import decisions, service
from cases.accounts import Actor, create_user, system_actor
from cases.schemas import (
    ApprovalCreate,
    CaseCreate,
    CertificateIn,
    RateIn,
    Role,
    VerificationIn,
)
from tests.api.conftest import intake_body

CERTIFICATE = CertificateIn(issuer="Công an tỉnh Mẫu", number="15/GCN-CA", date=date(2025, 10, 20))
_numbers = itertools.count()


@dataclass(frozen=True)
class Staff:
    intake: Actor
    approver: Actor
    system: Actor


def staff() -> Staff:
    """An intake officer and an approver of the sample province, and the flows' system account."""
    n = next(_numbers)
    intake_id, _ = create_user(f"intake-{n}", Role.intake_officer.value, "sample")
    approver_id, _ = create_user(f"approver-{n}", Role.approver.value, "sample", "Người duyệt")
    return Staff(
        Actor(intake_id, f"intake-{n}", Role.intake_officer, "sample"),
        Actor(approver_id, f"approver-{n}", Role.approver, "sample"),
        system_actor(),
    )


def received(people: Staff, person: dict[str, Any] | None = None, **facts: Any) -> str:
    """A case just received (stage `received`); returns its id."""
    body = intake_body(**facts)
    if person is not None:
        body["person"] = person
    _status, created = service.receive(people.intake, CaseCreate.model_validate(body))
    return str(created["id"])


def identified(people: Staff, case_id: str) -> str:
    """Verification with the certifying documents: the case is `identified`."""
    service.record_verification(
        people.intake,
        case_id,
        VerificationIn(
            notified_on=date(2025, 10, 2), result="documents_present", certificate=CERTIFICATE
        ),
    )
    return case_id


def approve(people: Staff, case_id: str, calculation_id: str) -> None:
    """The approver approves the proposal (every discretionary line granted)."""
    calc = service.get_calculation(people.approver, case_id, calculation_id)
    _status, body = service.decide(
        people.approver,
        case_id,
        ApprovalCreate(
            calculation_id=calculation_id,
            decision="approve",
            granted_discretionary=[i.key for i in calc.items if i.status == "discretionary"],
            acknowledge_unconfirmed=bool(calc.needs_legal_check),
            note="checked",
        ),
    )
    assert body["calculation_state"] == "approved", body


def approved(people: Staff, as_of: date = date(2025, 11, 30), **facts: Any) -> tuple[str, str]:
    """An identified case whose calculation (proposed by the intake officer as of `as_of`) is
    approved; returns (case id, calculation id)."""
    case_id = identified(people, received(people, **facts))
    _status, calc = service.propose_benefits(people.intake, case_id, as_of)
    approve(people, case_id, str(calc["id"]))
    return case_id, str(calc["id"])


def issued(people: Staff, **facts: Any) -> tuple[str, str]:
    """An approved case with its decision issued; returns (case id, decision number)."""
    case_id, _calc = approved(people, **facts)
    return case_id, decisions.issue_decision(people.system, case_id).number


def enter_food_rate(people: Staff, since: date, value: int) -> None:
    """A new daily food rate for the sample province from `since` (a law change)."""
    service.enter_rate(
        people.approver,
        "sample",
        RateIn.model_validate(
            {
                "key": "food_per_day_vnd",
                "from": since,
                "value": value,
                "citation": "Nghị quyết thử nghiệm",
                "confirmed": True,
                "under": "LAW_53_2024",
            }
        ),
    )
