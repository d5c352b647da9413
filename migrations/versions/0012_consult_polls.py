"""consult_polls: a consultation's draft document, and native polls in linked groups

``consultations.document``: the draft sent with the invitation (composed in the bot).
``poll_links``: which Telegram poll (its id, known once sent) asks which consultation's
question in which group, with the poll's latest totals from poll updates.
``consult_poll_votes``: one vote per person and question from non-anonymous polls (named
consultations only), so a resident who also answered in private is counted once.

Revision ID: 0012_consult_polls
Revises: 0011_answered_presses
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0012_consult_polls"
down_revision: str | None = "0011_answered_presses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "consult_polls",
        sa.Column("poll_id", sa.String(length=64), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("voters", sa.Integer(), nullable=False),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"]),
        sa.PrimaryKeyConstraint("poll_id"),
    )
    with op.batch_alter_table("consult_polls") as batch_op:
        batch_op.create_index(
            "ix_consult_polls_question", ["consultation_id", "question"], unique=False
        )
    op.create_table(
        "consult_poll_votes",
        sa.Column("consultation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("question", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("voter_tg_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("options", JSON, nullable=False),
        sa.Column("voted_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("consultation_id", "question", "voter_tg_id"),
    )
    with op.batch_alter_table("consultations") as batch:
        batch.add_column(
            sa.Column("group_polls", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column(
                "document",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.drop_column("group_polls")
        batch.drop_column("document")
    op.drop_table("consult_poll_votes")
    with op.batch_alter_table("consult_polls") as batch_op:
        batch_op.drop_index("ix_consult_polls_question")
    op.drop_table("consult_polls")
