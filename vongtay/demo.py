"""`vongtay demo`: the whole journey of the sample cases, through the real Prefect flows, on the
embedded SQLite default. A second run finds everything in place and duplicates nothing: intake
uses fixed idempotency keys, and every flow starts from the stored state.

The persons are generated, not real. The rates are the demo province's invented figures, so
every document says "MẪU – không có giá trị pháp lý".
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from benefits_rules.yamlio import load_yaml

SAMPLE_CASES = Path(__file__).parent / "data" / "sample_cases.yaml"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN = ("Thị Mai", "Văn An", "Thị Hoa", "Văn Bình", "Thị Lan", "Văn Dũng", "Thị Hằng", "Văn Tú")


def fake_person(index: int) -> dict[str, Any]:
    """A made-up person for sample case `index`: the demo never holds real data."""
    return {
        "full_name": f"{FAMILY[index % len(FAMILY)]} {GIVEN[(index * 3) % len(GIVEN)]}"
        f" (mẫu {index + 1})",
        "id_number": f"0000000000{index:02d}",
        "address": f"Thôn Mẫu {index + 1}, xã Thử Nghiệm, tỉnh Mẫu",
        "phone": f"09000000{index:02d}",
    }


@dataclass
class Timing:
    """Where the demo's time went: Prefect's share is the flow time beyond the steps' own."""

    total: float = 0.0
    prefect_start: float = 0.0
    flows: float = 0.0
    steps: float = 0.0
    flow_runs: int = 0
    marks: dict[str, float] = field(default_factory=dict)


def configure_prefect(home: Path) -> None:
    """A persistent, private Prefect home under ./var so a second run starts faster, and
    Prefect's own chatter kept out of the demo's output."""
    os.environ.setdefault("PREFECT_HOME", str(home.resolve()))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")


