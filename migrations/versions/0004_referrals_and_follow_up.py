"""Referrals to partners with consent, follow-up checks after the return home, and their tasks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:38:26.090002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_org",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("province", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_org")),
        sa.UniqueConstraint("slug", name=op.f("uq_partner_org_slug")),
    )
    with op.batch_alter_table("partner_org", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_org_province"), ["province"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_org_service"), ["service"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_consent_case_id_case")),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user_account.id"], name=op.f("fk_consent_recorded_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_case_id"), ["case_id"], unique=False)

    op.create_table(
        "follow_up",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("months_after", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("cites", sa.JSON(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_follow_up_case_id_case")),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["user_account.id"], name=op.f("fk_follow_up_worker_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        sa.UniqueConstraint("case_id", "number", name="uq_follow_up_number"),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_up_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_up_state"), ["state"], unique=False)

    op.create_table(
        "follow_up_task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("follow_up_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=36), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_follow_up_task_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_up.id"],
            name=op.f("fk_follow_up_task_follow_up_id_follow_up"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["user_account.id"],
            name=op.f("fk_follow_up_task_resolved_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_task")),
        sa.UniqueConstraint("follow_up_id", "kind", name="uq_follow_up_task_kind"),
    )
    with op.batch_alter_table("follow_up_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_task_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_up_task_state"), ["state"], unique=False)

    op.create_table(
        "referral",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("consent_id", sa.String(length=36), nullable=False),
        sa.Column("packet_fields", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_referral_case_id_case")),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consent.id"], name=op.f("fk_referral_consent_id_consent")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_referral_created_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_referral_decision_id_decision")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner_org.id"], name=op.f("fk_referral_partner_id_partner_org")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_state"), ["state"], unique=False)

    op.create_table(
        "referral_report",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_referral_report_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"],
            ["user_account.id"],
            name=op.f("fk_referral_report_reported_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_report")),
    )
    with op.batch_alter_table("referral_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_report_referral_id"), ["referral_id"], unique=False
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_user_account_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_partner_id_partner_org"),
            "partner_org",
            ["partner_id"],
            ["id"],
        )

    # Follow-up checks used to be `deadline` rows of kind `follow_up`, scheduled when the case
    # was referred; they now live in `follow_up`, from the recorded return home. The old rows
    # would otherwise be swept as breached: they are cancelled (the return home is recorded
    # again to schedule the checks).
    op.execute(
        "UPDATE deadline SET state = 'cancelled' "
        "WHERE kind = 'follow_up' AND state IN ('open', 'warned', 'paused')"
    )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_user_account_partner_id_partner_org"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_user_account_partner_id"))
        batch_op.drop_column("partner_id")

    with op.batch_alter_table("referral_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_report_referral_id"))

    op.drop_table("referral_report")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_state"))
        batch_op.drop_index(batch_op.f("ix_referral_partner_id"))
        batch_op.drop_index(batch_op.f("ix_referral_case_id"))

    op.drop_table("referral")
    with op.batch_alter_table("follow_up_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_task_state"))
        batch_op.drop_index(batch_op.f("ix_follow_up_task_case_id"))

    op.drop_table("follow_up_task")
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_state"))
        batch_op.drop_index(batch_op.f("ix_follow_up_due"))
        batch_op.drop_index(batch_op.f("ix_follow_up_case_id"))

    op.drop_table("follow_up")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_case_id"))

    op.drop_table("consent")
    with op.batch_alter_table("partner_org", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_org_service"))
        batch_op.drop_index(batch_op.f("ix_partner_org_province"))

    op.drop_table("partner_org")
