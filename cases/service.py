"""The use cases of the case file. Each runs in one unit of work, checks the actor's role and
province, applies lifecycle moves as compare-and-set, writes its case event and audit row in the
same transaction, and returns a read shape with no personal data.

The API and the flows call these functions and nothing deeper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

import benefits_rules
from benefits_rules import clocks
from benefits_rules.schedules import RATE_KEYS, RateSchedule, empty_schedule, shipped_schedules
from cases import audit
from cases.accounts import Actor
from cases.dispatch import dispatch
from cases.exceptions import (
    ConcurrentUpdate,
    Conflict,
    Forbidden,
    InvalidInput,
    LegalCheckNotAcknowledged,
    NotFound,
    OutsideProvince,
    SelfApproval,
    TransitionNotAllowed,
)
from cases.idempotency import idempotent, request_hash
from cases.lifecycle import (
    OPEN_STAGES,
    PROPOSE_STAGES,
    CalcState,
    Stage,
    check_calc_move,
)
from cases.models import (
    Approval,
    BenefitCalculation,
    Case,
    CaseFact,
    Deadline,
    DuplicateMatch,
    RateValue,
)
from cases.policy import ALLOWED, DEADLINE_STATES, INTAKE_FORBIDDEN_FACTS, today
from cases.policy import allow as _allow
from cases.policy import case_for as _case_for
from cases.policy import latest_facts as _facts
from cases.policy import move as _move
from cases.policy import now as _now
from cases.policy import record_event as _event
from cases.schemas import (
    ApprovalCreate,
    ApprovalRead,
    AuditReport,
    CalculationRead,
    CaseCreate,
    CaseCreated,
    CaseRead,
    CertificateIn,
    CertificateRead,
    DeadlineRead,
    DuplicateRead,
    EventRead,
    ExtensionIn,
    FactsRead,
    IdentificationIn,
    ItemRead,
    PersonRead,
    RateIn,
    RateRead,
    TraceRead,
    VerificationIn,
)
from cases.settings import get_settings
from cases.unit_of_work import UnitOfWork
from cases.vault import PURPOSES, default_vault, open_or_refuse, seal_person

T = TypeVar("T")

__all__ = [
    "ALLOWED",
    "DEADLINE_STATES",
    "INTAKE_FORBIDDEN_FACTS",
    "idempotent",
    "request_hash",
    "today",
]


def _new_facts(
    uow: UnitOfWork, case: Case, actor: Actor, facts: dict[str, Any], reason: str
) -> CaseFact:
    current = _facts(uow, case)
    row = CaseFact(
        case_id=case.id,
        version=current.version + 1,
        facts=facts,
        reason=reason,
        created_by=actor.id,
        created_at=_now(),
    )
    uow.repo.add(row)
    if not uow.repo.move_case(case, expected_stage=case.stage, values={"updated_at": _now()}):
        raise ConcurrentUpdate("the case changed meanwhile; read it again", field="facts")
    return row


def _check_facts(facts: dict[str, Any], as_of: date, prefix: str = "facts") -> benefits_rules.Facts:
    try:
        return benefits_rules.check_facts(facts, as_of)
    except benefits_rules.FactsError as exc:
        raise InvalidInput(
            f"invalid facts: {exc.detail}", field=f"{prefix}.{exc.field}", rule=exc.rule
        ) from None


def _json_facts(facts: benefits_rules.Facts) -> dict[str, Any]:
    return facts.to_dict()


# --- intake ---------------------------------------------------------------------------------


def receive(
    actor: Actor, command: CaseCreate, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Receive a person (and the minors who came with them): the vault gets the personal data,
    the case file the facts; earlier cases of the same person are flagged for staff."""
    _allow(actor, "receive")
    payload = command.model_dump(mode="json")

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        created = _receive(uow, actor, command)
        return 201, created.model_dump(mode="json")

    status, body = idempotent(actor, idempotency_key, request_hash(payload), produce)
    for case_id in [body["id"], *body.get("companions", [])]:
        dispatch("intake", case_id)
    return status, body


def _receive(uow: UnitOfWork, actor: Actor, command: CaseCreate) -> CaseCreated:
    for name in INTAKE_FORBIDDEN_FACTS:
        if name in command.facts:
            raise InvalidInput(
                "set by an approver's or director's decision, not at intake",
                field=f"facts.{name}",
                rule="not_at_intake",
            )
    day = today()
    facts = _check_facts(command.facts, day)
    if not actor.sees(facts.province):
        raise OutsideProvince(
            "you may only receive people in your province",
            field="facts.province",
            rule="province_scope",
        )
    main = _open_case(uow, actor, command.person, facts, command.facility, None)
    companions = []
    for i, companion in enumerate(command.accompanying):
        for name in INTAKE_FORBIDDEN_FACTS:
            if name in companion.facts:
                raise InvalidInput(
                    "not at intake", field=f"accompanying.{i}.facts.{name}", rule="not_at_intake"
                )
        minor_facts = {
            "status": "accompanying_minor",
            "accompanies_status": facts.entitled_status
            if facts.status != "accompanying_minor"
            else "victim",
            "province": facts.province,
            "received_on": facts.received_on.isoformat(),
            **companion.facts,
        }
        if facts.identified_on is not None and "identified_on" not in companion.facts:
            minor_facts["identified_on"] = facts.identified_on.isoformat()
        checked = _check_facts(minor_facts, day, prefix=f"accompanying.{i}.facts")
        if checked.status != "accompanying_minor":
            raise InvalidInput(
                "a companion is an accompanying minor",
                field=f"accompanying.{i}.facts.status",
                rule="unknown_value",
            )
        companions.append(
            _open_case(uow, actor, companion.person, checked, command.facility, main.id).id
        )
    return CaseCreated(id=main.id, stage=main.stage, companions=companions)


