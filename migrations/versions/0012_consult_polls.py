"""consult_polls: a consultation's draft document, and native polls in linked groups

``consultations.document``: the draft sent with the invitation (composed in the bot).
``poll_links``: which Telegram poll (its id, known once sent) asks which consultation's
question in which group, with the poll's latest totals from poll updates.
``consult_poll_votes``: one vote per person and question from non-anonymous polls (named
consultations only), so a resident who also answered in private is counted once.

Revision ID: 0012_consult_polls
Revises: 0010_reports
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_consult_polls"
down_revision: str | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.add_column(
            sa.Column(
                "document",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.drop_column("document")
