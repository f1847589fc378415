"""Dozens of cases at once, for statistics, exports and the report.

The 11-person threshold needs populations of dozens of persons; taking each through the API
would cost seconds per person, so `populate` writes the rows a journey leaves (vault record,
case, facts, stage events, issued decisions, follow-up outcomes, confirmed duplicates) in one
transaction. `Someone` describes a person as a user of the statistics would: the tests compute
what the tables must say from these descriptions, independently of the code under test.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cases.accounts import system_actor
from cases.models import (
    BenefitCalculation,
    Case,
    CaseEvent,
    CaseFact,
    Decision,
    DuplicateMatch,
    FollowUp,
)
from cases.unit_of_work import UnitOfWork
from cases.vault import default_vault, seal_person

VIET_NAM = ZoneInfo("Asia/Ho_Chi_Minh")
_numbers = itertools.count(1)
#: every populated person's health note: no export may carry it
HEALTH_NOTE = "Ghi chú sức khỏe riêng"


@dataclass(frozen=True)
class Someone:
    """One case of a person. `groups` maps a support group to the amount granted in it by the
    case's current decision; `replaced_vnd` adds an older decision that the current one
    replaced (its money must not count); `same_as` names the index of an earlier case in the
    population that staff confirmed as the same person."""

    province: str = "sample"
    sex: str = "female"
    birth_date: date = date(1998, 4, 10)
    received_on: date = date(2025, 3, 3)
    stage: str = "identified"
    regime: str | None = "LAW_53_2024"
    nationality: str = "vietnamese"
    status: str = "victim"
    groups: dict[str, int] = field(default_factory=dict)
    not_granted: dict[str, int] = field(default_factory=dict)
    replaced_vnd: int | None = None
    outcome: str | None = None
    full_name: str = "Trần Thị Thống Kê"
    same_as: int | None = None

    @property
    def amount_vnd(self) -> int:
        """The money of the current decision."""
        return sum(self.groups.values())


def many(count: int, **values: object) -> list[Someone]:
    """`count` persons alike but for their names."""
    base = Someone(**values)  # type: ignore[arg-type]
    return [replace(base, full_name=f"{base.full_name} {i}") for i in range(count)]


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=VIET_NAM).astimezone(UTC)


def populate(people: Sequence[Someone]) -> list[str]:
    """Write every case and return their ids, in the order given."""
    actor = system_actor()
    vault = default_vault()
    ids: list[str] = []
    with UnitOfWork() as uow:
        add = uow.session.add
        for who in people:
            person = seal_person(
                vault,
                full_name=who.full_name,
                birth_date=who.birth_date,
                phone="0900000000",
                address="Thôn Thống Kê",
                health_notes=HEALTH_NOTE,
            )
            add(person)
            uow.session.flush()
            created = _moment(who.received_on)
            case = Case(
                person_id=person.id,
                province=who.province,
                facility="Trung tâm mẫu",
                stage=who.stage,
                status=who.status,
                nationality=who.nationality,
                birth_year_month=who.birth_date.isoformat()[:7],
                regime=who.regime,
                closed_reason="follow-up ended" if who.stage == "closed" else None,
                version=1,
                created_by=actor.id,
                created_at=created,
                updated_at=created,
            )
            add(case)
            uow.session.flush()
            ids.append(case.id)
            facts = {
                "status": who.status,
                "nationality": who.nationality,
                "birth_date": who.birth_date.isoformat(),
                "sex": who.sex,
                "province": who.province,
                "received_on": who.received_on.isoformat(),
            }
            add(
                CaseFact(
                    case_id=case.id,
                    version=1,
                    facts=facts,
                    reason="intake",
                    created_by=actor.id,
                    created_at=created,
                )
            )
            add(
                CaseEvent(
                    case_id=case.id,
                    at=created,
                    actor_id=actor.id,
                    kind="received",
                    to_stage="received",
                    detail={},
                )
            )
            if who.stage != "received":
                add(
                    CaseEvent(
                        case_id=case.id,
                        at=created + timedelta(days=10),
                        actor_id=actor.id,
                        kind="moved",
                        from_stage="received",
                        to_stage=who.stage,
                        detail={},
                    )
                )
            replaced = None
            if who.replaced_vnd is not None:
                replaced = _decision(
                    uow, case, actor.id, {"a": who.replaced_vnd}, {}, None, "replaced"
                )
            if who.groups or who.not_granted:
                _decision(uow, case, actor.id, who.groups, who.not_granted, replaced, "issued")
            if who.outcome is not None:
                add(
                    FollowUp(
                        case_id=case.id,
                        number=1,
                        months_after=1,
                        due=who.received_on + timedelta(days=60),
                        cites=["POLICY:follow-up"],
                        rule="1 month after the return home",
                        state="done",
                        outcome=who.outcome,
                        checked_on=who.received_on + timedelta(days=61),
                        worker_id=actor.id,
                        created_at=created,
                    )
                )
            if who.same_as is not None:
                add(
                    DuplicateMatch(
                        case_id=case.id, other_case_id=ids[who.same_as], state="confirmed"
                    )
                )
        uow.commit()
    return ids


def _decision(
    uow: UnitOfWork,
    case: Case,
    actor_id: str,
    granted: dict[str, int],
    not_granted: dict[str, int],
    replaces: Decision | None,
    state: str,
) -> Decision:
    """An issued calculation with one granted item per group, and its decision."""
    items = [
        {"key": f"item.{group}", "group": group, "status": "granted", "amount_vnd": amount}
        for group, amount in granted.items()
    ] + [
        {"key": f"maybe.{group}", "group": group, "status": "discretionary", "amount_vnd": amount}
        for group, amount in not_granted.items()
    ]
    now = _moment(date(2025, 6, 1))
    calc = BenefitCalculation(
        case_id=case.id,
        fact_version=1,
        as_of=date(2025, 6, 1),
        state=state,
        kind="full",
        regime=case.regime or "LAW_53_2024",
        input_hash="0" * 64,
        rule_version="test",
        parameter_versions={},
        items=items,
        trace=[],
        total_vnd=sum(granted.values()) + sum(not_granted.values()),
        needs_legal_check=[],
        granted_discretionary=[],
        approved_total_vnd=sum(granted.values()),
        proposed_by=actor_id,
        created_at=now,
    )
    uow.session.add(calc)
    uow.session.flush()
    number = next(_numbers)
    decision = Decision(
        case_id=case.id,
        calculation_id=calc.id,
        issuer="test",
        year=2025,
        number=number,
        reference=f"{number:02d}/QĐ-TEST",
        issued_on=date(2025, 6, 1),
        sha256="0" * 64,
        content_sha256="0" * 64,
        document=b"",
        replaces_id=replaces.id if replaces else None,
        issued_by=actor_id,
        created_at=now,
    )
    uow.session.add(decision)
    uow.session.flush()
    return decision


# --- what the tables must say, computed from the descriptions -------------------------------------


def age_band(who: Someone) -> str:
    """Completed years at reception, banded as the statistics document says."""
    day, birth = who.received_on, who.birth_date
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    for limit, band in ((16, "under_16"), (18, "16_17"), (25, "18_24"), (35, "25_34")):
        if age < limit:
            return band
    return "35_plus"


def persons(people: Sequence[Someone]) -> list[list[Someone]]:
    """The population grouped into persons (a confirmed duplicate joins its earlier case)."""
    root = list(range(len(people)))
    for index, who in enumerate(people):
        if who.same_as is not None:
            root[index] = root[who.same_as]
    grouped: dict[int, list[Someone]] = {}
    for index, who in enumerate(people):
        grouped.setdefault(root[index], []).append(who)
    return list(grouped.values())


def truth(people: Sequence[Someone]) -> dict[str, dict[str, int]]:
    """True persons per value of each dimension (the newest case of a person decides its
    attributes), and `total`."""
    out: dict[str, dict[str, int]] = {
        d: {} for d in ("stage", "regime", "sex", "age_band", "support_group", "outcome")
    }
    everyone = persons(people)
    for cases in everyone:
        newest = max(cases, key=lambda who: who.received_on)
        values = {
            "stage": [newest.stage],
            "regime": [newest.regime or "undetermined"],
            "sex": [newest.sex],
            "age_band": [age_band(newest)],
            "support_group": sorted({g for who in cases for g in who.groups})
            or ["no_issued_support"],
            "outcome": [next((w.outcome for w in cases if w.outcome), "no_follow_up_yet")],
        }
        for dimension, found in values.items():
            for value in found:
                out[dimension][value] = out[dimension].get(value, 0) + 1
    out["total"] = {"total": len(everyone)}
    return out


def assert_publishable(stats: dict[str, Any], people: Sequence[Someone]) -> None:
    """What a reader of the statistics must be able to rely on, checked against the truth:
    every published count describes at least 11 persons and is that number rounded down to
    a multiple of 5; a suppressed cell has no figure; and the suppressed cells of a table
    cannot be recovered from its total (two or more, together at least 11 persons)."""
    true = truth(people)
    total = true["total"]["total"]
    for dimension in ("stage", "regime", "sex", "age_band", "support_group", "outcome"):
        table = stats[dimension]
        hidden = 0
        hidden_cells = 0
        for cell in table["cells"]:
            count = true[dimension].get(cell["value"], 0)
            if cell["suppressed"]:
                assert cell["persons"] is None and cell["amount_vnd"] is None, cell
                hidden += count
                hidden_cells += 1
            else:
                assert count >= 11, (dimension, cell)
                assert cell["persons"] == count - count % 5, (dimension, cell)
        if total >= 11:
            assert table["total"]["persons"] == total - total % 5
            assert hidden_cells == 0 or (hidden_cells >= 2 and hidden >= 11), dimension
        else:
            assert table["total"]["persons"] is None and hidden_cells == len(table["cells"])
