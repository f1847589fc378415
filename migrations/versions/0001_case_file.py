"""The case file: every table of the first release.

Staff and their access: `user_account`, `api_token` (SHA-256 of bearer tokens), `login_attempt`
(throttling). The identity vault: `person`, every personal field encrypted on its own, found
again only through the keyed `match_key`. The case file proper, which holds no name, ID number,
address or health detail: `case`, `case_fact` (versioned facts), `benefit_calculation` and its
`approval`s, `deadline`, `case_event`, `duplicate_match`. Provincial `rate_value`s entered through
the API, `idempotency_record` for repeated POSTs, and the hash-chained `audit_log`.

Every constraint and index carries the name the models' naming convention gives it
(`cases.models.NAMING`), so later revisions can alter or drop them by name on SQLite too.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite makes a 64-bit INTEGER PRIMARY KEY autoincrement only when it is spelt INTEGER.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("province", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_user_account"),
        sa.UniqueConstraint("username", name="uq_user_account_username"),
    )

    op.create_table(
        "api_token",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("token_hash", name="uq_api_token_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name="fk_api_token_user_id_user_account"
        ),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])

    op.create_table(
        "login_attempt",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempt"),
    )
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])
    op.create_index("ix_login_attempt_client", "login_attempt", ["client"])
    op.create_index("ix_login_attempt_username", "login_attempt", ["username"])

    op.create_table(
        "person",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("match_key", sa.String(64), nullable=False),
        sa.Column("full_name", sa.LargeBinary(), nullable=False),
        sa.Column("aliases", sa.LargeBinary(), nullable=True),
        sa.Column("id_number", sa.LargeBinary(), nullable=True),
        sa.Column("address", sa.LargeBinary(), nullable=True),
        sa.Column("phone", sa.LargeBinary(), nullable=True),
        sa.Column("health_notes", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_person"),
    )
    op.create_index("ix_person_match_key", "person", ["match_key"])

    op.create_table(
        "case",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("accompanies_case_id", sa.String(36), nullable=True),
        sa.Column("province", sa.String(64), nullable=False),
        sa.Column("facility", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("nationality", sa.String(32), nullable=False),
        sa.Column("birth_year_month", sa.String(7), nullable=False),
        sa.Column("regime", sa.String(16), nullable=True),
        sa.Column("identified_on", sa.Date(), nullable=True),
        sa.Column("certificate_issuer", sa.String(200), nullable=True),
        sa.Column("certificate_number", sa.String(100), nullable=True),
        sa.Column("certificate_date", sa.Date(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_case_person_id_person"),
        sa.ForeignKeyConstraint(
            ["accompanies_case_id"], ["case.id"], name="fk_case_accompanies_case_id_case"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name="fk_case_created_by_user_account"
        ),
    )
    op.create_index("ix_case_person_id", "case", ["person_id"])
    op.create_index("ix_case_accompanies_case_id", "case", ["accompanies_case_id"])
    op.create_index("ix_case_province", "case", ["province"])
    op.create_index("ix_case_stage", "case", ["stage"])

    op.create_table(
        "case_fact",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_fact"),
        sa.UniqueConstraint("case_id", "version", name="uq_case_fact_version"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_case_fact_case_id_case"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name="fk_case_fact_created_by_user_account"
        ),
    )
    op.create_index("ix_case_fact_case_id", "case_fact", ["case_id"])

    op.create_table(
        "benefit_calculation",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("fact_version", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("regime", sa.String(16), nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.String(64), nullable=False),
        sa.Column("parameter_versions", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("total_vnd", sa.BigInteger(), nullable=False),
        sa.Column("needs_legal_check", sa.JSON(), nullable=False),
        sa.Column("uses_sample_rates", sa.Boolean(), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False),
        sa.Column("granted_discretionary", sa.JSON(), nullable=False),
        sa.Column("approved_total_vnd", sa.BigInteger(), nullable=True),
        sa.Column("replaces_id", sa.String(36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_benefit_calculation"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name="fk_benefit_calculation_case_id_case"
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["benefit_calculation.id"],
            name="fk_benefit_calculation_replaces_id_benefit_calculation",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"],
            ["user_account.id"],
            name="fk_benefit_calculation_proposed_by_user_account",
        ),
    )
    op.create_index("ix_benefit_calculation_case_id", "benefit_calculation", ["case_id"])
    op.create_index("ix_benefit_calculation_state", "benefit_calculation", ["state"])

    op.create_table(
        "approval",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("calculation_id", sa.String(36), nullable=False),
        sa.Column("approver_id", sa.String(36), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("granted_discretionary", sa.JSON(), nullable=False),
        sa.Column("acknowledged_unconfirmed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_approval"),
        sa.UniqueConstraint("calculation_id", "approver_id", name="uq_approval_approver"),
        sa.ForeignKeyConstraint(
            ["calculation_id"],
            ["benefit_calculation.id"],
            name="fk_approval_calculation_id_benefit_calculation",
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["user_account.id"], name="fk_approval_approver_id_user_account"
        ),
    )
    op.create_index("ix_approval_calculation_id", "approval", ["calculation_id"])

    op.create_table(
        "deadline",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("warn_on", sa.Date(), nullable=True),
        sa.Column("cites", sa.JSON(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("remaining_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deadline"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_deadline_case_id_case"),
    )
    op.create_index("ix_deadline_case_id", "deadline", ["case_id"])
    op.create_index("ix_deadline_due", "deadline", ["due"])
    op.create_index("ix_deadline_state", "deadline", ["state"])

    op.create_table(
        "case_event",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("from_stage", sa.String(32), nullable=True),
        sa.Column("to_stage", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_event"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_case_event_case_id_case"),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name="fk_case_event_actor_id_user_account"
        ),
    )
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"])

    op.create_table(
        "duplicate_match",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("other_case_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(36), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_duplicate_match"),
        sa.UniqueConstraint("case_id", "other_case_id", name="uq_duplicate_pair"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_duplicate_match_case_id_case"),
        sa.ForeignKeyConstraint(
            ["other_case_id"], ["case.id"], name="fk_duplicate_match_other_case_id_case"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["user_account.id"], name="fk_duplicate_match_decided_by_user_account"
        ),
    )
    op.create_index("ix_duplicate_match_case_id", "duplicate_match", ["case_id"])

    op.create_table(
        "rate_value",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("province", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("under", sa.String(16), nullable=False),
        sa.Column("entered_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rate_value"),
        sa.UniqueConstraint("province", "key", "since", name="uq_rate_value_day"),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["user_account.id"], name="fk_rate_value_entered_by_user_account"
        ),
    )
    op.create_index("ix_rate_value_province", "rate_value", ["province"])

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_record"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name="fk_idempotency_record_user_id_user_account"
        ),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=True),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
        sa.UniqueConstraint("prev_hash", name="uq_audit_log_prev_hash"),
    )


def downgrade() -> None:
    # Dependents before what they refer to; a table's indexes go with it.
    for table in (
        "audit_log",
        "idempotency_record",
        "rate_value",
        "duplicate_match",
        "case_event",
        "deadline",
        "approval",
        "benefit_calculation",
        "case_fact",
        "case",
        "person",
        "login_attempt",
        "api_token",
        "user_account",
    ):
        op.drop_table(table)
