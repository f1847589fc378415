"""Referrals to partner organisations: create one for a granted item of the issued decision, with
the person's consent; revoke it; let the partner read its packet and report back.

The packet is not stored. The referral row keeps which fields the service may read
(`benefits_rules.referrals`), and the partner's read assembles them from the vault at that
moment, audited with the purpose `referral`. So revoking a referral, withdrawing the consent it
rests on, or reaching its expiry date really ends the partner's access: there is no copy to
forget.

States: `sent` → `accepted` | `dropped`; `accepted` → `started` | `dropped`; `started` →
`completed` | `dropped` (the partner's reports); any live state → `revoked` (staff, or the
consent's withdrawal). Expiry is a date, not a state: past `expires_on` the referral is closed to
the partner whatever its state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from benefits_rules import referrals as rules
from benefits_rules.documentation import item_labels
from cases import audit
from cases.accounts import Actor
from cases.decisions import decision_read
from cases.exceptions import (
    CaseError,
    ConcurrentUpdate,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from cases.idempotency import idempotent, request_hash
from cases.lifecycle import CalcState, Stage
from cases.models import (
    BenefitCalculation,
    Case,
    Consent,
    Decision,
    PartnerOrg,
    Referral,
    ReferralReport,
)
from cases.policy import allow, case_for, latest_facts, now, record_event, today
from cases.referral_schemas import (
    PacketItem,
    PacketRead,
    PartnerReferralRead,
    ReferralCreate,
    ReferralRead,
    ReportCreate,
    ReportRead,
)
from cases.schemas import Role
from cases.settings import get_settings
from cases.unit_of_work import UnitOfWork
from cases.vault import open_or_refuse

#: states in which the partner is still working on the referral
LIVE_STATES = ("sent", "accepted", "started")
#: the partner's reports: from each state, the states it may report next
REPORT_MOVES: dict[str, frozenset[str]] = {
    "sent": frozenset({"accepted", "dropped"}),
    "accepted": frozenset({"started", "dropped"}),
    "started": frozenset({"completed", "dropped"}),
}
#: stages in which a person is referred (after the decision, before the case closes)
REFERRAL_STAGES = frozenset({Stage.referred, Stage.following_up})
MAX_EXPIRY_DAYS = 365
_VIET_NAM = ZoneInfo("Asia/Ho_Chi_Minh")


class ConsentRequired(InvalidInput):
    """No active consent of the person covers the service: nothing may be shared."""

    default_rule = "consent_required"


class ReferralClosed(CaseError):
    """The referral was revoked, has expired or is finished: the partner may no longer read or
    report on it (410 Gone, so the partner knows to stop, not to retry)."""

    status = 410
    default_rule = "referral_closed"


# --- what a referral rests on --------------------------------------------------------------------


def active_consent(uow: UnitOfWork, case_id: str, service: str) -> Consent | None:
    """The newest consent of the case that covers `service` and has not been withdrawn."""
    rows = uow.session.scalars(
        select(Consent)
        .where(Consent.case_id == case_id, Consent.withdrawn_on.is_(None))
        .order_by(Consent.given_on.desc(), Consent.created_at.desc())
    ).all()
    return next((row for row in rows if service in row.services), None)


def issued_decision(uow: UnitOfWork, case: Case) -> tuple[Decision, BenefitCalculation] | None:
    """The case's newest decision that is still in force (issued, not replaced), with its
    calculation: a referral carries out one of its items."""
    row = uow.session.execute(
        select(Decision, BenefitCalculation)
        .join(BenefitCalculation, BenefitCalculation.id == Decision.calculation_id)
        .where(Decision.case_id == case.id, BenefitCalculation.state == CalcState.issued)
        .order_by(Decision.created_at.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def granted_items(calc: BenefitCalculation) -> dict[str, dict[str, Any]]:
    """The items the decision grants: granted lines, and discretionary lines the approvers
    granted (they count as granted in the approved decision)."""
    chosen = set(calc.granted_discretionary)
    return {
        item["key"]: item
        for item in calc.items
        if item["status"] == "granted"
        or (item["status"] == "discretionary" and item["key"] in chosen)
    }


def partners_serving(uow: UnitOfWork, service: str, province: str) -> Sequence[PartnerOrg]:
    """Active partners of `service` that serve `province` (their own, or every province)."""
    return uow.session.scalars(
        select(PartnerOrg)
        .where(
            PartnerOrg.service == service,
            PartnerOrg.active.is_(True),
            (PartnerOrg.province.is_(None)) | (PartnerOrg.province == province),
        )
        .order_by(PartnerOrg.slug)
    ).all()


def _is_live(row: Referral, day: date) -> bool:
    return row.state in LIVE_STATES and day <= row.expires_on


# --- creating -------------------------------------------------------------------------------------


def create_referral(
    actor: Actor, case_id: str, command: ReferralCreate, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Refer the person to a partner for one granted item of the decision in force. Each rule
    is its own error (field and rule), checked before anything is written; the person's
    consent to share with that service is required."""
    allow(actor, "refer")
    payload = {"case_id": case_id, **command.model_dump(mode="json")}

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        case = case_for(uow, actor, case_id)
        row = _checked_create(uow, actor, case, command)
        return 201, _reads(uow, [row])[0].model_dump(mode="json")

    return idempotent(actor, idempotency_key, request_hash(payload), produce)


