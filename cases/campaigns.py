"""The law-change campaign: when a rate or parameter gets a new dated value, every affected
open or recent case is recomputed from its stored input snapshot, and the differences are put
before approvers as one batch.

Each chunk is one transaction: read the snapshots, compute them with `compute_frame`, store
the deltas, move the cursor. A crash loses at most the chunk in flight, and the campaign
resumes after the cursor, so nothing is computed, counted or paid twice. A case keeps its
original `as_of` and facts: only the rules and rates change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, insert, or_, select, update

from benefits_rules import compute_frame
from benefits_rules.provinces import is_known as province_is_known
from cases import audit
from cases.accounts import Actor
from cases.exceptions import (
    ConcurrentUpdate,
    Conflict,
    NotFound,
    OutsideProvince,
    SelfApproval,
    TransitionNotAllowed,
)
from cases.lifecycle import CalcState, Stage
from cases.models import BenefitCalculation, Case, CaseFact, RecalcCampaign, RecalcDelta
from cases.policy import allow
from cases.schemas import Role
from cases.service import rates_for
from cases.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

#: a closed case is still recomputed for this long after it closed
RECENT = timedelta(days=365)
DECIDED = (CalcState.approved.value, CalcState.issued.value)


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    """Where a campaign stands, for the CLI's progress bar and the flow's logs."""

    id: str
    changed_on: date
    state: str
    total_cases: int
    done_cases: int
    changed_cases: int
    net_delta_vnd: int


def _now() -> datetime:
    return datetime.now(UTC)


def _candidates(since: datetime) -> Any:
    """Decided calculations of open cases, or of cases closed within `RECENT`."""
    return (
        select(BenefitCalculation)
        .join(Case, Case.id == BenefitCalculation.case_id)
        .where(
            BenefitCalculation.state.in_(DECIDED),
            or_(Case.stage != Stage.closed, Case.updated_at >= since),
        )
    )


def _status(row: RecalcCampaign) -> CampaignStatus:
    return CampaignStatus(
        row.id,
        row.changed_on,
        row.state,
        row.total_cases,
        row.done_cases,
        row.changed_cases,
        row.net_delta_vnd,
    )


def start(actor: Actor, changed_on: date) -> CampaignStatus:
    """Start the campaign for a change on `changed_on`, or return that change's campaign still
    open (running, or computed and waiting for its approval): started again, it resumes or
    returns, never fails on its own campaign."""
    allow(actor, "rates")
    with UnitOfWork() as uow:
        running = uow.session.scalar(
            select(RecalcCampaign).where(
                RecalcCampaign.changed_on == changed_on,
                RecalcCampaign.state.in_(("running", "computed")),
            )
        )
        if running is not None:
            return _status(running)
        pending = uow.session.scalar(
            select(RecalcCampaign).where(RecalcCampaign.state.in_(("running", "computed")))
        )
        if pending is not None:
            # two unapproved campaigns would both count the same difference: one at a time
            raise Conflict(
                f"campaign {pending.id} (change on {pending.changed_on.isoformat()}) is "
                f"{pending.state}; finish and approve it first",
                field="changed_on",
                rule="one_open_campaign",
            )
        since = _now() - RECENT
        total = uow.session.scalar(select(func.count()).select_from(_candidates(since).subquery()))
        row = RecalcCampaign(
            changed_on=changed_on,
            state="running",
            cursor="",
            total_cases=int(total or 0),
            done_cases=0,
            changed_cases=0,
            net_delta_vnd=0,
            started_by=actor.id,
            created_at=_now(),
            version=1,
        )
        uow.repo.add(row)
        uow.repo.flush()
        audit.append(
            uow.session,
            actor=actor.username,
            action="campaign.started",
            subject_type="campaign",
            subject_id=row.id,
            detail={"changed_on": changed_on.isoformat()},
        )
        uow.commit()
        return _status(row)


def status(campaign_id: str, actor: Actor | None = None) -> CampaignStatus:
    """The campaign's progress. Through the API an `actor` reads it, and must be staff: a
    partner's account may not (the flows and the CLI pass none)."""
    if actor is not None:
        allow(actor, "read")
    with UnitOfWork(write=False) as uow:
        row = uow.session.get(RecalcCampaign, campaign_id)
        if row is None:
            raise NotFound("no such campaign", field="campaign_id")
        return _status(row)


