"""case clock: the resident's verdict, rating and reopen count

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdict", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column("verdict_at", models.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("reopened_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_cases_point_created", ["contact_point_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_point_created")
        batch_op.drop_column("reopened_count")
        batch_op.drop_column("verdict_at")
        batch_op.drop_column("verdict")
