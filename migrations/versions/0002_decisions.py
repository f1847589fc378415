"""Decision documents: numbered per issuing body and year, immutable, with their copies.

Also gives staff accounts a display name, printed as the signer of a decision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:42:38.803841
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_sequence",
        sa.Column("issuer", sa.String(length=80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "year", name=op.f("pk_decision_sequence")),
    )
    op.create_table(
        "decision",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("calculation_id", sa.String(length=36), nullable=False),
        sa.Column("issuer", sa.String(length=80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("replaces_id", sa.String(length=36), nullable=True),
        sa.Column("issued_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calculation_id"],
            ["benefit_calculation.id"],
            name=op.f("fk_decision_calculation_id_benefit_calculation"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_decision_case_id_case")),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["user_account.id"], name=op.f("fk_decision_issued_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["decision.id"], name=op.f("fk_decision_replaces_id_decision")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
        sa.UniqueConstraint("calculation_id", name="uq_decision_calculation"),
        sa.UniqueConstraint("issuer", "year", "number", name="uq_decision_number"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_case_id"), ["case_id"], unique=False)

    op.create_table(
        "decision_copy",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_decision_copy_decision_id_decision")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_copy")),
        sa.UniqueConstraint("decision_id", "recipient", name="uq_decision_copy"),
    )
    with op.batch_alter_table("decision_copy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_copy_decision_id"), ["decision_id"], unique=False
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("display_name")

    with op.batch_alter_table("decision_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_copy_decision_id"))

    op.drop_table("decision_copy")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_case_id"))

    op.drop_table("decision")
    op.drop_table("decision_sequence")