def _checked_create(uow: UnitOfWork, actor: Actor, case: Case, command: ReferralCreate) -> Referral:
    day = today()
    expires_on = command.expires_on or day + timedelta(days=get_settings().referral_expiry_days)
    if expires_on <= day:
        raise InvalidInput("the expiry must be after today", field="expires_on", rule="after_today")
    if expires_on > day + timedelta(days=MAX_EXPIRY_DAYS):
        raise InvalidInput(
            f"the expiry is at most {MAX_EXPIRY_DAYS} days away",
            field="expires_on",
            rule="max_expiry_days",
        )
    if case.stage not in REFERRAL_STAGES:
        raise TransitionNotAllowed(
            f"a case is referred once its decision is issued and until it closes; it is "
            f"{case.stage}",
            field="stage",
            rule="stage",
        )
    in_force = issued_decision(uow, case)
    if in_force is None or command.item_key not in granted_items(in_force[1]):
        raise InvalidInput(
            "not an item the decision in force grants", field="item_key", rule="not_granted"
        )
    if not rules.carries_out(command.service, command.item_key):
        raise InvalidInput(
            f"the service {command.service} does not carry out {command.item_key}",
            field="service",
            rule="service_item",
        )
    partner = uow.session.get(PartnerOrg, command.partner_id)
    if partner is None:
        raise InvalidInput("no such partner", field="partner_id", rule="unknown_partner")
    if not partner.active:
        raise InvalidInput("the partner is not active", field="partner_id", rule="partner_inactive")
    if partner.service != command.service:
        raise InvalidInput(
            f"the partner does not offer {command.service}",
            field="partner_id",
            rule="partner_service",
        )
    # training, a job or a loan usually happen where the person lives: a partner of the
    # province that received them or of their home province may carry the item out
    home = latest_facts(uow, case).facts.get("home_province") or case.province
    if partner.province is not None and partner.province not in (case.province, home):
        raise InvalidInput(
            "the partner serves neither the case's province nor the person's home province",
            field="partner_id",
            rule="partner_province",
        )
    consent = active_consent(uow, case.id, command.service)
    if consent is None:
        raise ConsentRequired(
            f"the person has not consented to sharing with a {command.service} partner; "
            "record their consent first",
            field="consent",
            rule="consent_required",
        )
    if _live_duplicate(uow, case.id, command.item_key, partner.id, day):
        raise Conflict(
            "a live referral of this item to this partner exists",
            field="item_key",
            rule="live_referral",
        )
    # compare-and-set on the case: two requests racing for the same referral meet here
    if not uow.repo.move_case(case, expected_stage=case.stage, values={"updated_at": now()}):
        raise ConcurrentUpdate("the case changed meanwhile; try again", field="case_id")
    return _create(uow, actor, case, partner, in_force[0], consent, command.item_key, expires_on)


def _live_duplicate(
    uow: UnitOfWork, case_id: str, item_key: str, partner_id: str, day: date
) -> bool:
    rows = uow.session.scalars(
        select(Referral).where(
            Referral.case_id == case_id,
            Referral.item_key == item_key,
            Referral.partner_id == partner_id,
            Referral.state.in_(LIVE_STATES),
        )
    ).all()
    return any(_is_live(row, day) for row in rows)


def _create(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    partner: PartnerOrg,
    decision: Decision,
    consent: Consent,
    item_key: str,
    expires_on: date,
) -> Referral:
    moment = now()
    row = Referral(
        case_id=case.id,
        service=partner.service,
        partner_id=partner.id,
        decision_id=decision.id,
        item_key=item_key,
        consent_id=consent.id,
        packet_fields=list(rules.packet_fields(partner.service)),
        state="sent",
        expires_on=expires_on,
        created_by=actor.id,
        created_at=moment,
        updated_at=moment,
        version=1,
    )
    uow.repo.add(row)
    uow.repo.flush()
    record_event(
        uow,
        case,
        actor,
        "referral_sent",
        detail={
            "referral_id": row.id,
            "service": row.service,
            "item_key": item_key,
            "partner": partner.slug,
            "expires_on": expires_on.isoformat(),
        },
    )
    return row


