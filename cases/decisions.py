"""Issuing the decision on support (*quyết định hỗ trợ*) and handing out its copies.

Issuing is one unit of work: take the calculation from approved to issued (compare-and-set),
take the next number of the issuing body's sequence for the year, render the document and its
recipient copies, store them with their SHA-256, write the event and the audit row, commit. A
crash anywhere before the commit leaves nothing, so no number is skipped; a retry after the
commit finds the calculation issued and returns the stored decision, so none is issued twice.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from benefits_rules.documentation import item_labels, legal_bases, line_basis
from cases import audit
from cases.accounts import Actor
from cases.exceptions import ConcurrentUpdate, NotFound, RoleNotAllowed, TransitionNotAllowed
from cases.issuers import Issuer, issuer_for
from cases.lifecycle import CalcState
from cases.models import BenefitCalculation, Case, Decision, DecisionCopy, DecisionSequence
from cases.policy import case_for, record_event, today
from cases.schemas import DecisionRead, Role
from cases.unit_of_work import UnitOfWork
from cases.vault import default_vault, open_person
from documents import DecisionView, ItemLine, render_decision

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ISSUERS = frozenset({Role.approver})
READERS = frozenset({Role.intake_officer, Role.approver, Role.followup_worker, Role.auditor})
#: which beneficiary lines each recipient's copy shows
RECIPIENTS: dict[str, tuple[str, ...]] = {
    "official": ("full_name", "birth_date", "id_number", "address"),
    "partner": ("full_name", "birth_year"),
}
SAMPLE_NOTICE_NOTE = "MẪU – không có giá trị pháp lý"


def _now() -> datetime:
    return datetime.now(UTC)


def _reference(number: int, issuer: Issuer) -> str:
    return f"{number:02d}/{issuer.symbol}"


def _public_number(decision: Decision) -> str:
    """The decision's id in URLs: year and number, nothing about the person."""
    return f"{decision.year}-{decision.number:02d}"


def decision_read(decision: Decision, replaces: Decision | None) -> DecisionRead:
    return DecisionRead(
        number=_public_number(decision),
        reference=decision.reference,
        issued_on=decision.issued_on,
        sha256=decision.sha256,
        content_sha256=decision.content_sha256,
        calculation_id=decision.calculation_id,
        replaces=_public_number(replaces) if replaces else None,
    )


def issue_decision(actor: Actor, case_id: str, calculation_id: str | None = None) -> DecisionRead:
    """Issue the decision for an approved calculation (the case's newest approved one by
    default); a calculation already issued returns its stored decision."""
    if actor.role not in ISSUERS:
        raise RoleNotAllowed(f"the role {actor.role} may not issue decisions", field="role")
    with UnitOfWork() as uow:
        case = case_for(uow, actor, case_id)
        calc = _calculation(uow, case, calculation_id)
        existing = uow.session.scalar(select(Decision).where(Decision.calculation_id == calc.id))
        if existing is not None:
            return decision_read(existing, _get(uow, existing.replaces_id))
        if calc.state != CalcState.approved:
            raise TransitionNotAllowed(
                f"only an approved calculation is issued; this one is {calc.state}",
                field="calculation.state",
            )
        if not uow.repo.move_calculation(
            calc, expected_state=CalcState.approved.value, values={"state": CalcState.issued.value}
        ):
            raise ConcurrentUpdate("the calculation was issued meanwhile", field="calculation")
        day = today()
        issuer = issuer_for(case.province, day.year)
        replaced = _replaced(uow, case, calc)
        number = _next_number(uow, issuer.code, day.year)
        person = open_person(default_vault(), uow.repo.person(case.person_id))  # type: ignore[arg-type]
        audit.append(
            uow.session,
            actor=actor.username,
            action="person.read",
            subject_type="person",
            subject_id=case.person_id,
            purpose="decision_document",
        )
        documents: dict[str, bytes] = {}
        content_hash = ""
        for recipient, fields in RECIPIENTS.items():
            view = _view(
                uow, case, calc, issuer, number, day, person, fields, recipient, replaced, actor
            )
            if recipient == "official":
                content_hash = view.content_sha256
            documents[recipient] = render_decision(view)
        decision = Decision(
            case_id=case.id,
            calculation_id=calc.id,
            issuer=issuer.code,
            year=day.year,
            number=number,
            reference=_reference(number, issuer),
            issued_on=day,
            sha256=hashlib.sha256(documents["official"]).hexdigest(),
            content_sha256=content_hash,
            document=documents["official"],
            replaces_id=replaced.id if replaced else None,
            issued_by=actor.id,
            created_at=_now(),
        )
        uow.repo.add(decision)
        uow.repo.flush()
        for recipient, body in documents.items():
            if recipient != "official":
                uow.repo.add(
                    DecisionCopy(
                        decision_id=decision.id,
                        recipient=recipient,
                        sha256=hashlib.sha256(body).hexdigest(),
                        document=body,
                    )
                )
        if replaced is not None:
            old_calc = uow.repo.calculation(replaced.calculation_id)
            if old_calc is not None and old_calc.state == CalcState.issued:
                uow.repo.move_calculation(
                    old_calc,
                    expected_state=CalcState.issued.value,
                    values={"state": CalcState.replaced.value},
                )
        record_event(
            uow,
            case,
            actor,
            "decision_issued",
            detail={"decision": _public_number(decision), "calculation_id": calc.id},
        )
        try:
            uow.commit()
        except IntegrityError:
            raise ConcurrentUpdate(
                "the decision was issued meanwhile", field="calculation"
            ) from None
        return decision_read(decision, replaced)


