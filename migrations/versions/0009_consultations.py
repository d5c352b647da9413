"""consultations and surveys: the consultation, its points, its fan-outs, and the answers kept
apart from the roll of who answered (anonymous answers have no link to a person)

Revision ID: 0009_consultations
Revises: 0008_cases
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0009_consultations"
down_revision: str | None = "0008_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=80), nullable=True),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(length=128), nullable=False),
        sa.Column("author_title", sa.String(length=60), nullable=False),
        sa.Column("fallback_locale", sa.String(length=10), nullable=False),
        sa.Column(
            "title", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "intro", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "questions", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "audience", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opens_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("adopted", sa.Integer(), nullable=False),
        sa.Column("outcome_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("origin", name="uq_consultations_origin"),
    )
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.create_index("ix_consultations_status", ["status", "opens_at"], unique=False)

    op.create_table(
        "consult_roll",
        sa.Column("consultation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("consultation_id", "user_id"),
    )
    op.create_table(
        "consult_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("send_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("fanout_done_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("audience_size", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("skipped_blocked", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("outbox_after_id", sa.BigInteger(), nullable=False),
        sa.Column("outbox_upto_id", sa.BigInteger(), nullable=False),
        sa.Column("settled_id", sa.BigInteger(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Integer(), nullable=False),
        sa.Column("cancelled_rows", sa.Integer(), nullable=False),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_seq", sa.Integer(), nullable=False),
        sa.Column("progress_text", sa.String(), nullable=True),
        sa.Column("progress_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("measured_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("measured_done", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "purpose", name="uq_consult_runs_purpose"),
    )
    with op.batch_alter_table("consult_runs", schema=None) as batch_op:
        batch_op.create_index("ix_consult_runs_open", ["finished_at", "id"], unique=False)

    op.create_table(
        "consult_submissions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column(
            "answers", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consult_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consult_submissions_consultation", ["consultation_id"], unique=False
        )

    op.create_table(
        "consultation_points",
        sa.Column("consultation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("contact_point_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
        ),
        sa.PrimaryKeyConstraint("consultation_id", "contact_point_id"),
    )
    with op.batch_alter_table("consultation_points", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consultation_points_point", ["contact_point_id", "consultation_id"], unique=False
        )

    op.create_table(
        "consult_named",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("changed_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["consult_submissions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("submission_id"),
        sa.UniqueConstraint("consultation_id", "user_id", name="uq_consult_named_user"),
    )


def downgrade() -> None:
    op.drop_table("consult_named")
    with op.batch_alter_table("consultation_points", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_points_point")

    op.drop_table("consultation_points")
    with op.batch_alter_table("consult_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_consult_submissions_consultation")

    op.drop_table("consult_submissions")
    with op.batch_alter_table("consult_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_consult_runs_open")

    op.drop_table("consult_runs")
    op.drop_table("consult_roll")
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_index("ix_consultations_status")

    op.drop_table("consultations")