def refer_automatically(uow: UnitOfWork, case: Case, actor: Actor) -> list[str]:
    """In the refer flow's transaction: refer each granted item some service carries out when
    the person's consent covers that service and exactly one active partner serves the
    province; leave the rest to staff with one `referral_pending` event naming the items and
    why. Returns the new referrals' ids."""
    in_force = issued_decision(uow, case)
    if in_force is None:
        return []
    decision, calc = in_force
    day = today()
    expires_on = day + timedelta(days=get_settings().referral_expiry_days)
    created: list[str] = []
    pending: dict[str, str] = {}
    for key in granted_items(calc):
        service = rules.service_for(key)
        if service is None:
            continue
        consent = active_consent(uow, case.id, service)
        partners = partners_serving(uow, service, case.province)
        if consent is None:
            pending[key] = "no_consent"
        elif len(partners) != 1:
            pending[key] = "no_partner" if not partners else "several_partners"
        elif not _live_duplicate(uow, case.id, key, partners[0].id, day):
            row = _create(uow, actor, case, partners[0], decision, consent, key, expires_on)
            created.append(row.id)
    if pending:
        record_event(
            uow,
            case,
            actor,
            "referral_pending",
            reason="; ".join(f"{key}: {why}" for key, why in pending.items()),
            detail={"items": list(pending), "why": pending},
        )
    return created


# --- staff: reading and revoking ------------------------------------------------------------------


def case_referrals(actor: Actor, case_id: str) -> list[ReferralRead]:
    """The referrals of a case with the partners' reports, oldest first; no personal data."""
    allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        case = case_for(uow, actor, case_id)
        rows = uow.session.scalars(
            select(Referral)
            .where(Referral.case_id == case.id)
            .order_by(Referral.created_at, Referral.id)
        ).all()
        return _reads(uow, rows)


def revoke_referral(actor: Actor, case_id: str, referral_id: str, reason: str) -> ReferralRead:
    """End a referral: the partner can no longer read the packet or report on it. Revoking
    a revoked referral changes nothing (a retry is safe); a finished one stays as it ended."""
    allow(actor, "refer")
    with UnitOfWork() as uow:
        case = case_for(uow, actor, case_id)
        row = uow.session.get(Referral, referral_id)
        if row is None or row.case_id != case.id:
            raise NotFound("no such referral on this case", field="referral_id")
        if row.state != "revoked":
            if row.state not in LIVE_STATES:
                raise TransitionNotAllowed(
                    f"the referral is {row.state}: it has ended", field="state", rule="final"
                )
            revoke(uow, actor, case, row, reason)
            uow.commit()
        return _reads(uow, [row])[0]


