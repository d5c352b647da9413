"""Tables of the visits feature (see services/visits/).

A visit is one stay of a cadre at a contact point; what counts for the rules is the *day* — the
calendar day in the point's time zone, stored with the visit so counting is a plain
``COUNT(DISTINCT day)`` — so two check-ins on one day count once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, Index, Text, UniqueConstraint, text
from sqlmodel import Field

from models.base import TableModel
from models.fanout import FanoutLedger
from models.types import BigId, UtcDateTime

_OPEN = text("ended_at IS NULL")
_CURRENT_PAIRING = text("ended_at IS NULL")
_ANNOUNCED = text("cancelled_at IS NULL")


class VisitPolicy(TableModel, table=True):
    """How often cadres must be at a point: the global row (scope "default") or one point's.

    Without any row the service's constants apply (one visit a month, ten days a year).
    """

    __tablename__ = "visit_policies"
    id: int | None = Field(default=None, primary_key=True)
    # "default", or "point:<id>" for one contact point: a unique key that also covers the
    # global row (a NULL contact point would not be unique).
    scope: str = Field(unique=True, max_length=40)
    contact_point_id: int | None = Field(default=None, foreign_key="contact_points.id")
    visits_per_month: int
    days_per_year: int
    # Whether logged (unverified) visits count towards the figures; they are always shown.
    count_unverified: bool = True
    # How many days before a reception day its residents are told.
    notice_days: int = 3
    updated_at: datetime = Field(sa_type=UtcDateTime)
    updated_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class Visit(TableModel, table=True):
    """A cadre at a contact point: checked in (by location or unverified) or logged afterwards."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_staff_day", "staff_id", "day"),
        Index("ix_visits_point_day", "contact_point_id", "day"),
        # One open visit per cadre: a redelivered or doubled check-in cannot open a second.
        Index(
            "uq_visits_open",
            "staff_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    staff_id: int = Field(foreign_key="staff.id")
    contact_point_id: int = Field(foreign_key="contact_points.id")
    day: date = Field(sa_type=Date)  # the calendar day at the point
    source: str = Field(max_length=20)  # "location" (checked in) or "logged" (afterwards)
    verified: bool = False
    started_at: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    # How it ended: "checkout", "auto" (end of the local day), "moved" (checked in elsewhere).
    closed_by: str | None = Field(default=None, max_length=20)
    lat: float | None = None
    lon: float | None = None
    distance_m: int | None = None
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_type=UtcDateTime)


class Pairing(TableModel, table=True):
    """One-to-one pairing (结对帮扶): a cadre keeps in touch with a household."""

    __tablename__ = "pairings"
    __table_args__ = (
        Index(
            "uq_pairings_current",
            "staff_id",
            "resident_user_id",
            unique=True,
            sqlite_where=_CURRENT_PAIRING,
            postgresql_where=_CURRENT_PAIRING,
        ),
        Index("ix_pairings_staff", "staff_id", "ended_at"),
        Index("ix_pairings_resident", "resident_user_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    resident_user_id: int = Field(foreign_key="users.id")
    contact_point_id: int = Field(foreign_key="contact_points.id")
    created_at: datetime = Field(sa_type=UtcDateTime)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    ended_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class PairingContact(TableModel, table=True):
    """A contact between a paired cadre and their household, on a day at the point."""

    __tablename__ = "pairing_contacts"
    __table_args__ = (Index("ix_pairing_contacts_day", "pairing_id", "day"),)
    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    pairing_id: int = Field(foreign_key="pairings.id")
    day: date = Field(sa_type=Date)
    at: datetime = Field(sa_type=UtcDateTime)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class ReceptionDay(TableModel, table=True):
    """A day a cadre announces to receive residents at the point (接待日)."""

    __tablename__ = "reception_days"
    __table_args__ = (
        Index(
            "uq_reception_days_current",
            "staff_id",
            "contact_point_id",
            "day",
            unique=True,
            sqlite_where=_ANNOUNCED,
            postgresql_where=_ANNOUNCED,
        ),
        Index("ix_reception_days_point_day", "contact_point_id", "day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    contact_point_id: int = Field(foreign_key="contact_points.id")
    day: date = Field(sa_type=Date)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime = Field(sa_type=UtcDateTime)
    announced_at: datetime = Field(sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)


class ReceptionRun(FanoutLedger, table=True):
    """One announcement of a reception day to its point's residents (``notice``, ``today`` or
    ``cancelled``) on the shared fan-out (services/fanout): the bookmark and the ledger, as on a
    notice. One row per day and purpose, so a redelivered reminder starts nothing twice."""

    __tablename__ = "reception_runs"
    __table_args__ = (
        UniqueConstraint("reception_day_id", "purpose", name="uq_reception_runs_purpose"),
        Index("ix_reception_runs_open", "finished_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    reception_day_id: int = Field(foreign_key="reception_days.id")
    purpose: str = Field(max_length=10)
    status: str = Field(max_length=20)
    send_at: datetime = Field(sa_type=UtcDateTime)
    # No progress message: the cadre is not the author of a notice here (always None).
    author_user_id: int | None = None
    author_chat_id: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
