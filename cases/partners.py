"""Partner organisations: the training centres, employment service centres, the Vietnam Bank for
Social Policies, legal aid centres and psychological support providers a person is referred to.

An admin registers them (through the API or `vongtay partners create`); staff list those that
serve their province. A partner's own accounts see only its referrals (`cases.referrals`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from benefits_rules.provinces import is_known
from cases import audit
from cases.accounts import Actor
from cases.exceptions import Conflict, InvalidInput
from cases.idempotency import idempotent, request_hash
from cases.models import PartnerOrg
from cases.policy import allow, now
from cases.referral_schemas import PartnerCreate, PartnerRead
from cases.unit_of_work import UnitOfWork


def partner_read(row: PartnerOrg) -> PartnerRead:
    """The read shape of a partner organisation."""
    return PartnerRead(
        id=row.id,
        slug=row.slug,
        name=row.name,
        service=row.service,
        province=row.province,
        active=row.active,
        created_at=row.created_at,
    )


def create_partner(
    actor: Actor, command: PartnerCreate, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Register a partner organisation; only an admin may, because a partner's accounts will
    read personal data of the people referred to it."""
    allow(actor, "manage_partners")

    def produce(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        row = _create(uow, command, actor.username)
        return 201, partner_read(row).model_dump(mode="json")

    return idempotent(
        actor, idempotency_key, request_hash(command.model_dump(mode="json")), produce
    )


def register_partner(command: PartnerCreate) -> PartnerRead:
    """Register a partner organisation from the command line (an operator on the server, as
    for `vongtay users create`); audited as `cli`."""
    with UnitOfWork() as uow:
        row = _create(uow, command, "cli")
        uow.commit()
        return partner_read(row)


def _create(uow: UnitOfWork, command: PartnerCreate, by: str) -> PartnerOrg:
    if command.province is not None and not is_known(command.province):
        raise InvalidInput("not a province of the registry", field="province", rule="unknown_value")
    if uow.session.scalar(select(PartnerOrg.id).where(PartnerOrg.slug == command.slug)):
        raise Conflict("a partner with that slug exists", field="slug", rule="unique")
    row = PartnerOrg(
        slug=command.slug,
        name=command.name,
        service=command.service,
        province=command.province,
        active=True,
        created_at=now(),
    )
    uow.repo.add(row)
    try:
        uow.repo.flush()
    except IntegrityError:
        raise Conflict("a partner with that slug exists", field="slug", rule="unique") from None
    audit.append(
        uow.session,
        actor=by,
        action="partner.created",
        subject_type="partner",
        subject_id=row.id,
        detail={"slug": row.slug, "service": row.service, "province": row.province},
    )
    return row


def list_partners(actor: Actor | None, service: str | None = None) -> list[PartnerRead]:
    """The partners staff may refer to: national ones and those of the actor's province (all of
    them for a national account, or for the command line with no actor)."""
    if actor is not None:
        allow(actor, "read")
    query = select(PartnerOrg).order_by(PartnerOrg.service, PartnerOrg.slug)
    if service is not None:
        query = query.where(PartnerOrg.service == service)
    if actor is not None and actor.province is not None:
        query = query.where(
            or_(PartnerOrg.province.is_(None), PartnerOrg.province == actor.province)
        )
    with UnitOfWork(write=False) as uow:
        return [partner_read(row) for row in uow.session.scalars(query)]
