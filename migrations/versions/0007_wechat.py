"""wechat: access tokens shared by every process; pushes kept once before they are handled

Revision ID: 0007_wechat
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0007_wechat"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_tokens",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("expires_at", models.types.UtcDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", models.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "channel_inbox",
        sa.Column("id", models.types.BigId, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("sender", sa.String(length=128), nullable=False),
        sa.Column("received_at", models.types.UtcDateTime(), nullable=False),
        sa.Column("payload", models.types.JsonDoc, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", models.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "dedupe_key", name="uq_channel_inbox_key"),
    )
    op.create_index(
        "ix_channel_inbox_pending", "channel_inbox", ["status", "sender", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_channel_inbox_pending", table_name="channel_inbox")
    op.drop_table("channel_inbox")
    op.drop_table("channel_tokens")
