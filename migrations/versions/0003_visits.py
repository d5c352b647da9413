"""visits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _partial(condition: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.create_table(
        "visit_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=True),
        sa.Column("visits_per_month", sa.Integer(), nullable=False),
        sa.Column("days_per_year", sa.Integer(), nullable=False),
        sa.Column("count_unverified", sa.Boolean(), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contact_point_id"], ["contact_points.id"]),
        sa.ForeignKeyConstraint(["updated_by_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope"),
    )
    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("resident_user_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ended_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contact_point_id"], ["contact_points.id"]),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["ended_by_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["resident_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.create_index("ix_pairings_resident", ["resident_user_id"], unique=False)
        batch_op.create_index("ix_pairings_staff", ["staff_id", "ended_at"], unique=False)
        batch_op.create_index(
            "uq_pairings_current",
            ["staff_id", "resident_user_id"],
            unique=True,
            **_partial("ended_at IS NULL"),
        )

    op.create_table(
        "reception_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("announced_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_point_id"], ["contact_points.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reception_days", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reception_days_point_day", ["contact_point_id", "day"], unique=False
        )
        batch_op.create_index(
            "uq_reception_days_current",
            ["staff_id", "contact_point_id", "day"],
            unique=True,
            **_partial("cancelled_at IS NULL"),
        )

    op.create_table(
        "visits",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("started_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=20), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_point_id"], ["contact_points.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_point_day", ["contact_point_id", "day"], unique=False)
        batch_op.create_index("ix_visits_staff_day", ["staff_id", "day"], unique=False)
        batch_op.create_index(
            "uq_visits_open", ["staff_id"], unique=True, **_partial("ended_at IS NULL")
        )

    op.create_table(
        "pairing_contacts",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pairing_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_pairing_contacts_day", ["pairing_id", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pairing_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_pairing_contacts_day")
    op.drop_table("pairing_contacts")

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("uq_visits_open", **_partial("ended_at IS NULL"))
        batch_op.drop_index("ix_visits_staff_day")
        batch_op.drop_index("ix_visits_point_day")
    op.drop_table("visits")

    with op.batch_alter_table("reception_days", schema=None) as batch_op:
        batch_op.drop_index("uq_reception_days_current", **_partial("cancelled_at IS NULL"))
        batch_op.drop_index("ix_reception_days_point_day")
    op.drop_table("reception_days")

    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.drop_index("uq_pairings_current", **_partial("ended_at IS NULL"))
        batch_op.drop_index("ix_pairings_staff")
        batch_op.drop_index("ix_pairings_resident")
    op.drop_table("pairings")

    op.drop_table("visit_policies")
