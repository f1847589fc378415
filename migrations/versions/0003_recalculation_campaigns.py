"""Recalculation campaigns: one row per campaign with its resume cursor, one delta per
calculation whose total changed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 03:01:49.036658
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recalc_campaign",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.String(length=36), nullable=False),
        sa.Column("total_cases", sa.Integer(), nullable=False),
        sa.Column("done_cases", sa.Integer(), nullable=False),
        sa.Column("changed_cases", sa.Integer(), nullable=False),
        sa.Column("net_delta_vnd", sa.BigInteger(), nullable=False),
        sa.Column("started_by", sa.String(length=36), nullable=False),
        sa.Column("approved_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["user_account.id"],
            name=op.f("fk_recalc_campaign_approved_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["user_account.id"],
            name=op.f("fk_recalc_campaign_started_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recalc_campaign")),
    )
    with op.batch_alter_table("recalc_campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recalc_campaign_state"), ["state"], unique=False)

    op.create_table(
        "recalc_delta",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("calculation_id", sa.String(length=36), nullable=False),
        sa.Column("old_total_vnd", sa.BigInteger(), nullable=False),
        sa.Column("new_total_vnd", sa.BigInteger(), nullable=False),
        sa.Column("delta_vnd", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["calculation_id"],
            ["benefit_calculation.id"],
            name=op.f("fk_recalc_delta_calculation_id_benefit_calculation"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recalc_campaign.id"],
            name=op.f("fk_recalc_delta_campaign_id_recalc_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_recalc_delta_case_id_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recalc_delta")),
        sa.UniqueConstraint("campaign_id", "calculation_id", name="uq_recalc_delta_calculation"),
    )
    with op.batch_alter_table("recalc_delta", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recalc_delta_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_recalc_delta_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recalc_delta", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recalc_delta_case_id"))
        batch_op.drop_index(batch_op.f("ix_recalc_delta_campaign_id"))

    op.drop_table("recalc_delta")
    with op.batch_alter_table("recalc_campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recalc_campaign_state"))

    op.drop_table("recalc_campaign")
