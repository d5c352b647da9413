"""cases: cards shown in staff chats, so a change of status redraws them

Revision ID: 0008_cases
Revises: 0007_wechat
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_cases"
down_revision: str | None = "0007_wechat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_cards",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("chat_id", "message_id"),
    )
    op.create_index(op.f("ix_case_cards_case_id"), "case_cards", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_cards_case_id"), table_name="case_cards")
    op.drop_table("case_cards")