def _get(uow: UnitOfWork, decision_id: str | None) -> Decision | None:
    return uow.session.get(Decision, decision_id) if decision_id else None


def _calculation(uow: UnitOfWork, case: Case, calculation_id: str | None) -> BenefitCalculation:
    if calculation_id is not None:
        calc = uow.repo.calculation(calculation_id)
        if calc is None or calc.case_id != case.id:
            raise NotFound("no such calculation on this case", field="calculation_id")
        return calc
    candidates = [
        c
        for c in uow.repo.calculations(case.id)
        if c.state in (CalcState.approved, CalcState.issued)
    ]
    if not candidates:
        raise TransitionNotAllowed(
            "the case has no approved calculation", field="calculation.state"
        )
    return candidates[-1]


def _replaced(uow: UnitOfWork, case: Case, calc: BenefitCalculation) -> Decision | None:
    """The newest decision of the same kind (waiting-period or full support) it replaces."""
    rows = uow.session.scalars(
        select(Decision)
        .join(BenefitCalculation, BenefitCalculation.id == Decision.calculation_id)
        .where(Decision.case_id == case.id, BenefitCalculation.kind == calc.kind)
        .order_by(Decision.created_at.desc())
    ).all()
    return rows[0] if rows else None


def _next_number(uow: UnitOfWork, issuer: str, year: int) -> int:
    """The next number of the issuer's yearly sequence, inside the caller's transaction: the
    UPDATE locks the row until commit, so concurrent issuers queue and a rollback gives the
    number back."""
    session = uow.session
    exists = session.scalar(
        select(DecisionSequence.last_number).where(
            DecisionSequence.issuer == issuer, DecisionSequence.year == year
        )
    )
    if exists is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(DecisionSequence).values(issuer=issuer, year=year, last_number=0)
                )
        except IntegrityError:
            pass  # another transaction created it: take the next number from it
    number = session.execute(
        update(DecisionSequence)
        .where(DecisionSequence.issuer == issuer, DecisionSequence.year == year)
        .values(last_number=DecisionSequence.last_number + 1)
        .returning(DecisionSequence.last_number)
    ).scalar_one()
    return int(number)