def _open_case(
    uow: UnitOfWork,
    actor: Actor,
    person_in: Any,
    facts: benefits_rules.Facts,
    facility: str,
    accompanies: str | None,
) -> Case:
    vault = default_vault()
    person = seal_person(
        vault,
        full_name=person_in.full_name,
        birth_date=facts.birth_date,
        aliases=person_in.aliases or None,
        id_number=person_in.id_number,
        address=person_in.address,
        phone=person_in.phone,
        health_notes=person_in.health_notes,
    )
    earlier = uow.repo.cases_of_match_key(person.match_key)
    uow.repo.add(person)
    uow.repo.flush()
    now = _now()
    case = Case(
        person_id=person.id,
        accompanies_case_id=accompanies,
        province=facts.province,
        facility=facility,
        stage=Stage.received.value,
        status=facts.status,
        nationality=facts.nationality,
        birth_year_month=facts.birth_date.isoformat()[:7],
        regime=None,
        identified_on=facts.identified_on,
        version=1,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    uow.repo.add(case)
    uow.repo.flush()
    uow.repo.add(
        CaseFact(
            case_id=case.id,
            version=1,
            facts=_json_facts(facts),
            reason="intake",
            created_by=actor.id,
            created_at=now,
        )
    )
    for other in earlier:
        uow.repo.add(DuplicateMatch(case_id=case.id, other_case_id=other.id, state="open"))
    _event(
        uow,
        case,
        actor,
        "received",
        to_stage=Stage.received.value,
        detail={"possible_duplicates": len(earlier)},
    )
    return case


# --- reads ----------------------------------------------------------------------------------


def get_case(actor: Actor, case_id: str) -> CaseRead:
    """A case as staff see it: stage, regime, deadlines; no personal data."""
    _allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        case = _case_for(uow, actor, case_id)
        return _case_read(uow, case)


def list_cases(
    actor: Actor, stage: str | None = None, limit: int = 50, offset: int = 0
) -> list[CaseRead]:
    """The cases of the actor's province (all of them for a national account)."""
    _allow(actor, "read")
    if stage is not None and stage not in set(Stage):
        raise InvalidInput(
            f"stage must be one of {', '.join(Stage)}", field="stage", rule="unknown_value"
        )
    with UnitOfWork(write=False) as uow:
        rows = uow.repo.cases(
            province=actor.province, stage=stage, limit=min(limit, 200), offset=offset
        )
        return [_case_read(uow, case) for case in rows]


def _case_read(uow: UnitOfWork, case: Case) -> CaseRead:
    facts = uow.repo.latest_facts(case.id)
    certificate = None
    if case.certificate_issuer and case.certificate_date:
        certificate = CertificateRead(issuer=case.certificate_issuer, date=case.certificate_date)
    return CaseRead(
        id=case.id,
        person_id=case.person_id,
        stage=case.stage,
        status=case.status,
        province=case.province,
        facility=case.facility,
        nationality=case.nationality,
        birth_year_month=case.birth_year_month,
        regime=case.regime,
        identified_on=case.identified_on,
        certificate=certificate,
        accompanies_case_id=case.accompanies_case_id,
        companions=[c.id for c in uow.repo.companions(case.id)],
        fact_version=facts.version if facts else 0,
        deadlines=[_deadline_read(d) for d in uow.repo.deadlines(case.id)],
        open_duplicates=sum(1 for d in uow.repo.duplicates(case.id) if d.state == "open"),
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


def _deadline_read(row: Deadline) -> DeadlineRead:
    return DeadlineRead(
        id=row.id,
        case_id=row.case_id,
        kind=row.kind,
        due=row.due,
        warn_on=row.warn_on,
        state=row.state,
        cites=list(row.cites),
        confirmed=row.confirmed,
        rule=row.rule,
        pause_reason=row.pause_reason,
    )


def get_facts(actor: Actor, case_id: str) -> FactsRead:
    """The current version of a case's facts (law brief §4: no names or ID numbers)."""
    _allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        case = _case_for(uow, actor, case_id)
        row = _facts(uow, case)
        return _facts_read(case, row)


def _facts_read(case: Case, row: CaseFact) -> FactsRead:
    return FactsRead(
        case_id=case.id,
        version=row.version,
        facts=row.facts,
        reason=row.reason,
        created_at=row.created_at,
    )


def case_events(actor: Actor, case_id: str) -> list[EventRead]:
    """The case's history of moves and decisions."""
    _allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        case = _case_for(uow, actor, case_id)
        return [
            EventRead(
                at=e.at, kind=e.kind, from_stage=e.from_stage, to_stage=e.to_stage, reason=e.reason
            )
            for e in uow.repo.events(case.id)
        ]


def list_deadlines(
    actor: Actor, state: str | None = None, due_before: date | None = None, limit: int = 200
) -> list[DeadlineRead]:
    """Clocks across the actor's province, soonest first."""
    _allow(actor, "read")
    if state is not None and state not in DEADLINE_STATES:
        raise InvalidInput(
            f"state must be one of {', '.join(DEADLINE_STATES)}",
            field="state",
            rule="unknown_value",
        )
    with UnitOfWork(write=False) as uow:
        rows = uow.repo.deadlines_in(
            province=actor.province, state=state, due_before=due_before, limit=min(limit, 1000)
        )
        return [_deadline_read(d) for d in rows]


# --- verification, identification and clocks ---------------------------------------------------


def _add_deadline(
    uow: UnitOfWork, case: Case, deadline: clocks.Deadline, state: str = "open"
) -> Deadline:
    row = Deadline(
        case_id=case.id,
        kind=str(deadline.kind),
        due=deadline.due,
        warn_on=deadline.warn_on,
        cites=list(deadline.cites),
        confirmed=deadline.confirmed,
        rule=deadline.rule,
        state=state,
        created_at=_now(),
    )
    uow.repo.add(row)
    return row


def _stay_clocks(uow: UnitOfWork, case: Case, facts: dict[str, Any], as_of: date) -> None:
    stay = facts.get("stay")
    if not stay or facts.get("location") != "in_vietnam" or stay.get("to"):
        return
    start = date.fromisoformat(stay["from"])
    regime = benefits_rules.regime_for(facts, as_of)
    if regime == benefits_rules.Regime.LAW_53_2024:
        if uow.repo.deadline(case.id, clocks.ClockKind.stay_limit) is None:
            _add_deadline(uow, case, clocks.stay_limit(start, int(facts.get("extension_days", 0))))
    elif uow.repo.deadline(case.id, clocks.ClockKind.old_food_limit) is None:
        _add_deadline(uow, case, clocks.old_food_limit(start))


def record_verification(actor: Actor, case_id: str, command: VerificationIn) -> CaseRead:
    """The initial verification, due within 3 days of the commune's notification: documents
    already certifying victim status send the case straight to `identified`."""
    _allow(actor, "verify")
    with UnitOfWork() as uow:
        case = _case_for(uow, actor, case_id)
        if case.stage not in (Stage.received, Stage.awaiting_verification) or (
            # any initial verification, `met` included (`repo.deadline` skips met clocks)
            any(
                d.kind == clocks.ClockKind.initial_verification for d in uow.repo.deadlines(case.id)
            )
            and case.stage == Stage.awaiting_verification
        ):
            raise TransitionNotAllowed(
                f"the initial verification cannot be recorded in stage {case.stage}",
                field="stage",
                rule="lifecycle",
            )
        day = today()
        if command.notified_on > day:
            raise InvalidInput(
                "the notification date is in the future",
                field="notified_on",
                rule="not_after_today",
            )
        clock = clocks.initial_verification(command.notified_on)
        _add_deadline(uow, case, clock, state="met" if day <= clock.due else "breached")
        if command.result == "documents_present":
            if command.certificate is None:
                raise InvalidInput(
                    "documents present: give the certifying document",
                    field="certificate",
                    rule="required",
                )
            _identify(
                uow,
                actor,
                case,
                command.certificate,
                "verification: documents certify victim status (Law 53/2024 Art. 33(1))",
            )
        else:
            if case.stage == Stage.received:
                _move(
                    uow,
                    case,
                    actor,
                    Stage.awaiting_verification,
                    "verification_recorded",
                    reason="needs identification",
                )
            facts = _facts(uow, case).facts
            _stay_clocks(uow, case, facts, day)
        uow.commit()
        read = _case_read(uow, case)
    if read.stage in (Stage.identified, Stage.awaiting_verification):
        dispatch("propose_benefits", case_id)
    return read


def _identify(
    uow: UnitOfWork, actor: Actor, case: Case, certificate: CertificateIn, reason: str
) -> None:
    row = _facts(uow, case)
    identified_on = max(certificate.date, date.fromisoformat(row.facts["received_on"]))
    day = today()
    if certificate.date > day:
        raise InvalidInput(
            "the certificate is dated in the future",
            field="certificate.date",
            rule="not_after_today",
        )
    companions = [c for c in uow.repo.companions(case.id) if c.stage != Stage.closed]
    for target in [case, *companions]:
        facts = dict(_facts(uow, target).facts)
        if target is case and facts["status"] == "undergoing_identification":
            facts["status"] = "victim"
        if target is not case:
            facts["accompanies_status"] = "victim"
        facts["identified_on"] = identified_on.isoformat()
        checked = _check_facts(facts, day)
        _new_facts(uow, target, actor, _json_facts(checked), reason)
    _move(
        uow,
        case,
        actor,
        Stage.identified,
        "identified",
        reason=reason,
        values={
            "identified_on": identified_on,
            "status": "victim" if case.status != "accompanying_minor" else case.status,
            "certificate_issuer": certificate.issuer,
            "certificate_number": certificate.number,
            "certificate_date": certificate.date,
        },
    )
    for companion in uow.repo.companions(case.id):
        if companion.stage in (Stage.received, Stage.awaiting_verification):
            _move(
                uow,
                companion,
                actor,
                Stage.identified,
                "identified",
                reason="the person they came with was identified",
                values={"identified_on": identified_on},
            )


def record_identification(actor: Actor, case_id: str, command: IdentificationIn) -> CaseRead:
    """The identification result: a victim with the certificate's issuer, number and date, or
    not a victim (support already decided stays recorded)."""
    _allow(actor, "identify")
    with UnitOfWork() as uow:
        case = _case_for(uow, actor, case_id)
        if case.stage != Stage.awaiting_verification:
            raise TransitionNotAllowed(
                f"identification is recorded in stage awaiting_verification, not {case.stage}",
                field="stage",
                rule="lifecycle",
            )
        if command.result == "victim":
            if command.certificate is None:
                raise InvalidInput(
                    "a positive identification needs its certificate",
                    field="certificate",
                    rule="required",
                )
            _identify(uow, actor, case, command.certificate, "identified as a victim")
        else:
            _move(
                uow,
                case,
                actor,
                Stage.not_identified,
                "not_identified",
                reason="not identified as a victim",
            )
            for companion in uow.repo.companions(case.id):
                if companion.stage in (Stage.received, Stage.awaiting_verification):
                    _move(
                        uow,
                        companion,
                        actor,
                        Stage.not_identified,
                        "not_identified",
                        reason="the person they came with was not identified",
                    )
        uow.commit()
        read = _case_read(uow, case)
    if read.stage == Stage.identified:
        for target in [case_id, *read.companions]:
            dispatch("propose_benefits", target)
    return read


def pause_clock(actor: Actor, case_id: str, clock: str, reason: str) -> DeadlineRead:
    """Stop a clock while the case waits on someone else (e.g. the border guard's reply)."""
    _allow(actor, "clock")
    with UnitOfWork() as uow:
        case = _case_for(uow, actor, case_id)
        if Stage(case.stage) not in OPEN_STAGES:
            raise TransitionNotAllowed("the case is closed", field="stage", rule="lifecycle")
        row = uow.repo.deadline(case.id, clock)
        if row is None or row.state not in ("open", "warned") or row.due is None:
            raise TransitionNotAllowed(
                f"no running clock {clock} on this case", field="clock", rule="not_running"
            )
        day = today()
        row.remaining_days = (row.due - day).days
        row.paused_on, row.pause_reason, row.state = day, reason, "paused"
        _event(uow, case, actor, "clock_paused", reason=reason, detail={"clock": clock})
        uow.commit()
        return _deadline_read(row)


def resume_clock(actor: Actor, case_id: str, clock: str, reason: str) -> DeadlineRead:
    """Restart a paused clock with the days it had left."""
    _allow(actor, "clock")
    with UnitOfWork() as uow:
        case = _case_for(uow, actor, case_id)
        if Stage(case.stage) not in OPEN_STAGES:
            raise TransitionNotAllowed("the case is closed", field="stage", rule="lifecycle")
        row = uow.repo.deadline(case.id, clock)
        if row is None or row.state != "paused" or row.remaining_days is None:
            raise TransitionNotAllowed(
                f"the clock {clock} is not paused", field="clock", rule="not_paused"
            )
        day = today()
        row.due = day + timedelta(days=row.remaining_days)
        if row.warn_on is not None:
            row.warn_on = row.due - timedelta(days=clocks.STAY_LIMIT_WARN_DAYS)
        row.state, row.paused_on, row.remaining_days = "open", None, None
        _event(uow, case, actor, "clock_resumed", reason=reason, detail={"clock": clock})
        uow.commit()
        return _deadline_read(row)


# --- calculations and approvals -----------------------------------------------------------------


def rates_for(uow: UnitOfWork, provinces: Iterable[str]) -> dict[str, RateSchedule]:
    """Each province's shipped schedule with the values entered through the API appended."""
    wanted = sorted(set(provinces))
    shipped = shipped_schedules()
    out = {p: shipped[p] if p in shipped else empty_schedule(p) for p in wanted}
    for row in uow.repo.rate_values_for(wanted):
        out[row.province] = out[row.province].with_value(
            row.key,
            row.since,
            row.value,
            citation=row.citation,
            confirmed=row.confirmed,
            under=row.under,
        )
    return out


def propose_benefits(
    actor: Actor, case_id: str, as_of: date | None = None, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Compute the support and store it as a proposal for an approver; an earlier open proposal
    of the case is superseded. Proposed while waiting for identification, it is the
    waiting-period support; once identified, the full support."""
    _allow(actor, "propose")

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        return 201, _propose(uow, actor, case_id, as_of).model_dump(mode="json")

    return idempotent(
        actor, idempotency_key, request_hash({"case": case_id, "as_of": str(as_of)}), produce
    )


def _propose(uow: UnitOfWork, actor: Actor, case_id: str, as_of: date | None) -> CalculationRead:
    case = _case_for(uow, actor, case_id)
    if Stage(case.stage) not in PROPOSE_STAGES:
        raise TransitionNotAllowed(
            "support is proposed while awaiting verification or once identified, "
            f"not in stage {case.stage}",
            field="stage",
            rule="lifecycle",
        )
    day = as_of or today()
    if day > today():
        raise InvalidInput(
            "support is not decided for a future date", field="as_of", rule="not_after_today"
        )
    facts_row = _facts(uow, case)
    facts = facts_row.facts
    provinces = [facts["province"], facts.get("home_province") or facts["province"]]
    try:
        result = benefits_rules.compute(facts, day, rates_for(uow, provinces))
    except benefits_rules.FactsError as exc:
        raise InvalidInput(
            f"invalid facts: {exc.detail}", field=f"facts.{exc.field}", rule=exc.rule
        ) from None
    except benefits_rules.ParameterNotInForce as exc:
        raise InvalidInput(
            f"no law is encoded for that day ({exc.parameter})",
            field="as_of",
            rule="no_law_in_force",
        ) from None
    for old in uow.repo.open_calculations(case.id):
        check_calc_move(CalcState(old.state), CalcState.superseded)
        if not uow.repo.move_calculation(
            old, expected_state=old.state, values={"state": CalcState.superseded.value}
        ):
            raise ConcurrentUpdate("a calculation changed meanwhile", field="calculation")
    body = result.to_dict(trace=True)
    if _max_payable(body["items"]) > 2**63 - 1:  # what the database's 64-bit amounts hold
        raise InvalidInput(
            "the amounts are beyond what can be stored: check the facts' amounts and days",
            field="facts",
            rule="amount_out_of_range",
        )
    threshold = get_settings().second_approval_threshold_vnd
    calc = BenefitCalculation(
        case_id=case.id,
        fact_version=facts_row.version,
        as_of=day,
        state=CalcState.proposed.value,
        kind="full" if case.stage == Stage.identified else "waiting",
        regime=str(result.regime),
        input_hash=result.input_hash,
        rule_version=result.rule_version,
        parameter_versions={"regime_reason": result.regime_reason, **result.parameter_versions},
        items=[{k: v for k, v in item.items() if k != "trace"} for item in body["items"]],
        trace=[{"key": item["key"], **item["trace"]} for item in body["items"]],
        total_vnd=result.total_vnd,
        needs_legal_check=result.needs_legal_check,
        uses_sample_rates=result.uses_sample_rates,
        approvals_required=2 if _max_payable(body["items"]) > threshold else 1,
        granted_discretionary=[],
        version=1,
        proposed_by=actor.id,
        created_at=_now(),
    )
    uow.repo.add(calc)
    uow.repo.flush()
    if case.regime != str(result.regime):
        uow.repo.move_case(
            case,
            expected_stage=case.stage,
            values={"regime": str(result.regime), "updated_at": _now()},
        )
    _event(
        uow,
        case,
        actor,
        "benefits_proposed",
        detail={"calculation_id": calc.id, "total_vnd": result.total_vnd},
    )
    return _calc_read(uow, calc)


def _max_payable(items: Sequence[dict[str, Any]]) -> int:
    """What the decision could pay at most: granted lines plus every discretionary one."""
    return sum(i["amount_vnd"] or 0 for i in items if i["status"] in ("granted", "discretionary"))


def _calc_read(uow: UnitOfWork, calc: BenefitCalculation) -> CalculationRead:
    approvals = [a for a in uow.repo.approvals(calc.id) if a.decision == "approve"]
    return CalculationRead(
        id=calc.id,
        case_id=calc.case_id,
        state=calc.state,
        kind=calc.kind,
        as_of=calc.as_of,
        regime=calc.regime,
        items=[ItemRead(**item) for item in calc.items],
        total_vnd=calc.total_vnd,
        approved_total_vnd=calc.approved_total_vnd,
        needs_legal_check=list(calc.needs_legal_check),
        granted_discretionary=list(calc.granted_discretionary),
        approvals_required=calc.approvals_required,
        approvals=len(approvals),
        uses_sample_rates=calc.uses_sample_rates,
        input_hash=calc.input_hash,
        rule_version=calc.rule_version,
        fact_version=calc.fact_version,
        created_at=calc.created_at,
    )


def list_calculations(actor: Actor, case_id: str) -> list[CalculationRead]:
    """Every support decision of a case, oldest first."""
    _allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        case = _case_for(uow, actor, case_id)
        return [_calc_read(uow, c) for c in uow.repo.calculations(case.id)]


def _calc_of(
    uow: UnitOfWork, actor: Actor, case_id: str, calculation_id: str
) -> tuple[Case, BenefitCalculation]:
    case = _case_for(uow, actor, case_id)
    calc = uow.repo.calculation(calculation_id)
    if calc is None or calc.case_id != case.id:
        raise NotFound("no such calculation on this case", field="calculation_id")
    return case, calc


def get_calculation(actor: Actor, case_id: str, calculation_id: str) -> CalculationRead:
    """One support decision."""
    _allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        return _calc_read(uow, _calc_of(uow, actor, case_id, calculation_id)[1])


def get_trace(actor: Actor, case_id: str, calculation_id: str) -> TraceRead:
    """Why each line is what it is: rule, parameters and rates with their citations."""
    _allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        calc = _calc_of(uow, actor, case_id, calculation_id)[1]
        versions = dict(calc.parameter_versions)
        return TraceRead(
            calculation_id=calc.id,
            regime_reason=str(versions.pop("regime_reason", "")),
            trace=list(calc.trace),
            parameter_versions=versions,
        )


def decide(
    actor: Actor, case_id: str, command: ApprovalCreate, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """An approver approves or returns a proposal. Maker-checker: never the proposer; over the
    threshold, two different approvers; lines that need a legal check only with an explicit,
    noted acknowledgement; a discretionary line is paid only if granted."""
    _allow(actor, "decide")

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        return 201, _decide(uow, actor, case_id, command).model_dump(mode="json")

    status, body = idempotent(
        actor,
        idempotency_key,
        request_hash({"case": case_id, **command.model_dump(mode="json")}),
        produce,
    )
    if body.get("calculation_state") == CalcState.approved:
        dispatch("issue_decision", case_id)
    return status, body


def _decide(uow: UnitOfWork, actor: Actor, case_id: str, command: ApprovalCreate) -> ApprovalRead:
    case, calc = _calc_of(uow, actor, case_id, command.calculation_id)
    if calc.state != CalcState.proposed:
        raise TransitionNotAllowed(
            f"the calculation is {calc.state}, not proposed",
            field="calculation.state",
            rule="lifecycle",
        )
    if calc.proposed_by == actor.id:
        raise SelfApproval(
            "you proposed this calculation: another approver must decide it",
            field="approver",
            rule="maker_checker",
        )
    earlier = uow.repo.approvals(calc.id)
    if any(a.approver_id == actor.id for a in earlier):
        raise Conflict(
            "you have already decided this calculation",
            field="approver",
            rule="one_decision_per_approver",
        )
    discretionary = {i["key"] for i in calc.items if i["status"] == "discretionary"}
    unknown = [k for k in command.granted_discretionary if k not in discretionary]
    if unknown:
        raise InvalidInput(
            f"not a discretionary line of this calculation: {unknown[0]}",
            field="granted_discretionary",
            rule="not_discretionary",
        )
    if command.decision == "approve" and calc.needs_legal_check:
        if not command.acknowledge_unconfirmed:
            raise LegalCheckNotAcknowledged(
                f"lines rest on unconfirmed law: {', '.join(calc.needs_legal_check)}; "
                "acknowledge them with a note",
                field="acknowledge_unconfirmed",
                rule="acknowledge_unconfirmed",
            )
        if not (command.note and command.note.strip()):
            raise LegalCheckNotAcknowledged(
                "acknowledging unconfirmed law needs a note",
                field="note",
                rule="acknowledgement_note",
            )
    row = Approval(
        calculation_id=calc.id,
        approver_id=actor.id,
        decision=command.decision,
        granted_discretionary=list(command.granted_discretionary),
        acknowledged_unconfirmed=command.acknowledge_unconfirmed,
        note=command.note,
        created_at=_now(),
    )
    uow.repo.add(row)
    uow.repo.flush()
    if command.decision == "return":
        check_calc_move(CalcState.proposed, CalcState.returned)
        values: dict[str, Any] = {"state": CalcState.returned.value}
    else:
        approvals = [a for a in uow.repo.approvals(calc.id) if a.decision == "approve"]
        values = {}
        if len(approvals) >= calc.approvals_required:
            granted = set(discretionary)
            for approval in approvals:
                granted &= set(approval.granted_discretionary)
            total = sum(
                i["amount_vnd"] or 0
                for i in calc.items
                if i["status"] == "granted"
                or (i["status"] == "discretionary" and i["key"] in granted)
            )
            values = {
                "state": CalcState.approved.value,
                "granted_discretionary": sorted(granted),
                "approved_total_vnd": total,
            }
    if not uow.repo.move_calculation(calc, expected_state=CalcState.proposed.value, values=values):
        raise ConcurrentUpdate(
            "another approver decided this calculation at the same moment",
            field="calculation.state",
        )
    _event(
        uow,
        case,
        actor,
        f"calculation_{command.decision}",
        reason=command.note,
        detail={"calculation_id": calc.id},
    )
    approved = [a for a in uow.repo.approvals(calc.id) if a.decision == "approve"]
    return ApprovalRead(
        id=row.id,
        calculation_id=calc.id,
        decision=command.decision,
        calculation_state=calc.state,
        approvals=len(approved),
        approvals_required=calc.approvals_required,
        approved_total_vnd=calc.approved_total_vnd,
    )


# --- facts changed by decisions -----------------------------------------------------------------


def _change_facts(
    actor: Actor,
    case_id: str,
    action: str,
    change: Callable[[dict[str, Any]], str],
    also: Callable[[UnitOfWork, Case], None] | None = None,
) -> FactsRead:
    """A new version of the facts from a decision, and anything that follows from it (`also`),
    in one transaction."""
    _allow(actor, action)
    with UnitOfWork() as uow:
        case = _case_for(uow, actor, case_id)
        if Stage(case.stage) not in OPEN_STAGES:
            raise TransitionNotAllowed("the case is closed", field="stage", rule="lifecycle")
        facts = dict(_facts(uow, case).facts)
        reason = change(facts)
        checked = _check_facts(facts, today())
        row = _new_facts(uow, case, actor, _json_facts(checked), reason)
        _event(uow, case, actor, action, reason=reason, detail={"fact_version": row.version})
        if also is not None:
            also(uow, case)
        uow.commit()
        stage = case.stage
        read = _facts_read(case, row)
    if Stage(stage) in PROPOSE_STAGES:
        dispatch("propose_benefits", case_id)
    return read


#: facts that only their own decisions change (refusals, the regime override, an extension)
DECIDED_FACTS = ("refused", "regime_override", "extension_days")


def correct_facts(actor: Actor, case_id: str, changes: dict[str, Any], reason: str) -> FactsRead:
    """Correct facts recorded wrongly (a mistyped date, a fare): a new version with the reason,
    never an edit of the old one. Facts that have their own decisions are refused here, and a
    `null` removes an optional fact."""
    for name in changes:
        if name in DECIDED_FACTS:
            raise InvalidInput(
                "changed by its own decision, not by a correction",
                field=f"facts.{name}",
                rule="own_decision",
            )

    def change(facts: dict[str, Any]) -> str:
        for name, value in changes.items():
            if value is None:
                facts.pop(name, None)
            else:
                facts[name] = value
        return f"facts corrected: {reason}"

    return _change_facts(actor, case_id, "correct_facts", change)


def record_refusal(
    actor: Actor, case_id: str, items: list[str], note: str | None = None
) -> FactsRead:
    """The person refuses some support; they may ask for it again later."""
    _check_item_keys(items)

    def change(facts: dict[str, Any]) -> str:
        facts["refused"] = sorted(set(facts.get("refused", [])) | set(items))
        return "refusal" + (f": {note}" if note else "")

    return _change_facts(actor, case_id, "refusal", change)


def withdraw_refusal(
    actor: Actor, case_id: str, items: list[str], note: str | None = None
) -> FactsRead:
    """Withdrawing a refusal restores the items."""
    _check_item_keys(items)

    def change(facts: dict[str, Any]) -> str:
        refused = set(facts.get("refused", []))
        missing = [k for k in items if k not in refused]
        if missing:
            raise InvalidInput(f"not refused: {missing[0]}", field="items", rule="not_refused")
        facts["refused"] = sorted(refused - set(items))
        return "refusal withdrawn" + (f": {note}" if note else "")

    return _change_facts(actor, case_id, "refusal", change)


def _check_item_keys(items: list[str]) -> None:
    for i, key in enumerate(items):
        if key not in benefits_rules.ITEM_KEYS:
            raise InvalidInput("not an item key", field=f"items.{i}", rule="unknown_value")


def override_regime(actor: Actor, case_id: str, regime: str, reason: str) -> FactsRead:
    """An approver sets the regime of one case, with a reason printed in the decision."""

    def change(facts: dict[str, Any]) -> str:
        facts["regime_override"] = {"regime": regime, "reason": reason}
        return f"regime overridden to {regime}"

    return _change_facts(actor, case_id, "override_regime", change)


def record_extension(actor: Actor, case_id: str, command: ExtensionIn) -> FactsRead:
    """A director's or the Department of Health's decision to extend the stay beyond 120 days."""

    previous: list[int] = []

    def change(facts: dict[str, Any]) -> str:
        previous.append(int(facts.get("extension_days") or 0))
        facts["extension_days"] = command.extension_days
        decided = f"{command.decided_by}, {command.decided_on.isoformat()}"
        return f"stay extended by {command.extension_days} days ({decided}): {command.reason}"

    def move_clock(uow: UnitOfWork, case: Case) -> None:
        # shift the clock by the change in extension: a paused clock keeps it in its remaining
        # days, and days added by earlier pauses are kept
        row = uow.repo.deadline(case.id, clocks.ClockKind.stay_limit)
        delta = timedelta(days=command.extension_days - previous[0])
        if row is None:
            return
        if row.state == "paused" and row.remaining_days is not None:
            row.remaining_days += delta.days
        elif row.due is not None:
            row.due = row.due + delta
            row.warn_on = row.warn_on + delta if row.warn_on is not None else None
            if row.state == "warned" and row.warn_on and today() < row.warn_on:
                row.state = "open"

    return _change_facts(actor, case_id, "extension", change, also=move_clock)


def close_case(actor: Actor, case_id: str, reason: str) -> CaseRead:
    """Close a case with a reason; its companions close with it."""
    _allow(actor, "close")
    with UnitOfWork() as uow:
        case = _case_for(uow, actor, case_id)
        _move(
            uow,
            case,
            actor,
            Stage.closed,
            "closed",
            reason=reason,
            values={"closed_reason": reason},
        )
        for companion in uow.repo.companions(case.id):
            if companion.stage != Stage.closed:
                _move(
                    uow,
                    companion,
                    actor,
                    Stage.closed,
                    "closed",
                    reason="the person they came with closed",
                    values={"closed_reason": reason},
                )
        for closed in [case, *uow.repo.companions(case.id)]:
            _stop_clocks(uow, closed)
        uow.commit()
        return _case_read(uow, case)


def _stop_clocks(uow: UnitOfWork, case: Case) -> None:
    """A closed case's running clocks are cancelled, so no sweep warns about a person no longer
    in care; met and breached clocks stay as the record of what happened."""
    for row in uow.repo.deadlines(case.id):
        if row.state in ("open", "warned", "paused"):
            row.state = "cancelled"


# --- duplicates -----------------------------------------------------------------------------------


def list_duplicates(actor: Actor, case_id: str) -> list[DuplicateRead]:
    """Possible earlier cases of the same person found at intake."""
    _allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        case = _case_for(uow, actor, case_id)
        return [
            DuplicateRead(case_id=d.case_id, other_case_id=d.other_case_id, state=d.state)
            for d in uow.repo.duplicates(case.id)
        ]


def decide_duplicate(
    actor: Actor, case_id: str, other_case_id: str, decision: str
) -> DuplicateRead:
    """Staff confirm that two cases are the same person, or dismiss the match."""
    _allow(actor, "duplicates")
    with UnitOfWork() as uow:
        case = _case_for(uow, actor, case_id)
        match = uow.repo.duplicate(case.id, other_case_id)
        if match is None:
            raise NotFound("no such possible duplicate", field="other_case_id")
        if match.state != "open":
            raise TransitionNotAllowed(f"already {match.state}", field="state", rule="lifecycle")
        match.state = "confirmed" if decision == "confirm" else "dismissed"
        match.decided_by, match.decided_at = actor.id, _now()
        _event(
            uow, case, actor, f"duplicate_{match.state}", detail={"other_case_id": other_case_id}
        )
        uow.commit()
        return DuplicateRead(
            case_id=match.case_id, other_case_id=match.other_case_id, state=match.state
        )


# --- rates ----------------------------------------------------------------------------------------


def list_rates(actor: Actor, province: str) -> list[RateRead]:
    """A province's rates: shipped with the engine, and entered through the API."""
    _allow(actor, "read")
    _known_province(province)
    shipped = shipped_schedules()
    out: list[RateRead] = []
    if province in shipped:
        for key, series in shipped[province].series.items():
            for value in series.values:
                out.append(
                    RateRead(
                        province=province,
                        key=key,
                        from_=value.since,
                        value=value.value,
                        citation=value.citation,
                        confirmed=value.confirmed,
                        under=value.under,
                        source="shipped",
                    )
                )
    with UnitOfWork(write=False) as uow:
        for row in uow.repo.rate_values(province):
            out.append(
                RateRead(
                    province=province,
                    key=row.key,
                    from_=row.since,
                    value=row.value,
                    citation=row.citation,
                    confirmed=row.confirmed,
                    under=row.under,
                    source="entered",
                )
            )
    return sorted(out, key=lambda r: (r.key, r.from_))


def _known_province(province: str) -> None:
    from benefits_rules.provinces import is_known

    if not is_known(province):
        raise NotFound("not a province of the registry", field="province", rule="unknown_value")


def enter_rate(actor: Actor, province: str, command: RateIn) -> RateRead:
    """Append a dated rate value with its citation. Rates are never edited: a correction is a
    new value from a later date, or a value for a day not yet covered."""
    _allow(actor, "rates")
    _known_province(province)
    if not actor.sees(province):
        raise OutsideProvince(
            "you may only enter your province's rates", field="province", rule="province_scope"
        )
    if command.key not in RATE_KEYS:
        raise InvalidInput("not a rate key", field="key", rule="unknown_value")
    shipped = shipped_schedules()
    if (
        province in shipped
        and shipped[province].series.get(command.key)
        and command.from_ in shipped[province].series[command.key].dates
    ):
        raise Conflict(
            "the shipped schedule has a value from that day", field="from", rule="append_only"
        )
    try:
        with UnitOfWork() as uow:
            if any(
                r.key == command.key and r.since == command.from_
                for r in uow.repo.rate_values(province)
            ):
                raise Conflict(
                    "a value from that day exists; rates are appended, never edited",
                    field="from",
                    rule="append_only",
                )
            row = RateValue(
                province=province,
                key=command.key,
                since=command.from_,
                value=command.value,
                citation=command.citation,
                confirmed=command.confirmed,
                under=command.under,
                entered_by=actor.id,
                created_at=_now(),
            )
            uow.repo.add(row)
            uow.repo.flush()
            audit.append(
                uow.session,
                actor=actor.username,
                action="rate.entered",
                subject_type="rate",
                subject_id=row.id,
                detail={
                    "province": province,
                    "key": command.key,
                    "from": command.from_.isoformat(),
                    "value": command.value,
                },
            )
            uow.commit()
    except IntegrityError:
        raise Conflict(
            "a value from that day exists; rates are appended, never edited",
            field="from",
            rule="append_only",
        ) from None
    return RateRead(
        province=province,
        key=row.key,
        from_=row.since,
        value=row.value,
        citation=row.citation,
        confirmed=row.confirmed,
        under=row.under,
        source="entered",
    )


# --- the vault ------------------------------------------------------------------------------------


def read_person(actor: Actor, person_id: str, purpose: str) -> PersonRead:
    """Personal data, for a stated purpose, to a role that needs it, in the person's province;
    every read is audited (who, whom, why)."""
    _allow(actor, "read_person")
    if purpose not in PURPOSES:
        raise InvalidInput(
            f"purpose must be one of {', '.join(sorted(PURPOSES))}",
            field="purpose",
            rule="unknown_value",
        )
    with UnitOfWork() as uow:
        person = uow.repo.person(person_id)
        if person is None:
            raise NotFound("no such person", field="person_id")
        provinces = {c.province for c in uow.repo.cases_of_person(person.id)}
        if not provinces:
            raise NotFound("no such person", field="person_id")
        if actor.province is not None and actor.province not in provinces:
            raise OutsideProvince(
                "the person's cases belong to another province",
                field="province",
                rule="province_scope",
            )
        audit.append(
            uow.session,
            actor=actor.username,
            action="person.read",
            subject_type="person",
            subject_id=person.id,
            purpose=purpose,
        )
        uow.commit()
        opened = open_or_refuse(person, "person_id")
        return PersonRead.model_validate({"id": person.id, **opened})


# --- audit ----------------------------------------------------------------------------------------


def verify_audit(actor: Actor | None = None) -> AuditReport:
    """Walk the audit chain; the first broken link says where a row was deleted or edited."""
    if actor is not None:
        _allow(actor, "audit")
    with UnitOfWork(write=False) as uow:
        report = audit.verify(uow.session)
        return AuditReport(
            rows=report.rows,
            intact=report.first_broken_id is None,
            head_hash=report.head_hash,
            first_broken_id=report.first_broken_id,
            problem=report.problem,
        )


__all__ = ["Actor", "Forbidden"]
