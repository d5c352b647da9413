"""answered presses: each button press answered once and handled once, across restarts

A press Telegram delivers again — after a restart, or to another replica — is recognised by its
callback query id: not answered again ("query is too old"), and not acted on again once its
handler had finished. Rows are pruned after two days (Telegram stops redelivering after one).

Revision ID: 0011_answered_presses
Revises: 0010_reports
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0011_answered_presses"
down_revision: str | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answered_presses",
        sa.Column("query_id", sa.String(length=64), nullable=False),
        sa.Column("at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("query_id"),
    )
    op.create_index(op.f("ix_answered_presses_at"), "answered_presses", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_answered_presses_at"), table_name="answered_presses")
    op.drop_table("answered_presses")