def _view(
    uow: UnitOfWork,
    case: Case,
    calc: BenefitCalculation,
    issuer: Issuer,
    number: int,
    day: date,
    person: dict[str, Any],
    fields: tuple[str, ...],
    recipient: str,
    replaced: Decision | None,
    actor: Actor,
) -> DecisionView:
    facts = uow.repo.fact_version(case.id, calc.fact_version)
    birth = date.fromisoformat(facts.facts["birth_date"]) if facts else None
    beneficiary: list[tuple[str, str]] = []
    for field in fields:
        if field == "full_name":
            beneficiary.append(("Họ và tên", str(person["full_name"])))
        elif field == "birth_date" and birth:
            beneficiary.append(("Ngày sinh", birth.strftime("%d/%m/%Y")))
        elif field == "birth_year" and birth:
            beneficiary.append(("Năm sinh", str(birth.year)))
        elif field == "id_number" and person.get("id_number"):
            beneficiary.append(("Số định danh cá nhân", str(person["id_number"])))
        elif field == "address" and person.get("address"):
            beneficiary.append(("Nơi cư trú", str(person["address"])))
    labels = item_labels()
    granted = set(calc.granted_discretionary)
    lines: list[ItemLine] = []
    cites: list[str] = []
    rate_texts: list[str] = []
    trace = {entry["key"]: entry for entry in calc.trace}
    for item in calc.items:
        paid = item["status"] == "granted" or (
            item["status"] == "discretionary" and item["key"] in granted
        )
        if not paid:
            continue
        cites.extend(item["cites"])
        rate = None
        for used in trace.get(item["key"], {}).get("used", []):
            if used["name"].startswith("rate:"):
                rate_texts.append(used["citation"])
                if used["name"].endswith("_vnd") and "max_days" not in used["name"]:
                    rate = used["value"]
        amount = item["amount_vnd"]
        lines.append(
            ItemLine(
                label=labels[item["key"]],
                legal_basis=line_basis(item["cites"]),
                quantity=item["quantity"],
                unit={"day": "ngày", "month": "tháng", "school_year": "năm học"}.get(
                    item["unit"] or ""
                ),
                # a rate is shown where it prices the line: per unit, or as the flat sum itself
                rate_vnd=rate
                if isinstance(rate, int) and (item["quantity"] or rate == amount)
                else None,
                amount_vnd=amount,
                kind_note=None if amount is not None else _kind_note(item["key"]),
                needs_legal_check=item["needs_legal_check"],
            )
        )
    flagged = any(line.needs_legal_check for line in lines)
    override = calc.parameter_versions.get("regime_reason", "")
    signer = uow.repo.user(actor.id)
    content = {
        "case": case.id,
        "calculation": calc.id,
        "input_hash": calc.input_hash,
        "reference": _reference(number, issuer),
        "issued_on": day.isoformat(),
        "total": calc.approved_total_vnd,
        "items": [[line.label, line.amount_vnd] for line in lines],
    }
    return DecisionView(
        parent_body=issuer.parent_body,
        issuing_body=issuer.issuing_body,
        number=number,
        symbol=issuer.symbol,
        place=issuer.place,
        issued_on=day,
        title=issuer.title,
        authority=issuer.authority,
        legal_bases=tuple(legal_bases(cites, rate_texts)),
        proposal=issuer.proposal,
        beneficiary=tuple(beneficiary),
        items=tuple(lines),
        total_vnd=int(calc.approved_total_vnd or 0),
        regime_note=(
            f"Chế độ áp dụng: {calc.regime} "
            f"(điều chỉnh theo quyết định của người phê duyệt: {override})"
            if "overridden" in str(override)
            else None
        ),
        legal_check_note=(
            "(*) Mức hỗ trợ dựa trên quy định chưa được xác nhận; người phê duyệt đã xác nhận "
            "việc kiểm tra pháp lý."
            if flagged
            else None
        ),
        paying_agency=issuer.paying_agency,
        funding_source=issuer.funding_source,
        responsible=issuer.responsible,
        recipients=issuer.recipients,
        archive=issuer.archive,
        signer_authority=issuer.signer_authority,
        signer_title=issuer.signer_title,
        signer_name=(signer.display_name if signer and signer.display_name else actor.username),
        sample=calc.uses_sample_rates,
        copy_label=None
        if recipient == "official"
        else "BẢN SAO GỬI CƠ QUAN, TỔ CHỨC THỰC HIỆN HỖ TRỢ",
        content_sha256=hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest(),
        replaces=replaced.reference if replaced else None,
    )


def _kind_note(key: str) -> str:
    return "Hiện vật" if key == "essential_needs.personal_items" else "Dịch vụ"


def list_decisions(actor: Actor, case_id: str) -> list[DecisionRead]:
    """The decisions of a case, oldest first."""
    if actor.role not in READERS:
        raise RoleNotAllowed(f"the role {actor.role} may not read decisions", field="role")
    with UnitOfWork(write=False) as uow:
        case = case_for(uow, actor, case_id)
        rows = uow.session.scalars(
            select(Decision).where(Decision.case_id == case.id).order_by(Decision.created_at)
        ).all()
        by_id = {row.id: row for row in rows}
        return [decision_read(row, by_id.get(row.replaces_id or "")) for row in rows]


def download(
    actor: Actor, case_id: str, number: str, recipient: str = "official"
) -> tuple[str, bytes]:
    """A stored document (or a recipient's copy) and its file name; every download is audited
    because the official copy carries personal data."""
    if actor.role not in READERS:
        raise RoleNotAllowed(f"the role {actor.role} may not read decisions", field="role")
    if recipient not in RECIPIENTS:
        raise NotFound("no such copy", field="copy", rule="unknown_value")
    try:
        year_text, seq_text = number.split("-", 1)
        year, seq = int(year_text), int(seq_text)
    except ValueError:
        raise NotFound("no such decision", field="number") from None
    with UnitOfWork() as uow:
        case = case_for(uow, actor, case_id)
        decision = uow.session.scalar(
            select(Decision).where(
                Decision.case_id == case.id, Decision.year == year, Decision.number == seq
            )
        )
        if decision is None:
            raise NotFound("no such decision on this case", field="number")
        body = decision.document
        if recipient != "official":
            copy = uow.session.scalar(
                select(DecisionCopy).where(
                    DecisionCopy.decision_id == decision.id, DecisionCopy.recipient == recipient
                )
            )
            if copy is None:
                raise NotFound("no such copy", field="copy")
            body = copy.document
        audit.append(
            uow.session,
            actor=actor.username,
            action="decision.downloaded",
            subject_type="decision",
            subject_id=decision.id,
            purpose="decision_document",
            detail={"copy": recipient},
        )
        uow.commit()
        symbol = decision.issuer.split("-", 1)[0]
        return f"QD-{decision.number:02d}-{symbol}-{decision.year}-{recipient}.docx", body
