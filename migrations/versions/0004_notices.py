"""notices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, models.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=80), nullable=True),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(length=128), nullable=False),
        sa.Column("author_title", sa.String(length=60), nullable=False),
        sa.Column("fallback_locale", sa.String(length=10), nullable=False),
        sa.Column("texts", _JSON, nullable=False),
        sa.Column("media", _JSON, nullable=True),
        sa.Column("audience", _JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _ts("send_at"),
        _ts("created_at"),
        _ts("started_at", nullable=True),
        _ts("fanout_done_at", nullable=True),
        _ts("finished_at", nullable=True),
        _ts("cancelled_at", nullable=True),
        sa.Column("cancelled_by_user_id", sa.Integer(), nullable=True),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("audience_size", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("skipped_blocked", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("outbox_after_id", sa.BigInteger(), nullable=False),
        sa.Column("outbox_upto_id", sa.BigInteger(), nullable=False),
        sa.Column("settled_id", sa.BigInteger(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Integer(), nullable=False),
        sa.Column("cancelled_rows", sa.Integer(), nullable=False),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_seq", sa.Integer(), nullable=False),
        sa.Column("progress_text", sa.String(), nullable=True),
        _ts("progress_at", nullable=True),
        _ts("measured_at", nullable=True),
        sa.Column("measured_done", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["author_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["cancelled_by_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("origin", name="uq_notices_origin"),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index("ix_notices_author", ["author_user_id", "id"], unique=False)
        batch_op.create_index("ix_notices_status_send_at", ["status", "send_at"], unique=False)

    op.create_table(
        "notice_points",
        sa.Column("notice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("contact_point_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["contact_point_id"], ["contact_points.id"]),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"]),
        sa.PrimaryKeyConstraint("notice_id", "contact_point_id"),
    )
    with op.batch_alter_table("notice_points", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notice_points_point", ["contact_point_id", "notice_id"], unique=False
        )

    op.create_table(
        "notice_reads",
        sa.Column("notice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        _ts("read_at"),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("notice_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("notice_reads")
    with op.batch_alter_table("notice_points", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_points_point")
    op.drop_table("notice_points")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_status_send_at")
        batch_op.drop_index("ix_notices_author")
    op.drop_table("notices")