def run_demo(out_dir: Path, console: Console) -> Timing:
    """Receive the sample cases and take each through every stage; write the decisions."""
    timing = Timing()
    started = time.perf_counter()
    configure_prefect(Path("var") / "prefect")
    from cases import automation, decisions, migrate, service
    from cases.accounts import Actor, create_user, system_actor
    from cases.dispatch import set_dispatcher
    from cases.exceptions import CaseError
    from cases.schemas import (
        ApprovalCreate,
        CaseCreate,
        CertificateIn,
        ExtensionIn,
        PersonIn,
        Role,
        VerificationIn,
    )
    from cases.settings import get_settings
    from cases.unit_of_work import UnitOfWork
    from vongtay import demo_reintegration as reintegration

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    t0 = time.perf_counter()
    from flows.dispatchers import InlineDispatcher

    dispatcher = InlineDispatcher()
    set_dispatcher(dispatcher)
    timing.prefect_start = time.perf_counter() - t0  # importing Prefect

    steps = {
        "advance_intake": automation.advance_intake,
        "propose": automation.propose,
        "issue": automation.issue,
        "refer": automation.refer,
    }

    def timed(step: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                timing.steps += time.perf_counter() - begin

        return wrapper

    for name, step in steps.items():
        setattr(automation, name, timed(step))

    def actor(username: str, role: Role, partner: str | None = None) -> Actor:
        def stored() -> Actor | None:
            with UnitOfWork(write=False) as uow:
                found = uow.repo.user_by_name(username)
                if found is None:
                    return None
                return Actor(found.id, username, role, found.province, found.partner_id)

        existing = stored()
        if existing is None:
            signer = "Người duyệt mẫu" if role is Role.approver else None
            province = None if partner else "sample"
            create_user(username, role.value, province, signer, partner)
            existing = stored()
        assert existing is not None
        return existing

    intake = actor("demo.intake", Role.intake_officer)
    approver = actor("demo.approver", Role.approver)
    worker = actor("demo.worker", Role.followup_worker)
    partners = reintegration.register_partners(actor("demo.admin", Role.admin), actor)
    system_actor()
    today = service.today()

    def drain() -> None:
        begin = time.perf_counter()
        timing.flow_runs += dispatcher.drain()
        timing.flows += time.perf_counter() - begin

    out_dir.mkdir(parents=True, exist_ok=True)
    case_ids: list[str] = []
    for index, sample in enumerate(load_yaml(SAMPLE_CASES)):
        facts = dict(sample["facts"])
        extension = facts.pop("extension_days", None)  # a director's decision, not an intake fact
        _status, body = service.receive(
            intake,
            CaseCreate(
                person=PersonIn(**fake_person(index)),
                facts=facts,
                facility="Trung tâm Công tác xã hội tỉnh Mẫu",
            ),
            idempotency_key=f"demo-sample-{index + 1}",
        )
        case_id = body["id"]
        drain()  # intake
        case = service.get_case(intake, case_id)
        identified_on = facts.get("identified_on")
        if case.stage in ("received", "awaiting_verification") and not any(
            d.kind == "initial_verification" for d in case.deadlines
        ):
            notified = service.today() - timedelta(days=1)
            certificate = None
            result: Literal["documents_present", "needs_identification"] = "needs_identification"
            if identified_on is not None:
                result = "documents_present"
                certificate = CertificateIn(
                    issuer="Công an tỉnh Mẫu",
                    number=f"{index + 1:02d}/GCN-CA",
                    date=date.fromisoformat(str(identified_on)),
                )
            if extension and not case.fact_version > 1:
                service.record_extension(
                    approver,
                    case_id,
                    ExtensionIn(
                        extension_days=int(extension),
                        decided_on=date.fromisoformat(str(facts["received_on"])),
                        decided_by="Giám đốc Trung tâm Công tác xã hội tỉnh Mẫu",
                        reason="Người được hỗ trợ cần thêm thời gian điều trị (bản mẫu)",
                    ),
                )
            service.record_verification(
                intake,
                case_id,
                VerificationIn(notified_on=notified, result=result, certificate=certificate),
            )
            drain()  # propose_benefits
        for calc in service.list_calculations(approver, case_id):
            if calc.state == "proposed":
                granted = [item.key for item in calc.items if item.status == "discretionary"]
                try:
                    service.decide(
                        approver,
                        case_id,
                        ApprovalCreate(
                            calculation_id=calc.id,
                            decision="approve",
                            granted_discretionary=granted,
                            acknowledge_unconfirmed=bool(calc.needs_legal_check),
                            note="Đã kiểm tra các dòng cần xác nhận pháp lý (bản mẫu).",
                        ),
                        idempotency_key=f"demo-approve-{calc.id}",
                    )
                except CaseError as exc:
                    console.print(f"[yellow]case {index + 1}: not approved: {exc.detail}[/]")
        if service.get_case(intake, case_id).stage != "closed":
            reintegration.record_consent(intake, case_id, today)
        drain()  # issue_decision, then refer (with the consent, to the province's partners)
        for decision in decisions.list_decisions(intake, case_id):
            name, document = decisions.download(intake, case_id, decision.number)
            (out_dir / name).write_bytes(document)
        if service.get_case(intake, case_id).stage in ("referred", "following_up"):
            reintegration.partners_accept(partners, case_id, intake, today)
            if facts.get("returning_home"):
                reintegration.return_home_and_first_check(worker, case_id, today)
        case_ids.append(case_id)

    from flows.sweep import daily_sweep

    begin = time.perf_counter()
    swept = daily_sweep()
    timing.flows += time.perf_counter() - begin
    timing.flow_runs += 1
    console.print(
        f"daily sweep: {swept['warned']} warned, {swept['breached']} breached, "
        f"{swept['follow_ups_due']} follow-ups due, {swept['follow_ups_missed']} missed, "
        f"{swept['redispatched']} re-dispatched"
    )
    written = reintegration.write_report(out_dir, today.year)
    console.print(
        f"provincial report {today.year}: {written.chart.name} and {written.data.name} in "
        f"{out_dir} (every cell under 11 persons withheld, so the demo's few cases show none)"
    )
    rows = [_status_row(n, case_id, intake, worker) for n, case_id in enumerate(case_ids, start=1)]
    timing.total = time.perf_counter() - started
    table = Table(title="Vòng Tay demo: the sample cases (MẪU – không có giá trị pháp lý)")
    columns = (
        "#",
        "case",
        "stage",
        "regime",
        "next deadline",
        "approved VND",
        "decisions",
        "referrals",
        "next check",
    )
    for column in columns:
        table.add_column(column, justify="right" if column == "approved VND" else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return timing


def _status_row(number: int, case_id: str, reader: Any, worker: Any) -> tuple[str, ...]:
    """One line of the status table: stage, regime, the next running clock, money, decisions,
    the referrals by state and the next follow-up check."""
    from collections import Counter

    from cases import decisions, followups, referrals, service

    case = service.get_case(reader, case_id)
    calcs = service.list_calculations(reader, case_id)
    paid = sum(c.approved_total_vnd or 0 for c in calcs if c.state in ("approved", "issued"))
    running = sorted(
        (d.due, d.kind, d.state) for d in case.deadlines if d.state in ("open", "warned") and d.due
    )
    breached = [d.kind for d in case.deadlines if d.state == "breached"]
    next_clock = f"{running[0][1]} {running[0][0].isoformat()}" if running else "-"
    if breached:
        next_clock += f" (breached: {', '.join(breached)})"
    by_state = Counter(r.state for r in referrals.case_referrals(reader, case_id))
    schedule = followups.get_schedule(worker, case_id).checks
    checks = [c for c in schedule if c.state in ("scheduled", "due")]
    return (
        str(number),
        case_id[:8],
        case.stage,
        case.regime or "-",
        next_clock,
        f"{paid:,}",
        ", ".join(d.reference for d in decisions.list_decisions(reader, case_id)) or "-",
        ", ".join(f"{n} {state}" for state, n in sorted(by_state.items())) or "-",
        f"{checks[0].due.isoformat()} ({checks[0].state})" if checks else "-",
    )
