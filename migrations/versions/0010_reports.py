"""reports: an index on cases.created_at for the monthly report's figures

A region-wide or office-wide month is a range of created_at over every point; without this
index PostgreSQL reads the whole cases table for each of the report's queries (seventeen of
them with the trend).

Revision ID: 0010_reports
Revises: 0009_consultations
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_reports"
down_revision: str | None = "0009_consultations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_created", "cases", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_created", table_name="cases")