def revoke(uow: UnitOfWork, actor: Actor, case: Case, row: Referral, reason: str) -> None:
    """Revoke one live referral in the caller's transaction (compare-and-set on its state),
    with its case event."""
    moment = now()
    result = uow.session.execute(
        update(Referral)
        .where(Referral.id == row.id, Referral.state == row.state, Referral.version == row.version)
        .values(
            state="revoked",
            revoked_at=moment,
            revoked_reason=reason,
            updated_at=moment,
            version=Referral.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentUpdate("the referral changed meanwhile; read it again", field="referral_id")
    uow.session.refresh(row)
    record_event(
        uow,
        case,
        actor,
        "referral_revoked",
        reason=reason,
        detail={"referral_id": row.id, "item_key": row.item_key},
    )


# --- the partner (and staff) through /referrals ---------------------------------------------------


def list_referrals(
    actor: Actor, limit: int = 100, offset: int = 0
) -> list[ReferralRead] | list[PartnerReferralRead]:
    """A partner's own referrals (never another partner's); for staff who refer, the referrals
    of their province's cases."""
    query = select(Referral).order_by(Referral.created_at, Referral.id)
    if actor.role == Role.partner:
        query = query.where(Referral.partner_id == actor.partner_id)
    else:
        allow(actor, "refer")
        if actor.province is not None:
            query = query.join(Case, Case.id == Referral.case_id).where(
                Case.province == actor.province
            )
    query = query.limit(min(limit, 200)).offset(offset)
    with UnitOfWork(write=False) as uow:
        if actor.role == Role.partner:
            _check_partner_active(uow, actor)
        rows = uow.session.scalars(query).all()
        if actor.role == Role.partner:
            return [_partner_read(uow, row) for row in rows]
        return _reads(uow, rows)


def read_referral(actor: Actor, referral_id: str) -> PacketRead | ReferralRead:
    """For the partner that owns a live referral, its packet; for staff of the case's
    province, the referral's metadata. Another partner's referral is not found, so its
    existence is not revealed."""
    if actor.role == Role.partner:
        return _packet(actor, referral_id)
    allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        row = uow.session.get(Referral, referral_id)
        if row is None:
            raise NotFound("no such referral", field="referral_id")
        case_for(uow, actor, row.case_id)
        return _reads(uow, [row])[0]


def _check_partner_active(uow: UnitOfWork, actor: Actor) -> None:
    """A partner organisation taken off the register loses its accounts' access at once,
    whatever their tokens say."""
    org = uow.session.get(PartnerOrg, actor.partner_id) if actor.partner_id else None
    if org is None or not org.active:
        raise Forbidden(
            "the partner organisation is not active", field="partner", rule="partner_inactive"
        )


def _owned(uow: UnitOfWork, actor: Actor, referral_id: str) -> Referral:
    _check_partner_active(uow, actor)
    row = uow.session.get(Referral, referral_id)
    if row is None or row.partner_id != actor.partner_id:
        raise NotFound("no such referral", field="referral_id")
    return row


def _refuse_closed(row: Referral, day: date) -> None:
    if row.state == "revoked":
        raise ReferralClosed(
            "the referral was revoked", field="referral_id", rule="referral_revoked"
        )
    if day > row.expires_on:
        raise ReferralClosed(
            "the referral has expired", field="referral_id", rule="referral_expired"
        )


def _packet(actor: Actor, referral_id: str) -> PacketRead:
    with UnitOfWork() as uow:
        row = _owned(uow, actor, referral_id)
        _refuse_closed(row, today())
        if row.state not in LIVE_STATES:
            raise ReferralClosed(
                f"the referral is {row.state}: the packet is no longer needed",
                field="referral_id",
                rule="referral_finished",
            )
        case = uow.repo.case(row.case_id)
        decision = uow.session.get(Decision, row.decision_id)
        assert case is not None and decision is not None
        calc = uow.repo.calculation(decision.calculation_id)
        person = uow.repo.person(case.person_id)
        assert calc is not None and person is not None
        item = next(i for i in calc.items if i["key"] == row.item_key)
        facts = latest_facts(uow, case).facts
        audit.append(
            uow.session,
            actor=actor.username,
            action="referral.packet_read",
            subject_type="person",
            subject_id=person.id,
            purpose="referral",
            detail={"referral_id": row.id, "fields": list(row.packet_fields)},
        )
        uow.commit()
    opened = open_or_refuse(person, "referral_id")
    known: dict[str, object] = {
        **opened,
        "sex": facts.get("sex"),
        "birth_year_month": case.birth_year_month,
        "home_province": facts.get("home_province") or facts.get("province"),
    }
    fields = {
        name: (None if known.get(name) is None else str(known[name])) for name in row.packet_fields
    }
    return PacketRead(
        referral_id=row.id,
        service=row.service,
        state=row.state,  # type: ignore[arg-type]
        expires_on=row.expires_on,
        item=PacketItem(
            key=row.item_key,
            label=item_labels()[row.item_key],
            amount_vnd=item["amount_vnd"],
            status="granted",
        ),
        fields=fields,
    )


def report(
    actor: Actor, referral_id: str, command: ReportCreate, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """The partner reports back: accepted, started, completed or dropped, in that order, on a
    day between the referral and today. Sending the same report again writes nothing and
    answers with the referral as it stands."""
    allow(actor, "partner_report")
    payload = {"referral_id": referral_id, **command.model_dump(mode="json")}

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        row = _report(uow, actor, referral_id, command)
        return 201, _partner_read(uow, row).model_dump(mode="json")

    return idempotent(actor, idempotency_key, request_hash(payload), produce)


def _report(uow: UnitOfWork, actor: Actor, referral_id: str, command: ReportCreate) -> Referral:
    row = _owned(uow, actor, referral_id)
    day = today()
    # expiry ends the partner's reading of the packet, not its duty to say how the referral
    # ended: a six-month course outlives a 90-day packet
    if row.state == "revoked":
        raise ReferralClosed(
            "the referral was revoked", field="referral_id", rule="referral_revoked"
        )
    previous = _reports(uow, [row.id]).get(row.id, [])
    last = previous[-1] if previous else None
    if (
        last is not None
        and row.state == command.state
        and (last.state, last.reported_on) == (command.state, command.on)
    ):
        return row
    if command.on > day:
        raise InvalidInput("the report's day is in the future", field="on", rule="not_in_future")
    if command.on < row.created_at.astimezone(_VIET_NAM).date():
        raise InvalidInput(
            "the report's day is before the referral was made",
            field="on",
            rule="not_before_referral",
        )
    if last is not None and command.on < last.reported_on:
        raise InvalidInput(
            "the report's day is before the previous report's",
            field="on",
            rule="not_before_previous_report",
        )
    if command.state not in REPORT_MOVES.get(row.state, frozenset()):
        raise TransitionNotAllowed(
            f"a referral that is {row.state} cannot be reported {command.state}",
            field="state",
            rule="lifecycle",
        )
    result = uow.session.execute(
        update(Referral)
        .where(Referral.id == row.id, Referral.state == row.state, Referral.version == row.version)
        .values(state=command.state, updated_at=now(), version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentUpdate("the referral changed meanwhile; read it again", field="referral_id")
    uow.session.refresh(row)
    uow.repo.add(
        ReferralReport(
            referral_id=row.id,
            state=command.state,
            reported_on=command.on,
            note=command.note,
            reported_by=actor.id,
            at=now(),
        )
    )
    case = uow.repo.case(row.case_id)
    assert case is not None
    record_event(
        uow,
        case,
        actor,
        "referral_reported",
        detail={"referral_id": row.id, "state": command.state, "on": command.on.isoformat()},
    )
    return row


# --- read shapes ----------------------------------------------------------------------------------


def _reports(uow: UnitOfWork, referral_ids: Sequence[str]) -> dict[str, list[ReferralReport]]:
    found: dict[str, list[ReferralReport]] = {}
    if not referral_ids:
        return found
    rows = uow.session.scalars(
        select(ReferralReport)
        .where(ReferralReport.referral_id.in_(referral_ids))
        .order_by(ReferralReport.id)
    ).all()
    for report_row in rows:
        found.setdefault(report_row.referral_id, []).append(report_row)
    return found


def _report_reads(rows: Sequence[ReferralReport]) -> list[ReportRead]:
    return [ReportRead(state=r.state, on=r.reported_on, note=r.note, at=r.at) for r in rows]


def _reads(uow: UnitOfWork, rows: Sequence[Referral]) -> list[ReferralRead]:
    """Staff read shapes for several referrals, with their partners, decisions and reports
    fetched once each."""
    if not rows:
        return []
    partners = {
        p.id: p
        for p in uow.session.scalars(
            select(PartnerOrg).where(PartnerOrg.id.in_({r.partner_id for r in rows}))
        )
    }
    decisions = {
        d.id: (d, calc)
        for d, calc in uow.session.execute(
            select(Decision, BenefitCalculation)
            .join(BenefitCalculation, BenefitCalculation.id == Decision.calculation_id)
            .where(Decision.id.in_({r.decision_id for r in rows}))
        )
    }
    reports = _reports(uow, [r.id for r in rows])
    day = today()
    out = []
    for row in rows:
        decision, calc = decisions[row.decision_id]
        out.append(
            ReferralRead(
                id=row.id,
                case_id=row.case_id,
                service=row.service,
                partner_id=row.partner_id,
                partner_slug=partners[row.partner_id].slug,
                item_key=row.item_key,
                cites=list(rules.item_cites(row.item_key, calc.regime)),
                decision=decision_read(decision, None).number,
                consent_id=row.consent_id,
                packet_fields=list(row.packet_fields),
                state=row.state,  # type: ignore[arg-type]
                expires_on=row.expires_on,
                expired=day > row.expires_on,
                revoked_at=row.revoked_at,
                revoked_reason=row.revoked_reason,
                created_at=row.created_at,
                updated_at=row.updated_at,
                reports=_report_reads(reports.get(row.id, [])),
            )
        )
    return out


def _partner_read(uow: UnitOfWork, row: Referral) -> PartnerReferralRead:
    return PartnerReferralRead(
        id=row.id,
        service=row.service,
        item_key=row.item_key,
        state=row.state,  # type: ignore[arg-type]
        expires_on=row.expires_on,
        expired=today() > row.expires_on,
        created_at=row.created_at,
        reports=_report_reads(_reports(uow, [row.id]).get(row.id, [])),
    )