def _flatten(facts: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                row[f"{name}.{sub}"] = inner
        else:
            row[name] = value
    return row


def run_chunk(campaign_id: str, size: int = 5000) -> CampaignStatus:
    """Recompute the next `size` calculations after the cursor and store their deltas."""
    with UnitOfWork() as uow:
        campaign = uow.session.get(RecalcCampaign, campaign_id)
        if campaign is None:
            raise NotFound("no such campaign", field="campaign_id")
        if campaign.state != "running":
            return _status(campaign)
        since = (
            campaign.created_at - RECENT
            if campaign.created_at.tzinfo
            else campaign.created_at.replace(tzinfo=UTC) - RECENT
        )
        rows = uow.session.execute(
            select(
                BenefitCalculation.id,
                BenefitCalculation.case_id,
                BenefitCalculation.as_of,
                BenefitCalculation.total_vnd,
                BenefitCalculation.approved_total_vnd,
                BenefitCalculation.granted_discretionary,
                CaseFact.facts,
            )
            .join(Case, Case.id == BenefitCalculation.case_id)
            .join(
                CaseFact,
                and_(
                    CaseFact.case_id == BenefitCalculation.case_id,
                    CaseFact.version == BenefitCalculation.fact_version,
                ),
            )
            .where(
                BenefitCalculation.state.in_(DECIDED),
                or_(Case.stage != Stage.closed, Case.updated_at >= since),
                BenefitCalculation.id > campaign.cursor,
            )
            .order_by(BenefitCalculation.id)
            .limit(size)
        ).all()
        if not rows:
            campaign.state = "computed"
            campaign.finished_at = _now()
            uow.commit()
            return _status(campaign)
        frame = pd.DataFrame.from_records(
            [{"case_id": r.id, "as_of": r.as_of, **_flatten(r.facts)} for r in rows]
        )
        provinces = set(frame["province"]) | set(
            frame.get("home_province", pd.Series(dtype=object)).dropna()
        )
        # a province the registry no longer knows makes its rows fail validation (no delta),
        # it must not stop the campaign at this chunk
        known = sorted(p for p in provinces if isinstance(p, str) and province_is_known(p))
        items = compute_frame(frame, rates_for(uow, known))
        granted = {r.id: set(r.granted_discretionary or []) for r in rows}
        # what earlier campaigns already settled counts as decided: a delta is never paid twice
        settled = dict(
            uow.session.execute(
                select(RecalcDelta.calculation_id, func.sum(RecalcDelta.delta_vnd))
                .where(
                    RecalcDelta.calculation_id.in_([r.id for r in rows]),
                    RecalcDelta.state == "approved",
                    RecalcDelta.campaign_id != campaign.id,
                )
                .group_by(RecalcDelta.calculation_id)
            ).all()
        )
        paid = items["status"] == "granted"
        discretionary = items[items["status"] == "discretionary"]
        if len(discretionary):
            keep = [
                key in granted.get(cid, ())
                for cid, key in zip(discretionary["case_id"], discretionary["key"], strict=True)
            ]
            paid.loc[discretionary.index[keep]] = True
        totals = items[paid].groupby("case_id", sort=False)["amount_vnd"].sum()
        # a snapshot the rules now refuse has no new total: no delta for it (a zero total
        # would put the whole payment before the approvers as an over-payment); logged by id
        failed = set(items.loc[items["error_field"].notna(), "case_id"])
        if failed:
            log.warning(
                "campaign %s: %d calculations could not be recomputed, no delta stored: %s",
                campaign.id,
                len(failed),
                ", ".join(sorted(map(str, failed))[:20]),
            )
        deltas = []
        for r in rows:
            if r.id in failed:
                continue
            decided = r.approved_total_vnd if r.approved_total_vnd is not None else r.total_vnd
            old = int(decided) + int(settled.get(r.id, 0))
            new = int(totals.get(r.id, 0))
            if new != old:
                deltas.append(
                    {
                        "campaign_id": campaign.id,
                        "case_id": r.case_id,
                        "calculation_id": r.id,
                        "old_total_vnd": old,
                        "new_total_vnd": new,
                        "delta_vnd": new - old,
                        "state": "pending",
                    }
                )
        if deltas:
            uow.session.execute(insert(RecalcDelta), deltas)
        result = uow.session.execute(
            update(RecalcCampaign)
            .where(RecalcCampaign.id == campaign.id, RecalcCampaign.version == campaign.version)
            .values(
                version=RecalcCampaign.version + 1,
                cursor=rows[-1].id,
                done_cases=RecalcCampaign.done_cases + len(rows),
                changed_cases=RecalcCampaign.changed_cases + len(deltas),
                net_delta_vnd=RecalcCampaign.net_delta_vnd + sum(d["delta_vnd"] for d in deltas),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate("another runner advanced this campaign", field="campaign")
        uow.commit()
        uow.session.refresh(campaign)
        return _status(campaign)


def approve(actor: Actor, campaign_id: str) -> CampaignStatus:
    """An approver other than the one who started it approves the whole batch in one
    statement: 100,000 lines are one UPDATE, not 100,000 requests."""
    if actor.role != Role.approver:
        allow(actor, "decide")
    if actor.province is not None:
        raise OutsideProvince(
            "a campaign spans every province: a national approver approves it",
            field="province",
            rule="province_scope",
        )
    with UnitOfWork() as uow:
        campaign = uow.session.get(RecalcCampaign, campaign_id)
        if campaign is None:
            raise NotFound("no such campaign", field="campaign_id")
        if campaign.started_by == actor.id:
            raise SelfApproval(
                "you started this campaign: another approver must approve it",
                field="approver",
                rule="maker_checker",
            )
        if campaign.state != "computed":
            raise TransitionNotAllowed(
                f"the campaign is {campaign.state}, not computed", field="campaign.state"
            )
        uow.session.execute(
            update(RecalcDelta)
            .where(RecalcDelta.campaign_id == campaign.id, RecalcDelta.state == "pending")
            .values(state="approved")
            .execution_options(synchronize_session=False)
        )
        moved = uow.session.execute(
            update(RecalcCampaign)
            .where(RecalcCampaign.id == campaign.id, RecalcCampaign.state == "computed")
            .values(state="approved", approved_by=actor.id, version=RecalcCampaign.version + 1)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("the campaign was approved meanwhile", field="campaign.state")
        audit.append(
            uow.session,
            actor=actor.username,
            action="campaign.approved",
            subject_type="campaign",
            subject_id=campaign.id,
            detail={"lines": campaign.changed_cases, "net_delta_vnd": campaign.net_delta_vnd},
        )
        uow.commit()
        uow.session.refresh(campaign)
        return _status(campaign)
