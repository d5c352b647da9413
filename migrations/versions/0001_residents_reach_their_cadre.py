"""residents reach their cadre

Revision ID: 0001
Revises:
Create Date: 2026-11-29 05:06:27.741219
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "contact_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(), nullable=False),
        sa.Column("group_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_points_region"), ["region"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tg_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("locale", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("phone_consent_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("privacy_accepted_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("blocked_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tg_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("used_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["used_by_user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "residencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("since", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    with op.batch_alter_table("residencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_residencies_contact_point_id"), ["contact_point_id"], unique=False
        )

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("since", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("until", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignments_point_current", ["contact_point_id", "until"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assignments_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_no", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("first_receiver_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(), nullable=True),
        sa.Column("due_ack_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_resolve_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("source_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("source_message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
        ),
        sa.ForeignKeyConstraint(
            ["first_receiver_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_no"),
        sa.UniqueConstraint("source_chat_id", "source_message_id", name="uq_cases_source"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_assignee_status", ["assignee_id", "status"], unique=False)
        batch_op.create_index("ix_cases_point_status", ["contact_point_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_resident_id"), ["resident_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column(
            "media",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("source_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("source_message_id", sa.BigInteger(), nullable=True),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_chat_id", "source_message_id", name="uq_case_events_source"),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "message_links",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["case_events.id"],
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id"),
    )
    with op.batch_alter_table("message_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_links_case_id"), ["case_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(), nullable=True),
        sa.Column("locked_until", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("sent_message_id", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["case_events.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat", ["chat_id", "id"], unique=False)
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)

    _seed_categories()


# Default categories: a county office adjusts them with the CLI or the admin menu.
_CATEGORIES = [
    ("water", "供水", "Water supply", "utilities"),
    ("power", "供电", "Electricity", "utilities"),
    ("gas_heating", "燃气供暖", "Gas and heating", "utilities"),
    ("roads", "道路交通", "Roads and traffic", "general"),
    ("sanitation", "环境卫生", "Sanitation and environment", "general"),
    ("housing", "住房物业", "Housing and property management", "general"),
    ("safety", "治安安全", "Public safety", "urgent"),
    ("welfare", "社会保障", "Social security and welfare", "general"),
    ("health", "医疗卫生", "Health care", "general"),
    ("education", "教育", "Education", "general"),
    ("land", "土地征收与规划", "Land, planning and demolition", "complex"),
    ("other", "其他", "Other", "general"),
]


def _seed_categories() -> None:
    table = sa.table(
        "categories",
        sa.column("code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
        sa.column("tier", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("sort", sa.Integer),
    )
    op.bulk_insert(
        table,
        [
            {"code": c, "name_zh": zh, "name_en": en, "tier": tier, "active": True, "sort": i}
            for i, (c, zh, en, tier) in enumerate(_CATEGORIES)
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index("ix_outbox_chat")

    op.drop_table("outbox")
    with op.batch_alter_table("message_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_links_case_id"))

    op.drop_table("message_links")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_resident_id"))
        batch_op.drop_index("ix_cases_point_status")
        batch_op.drop_index("ix_cases_assignee_status")

    op.drop_table("cases")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_staff_id"))
        batch_op.drop_index("ix_assignments_point_current")

    op.drop_table("assignments")
    op.drop_table("staff")
    with op.batch_alter_table("residencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residencies_contact_point_id"))

    op.drop_table("residencies")
    op.drop_table("invites")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    op.drop_table("users")
    op.drop_table("counters")
    op.drop_table("conversations")
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_points_region"))

    op.drop_table("contact_points")
    op.drop_table("categories")
