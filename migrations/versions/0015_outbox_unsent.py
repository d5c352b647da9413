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


_INDEXES = (("ix_outbox_unsent", ["id"]), ("ix_outbox_chat_unsent", ["chat_id", "id"]))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A large outbox takes a while to index: build without blocking the bot's writes
        # (CONCURRENTLY runs outside a transaction).
        with op.get_context().autocommit_block():
            for name, columns in _INDEXES:
                op.create_index(
                    name,
                    "outbox",
                    columns,
                    unique=False,
                    postgresql_where=sa.text(_UNSENT),
                    postgresql_concurrently=True,
                    if_not_exists=True,
                )
        return
    for name, columns in _INDEXES:
        op.create_index(name, "outbox", columns, unique=False, sqlite_where=sa.text(_UNSENT))


def downgrade() -> None:
    for name, _ in reversed(_INDEXES):
        op.drop_index(name, table_name="outbox")
