"""safe to speak: tip-offs kept apart and sealed; the right to be forgotten

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tipoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_no", sa.String(length=20), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter_link", sa.Text(), nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=True),
        sa.Column("alias", sa.String(length=16), nullable=False),
        sa.Column("reporter_locale", sa.String(length=10), nullable=False),
        sa.Column(
            "concerns", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_ack_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_no"),
        sa.UniqueConstraint("receipt_hash"),
    )
    with op.batch_alter_table("tipoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tipoffs_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tipoffs_region"), ["region"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tipoffs_reporter_user_id"), ["reporter_user_id"], unique=False
        )

    op.create_table(
        "tipoff_links",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tipoff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tipoff_id"],
            ["tipoffs.id"],
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id"),
    )
    with op.batch_alter_table("tipoff_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tipoff_links_tipoff_id"), ["tipoff_id"], unique=False)

    op.create_table(
        "tipoff_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tipoff_id", sa.Integer(), nullable=False),
        sa.Column("from_reporter", sa.Boolean(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("media", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("source_key", sa.String(length=64), nullable=True),
        sa.Column("at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tipoff_id"],
            ["tipoffs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_key"),
    )
    with op.batch_alter_table("tipoff_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tipoff_messages_tipoff_id"), ["tipoff_id"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", models.types.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("erased_at")

    with op.batch_alter_table("tipoff_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tipoff_messages_tipoff_id"))

    op.drop_table("tipoff_messages")
    with op.batch_alter_table("tipoff_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tipoff_links_tipoff_id"))

    op.drop_table("tipoff_links")
    with op.batch_alter_table("tipoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tipoffs_reporter_user_id"))
        batch_op.drop_index(batch_op.f("ix_tipoffs_region"))
        batch_op.drop_index(batch_op.f("ix_tipoffs_assignee_id"))

    op.drop_table("tipoffs")
