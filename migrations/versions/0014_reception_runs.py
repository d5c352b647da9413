"""reception runs: reception-day announcements on the shared fan-out (paced, resumable, cancellable)

Revision ID: 0014_reception_runs
Revises: 0013_wechat_identity
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0014_reception_runs"
down_revision: str | None = "0013_wechat_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reception_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reception_day_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("send_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("fanout_done_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.types.UtcDateTime(timezone=True), nullable=True),
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
        sa.Column("progress_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("measured_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("measured_done", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["reception_day_id"], ["reception_days.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reception_day_id", "purpose", name="uq_reception_runs_purpose"),
    )
    with op.batch_alter_table("reception_runs", schema=None) as batch_op:
        batch_op.create_index("ix_reception_runs_open", ["finished_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reception_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_reception_runs_open")
    op.drop_table("reception_runs")
