"""outbox unsent: partial indexes over the rows still to be sent, for the sender's claim

Sent rows stay in the outbox. Without these the claim on PostgreSQL walked the primary key past
every sent row, and the "oldest unsent row of its chat" check (both databases) read the chat's
whole history: a claim's cost grew with everything ever sent.

Revision ID: 0015_outbox_unsent
Revises: 0014_reception_runs
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_outbox_unsent"
down_revision: str | None = "0014_reception_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNSENT = "status IN ('pending', 'sending')"


def _partial() -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(_UNSENT), "postgresql_where": sa.text(_UNSENT)}


def upgrade() -> None:
    op.create_index("ix_outbox_unsent", "outbox", ["id"], unique=False, **_partial())
    op.create_index(
        "ix_outbox_chat_unsent", "outbox", ["chat_id", "id"], unique=False, **_partial()
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_unsent", table_name="outbox")
    op.drop_index("ix_outbox_unsent", table_name="outbox")
