"""The tables. Timestamps are UTC and timezone-aware; Telegram ids are 64-bit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import TableModel
from models.types import BigId, JsonDoc, UtcDateTime


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


class User(TableModel, table=True):
    """Anyone who accepted the privacy notice: residents and staff alike."""

    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    tg_id: int = Field(sa_type=BigInteger, unique=True)
    chat_id: int = Field(sa_type=BigInteger)
    name: str = ""
    locale: str = "zh_Hans"
    phone: str | None = None
    phone_consent_at: datetime | None = _ts(nullable=True)
    privacy_accepted_at: datetime = _ts()
    blocked_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    # Set when the person asked to be forgotten: the row stays only so their cases keep an
    # owner; it holds nothing personal any more.
    erased_at: datetime | None = _ts(nullable=True)


class ContactPoint(TableModel, table=True):
    __tablename__ = "contact_points"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name: str
    region: str = Field(default="", index=True)
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    radius_m: int = 300
    tz: str = "Asia/Shanghai"
    group_chat_id: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    active: bool = True
    created_at: datetime = _ts()


class Residency(TableModel, table=True):
    """A resident's one current contact point."""

    __tablename__ = "residencies"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    contact_point_id: int = Field(foreign_key="contact_points.id", index=True)
    since: datetime = _ts()


class Staff(TableModel, table=True):
    __tablename__ = "staff"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    role: str
    title: str = ""
    region: str | None = None  # an administrator's or inspector's scope; None means everywhere
    active: bool = True
    created_at: datetime = _ts()
    removed_at: datetime | None = _ts(nullable=True)


class Assignment(TableModel, table=True):
    """A staff member serving at a contact point; ``until`` is set when it ends."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_point_current", "contact_point_id", "until"),)
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    contact_point_id: int = Field(foreign_key="contact_points.id")
    is_primary: bool = False
    since: datetime = _ts()
    until: datetime | None = _ts(nullable=True)


class Invite(TableModel, table=True):
    """A single-use, expiring staff invitation; only the token's hash is kept."""

    __tablename__ = "invites"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    role: str
    contact_point_id: int | None = Field(default=None, foreign_key="contact_points.id")
    region: str | None = None
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)
    used_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class Category(TableModel, table=True):
    __tablename__ = "categories"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name_zh: str
    name_en: str
    tier: str
    active: bool = True
    sort: int = 0


class Case(TableModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # A redelivered update can never file a second case.
        UniqueConstraint("source_chat_id", "source_message_id", name="uq_cases_source"),
        Index("ix_cases_assignee_status", "assignee_id", "status"),
        Index("ix_cases_point_status", "contact_point_id", "status"),
        Index("ix_cases_point_created", "contact_point_id", "created_at"),
        # A month over a whole region or the office (the monthly report's figures).
        Index("ix_cases_created", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    public_no: str = Field(unique=True, max_length=20)
    kind: str
    category_id: int | None = Field(default=None, foreign_key="categories.id")
    tier: str
    status: str
    resident_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    contact_point_id: int = Field(foreign_key="contact_points.id")
    assignee_id: int | None = Field(default=None, foreign_key="staff.id")
    first_receiver_id: int | None = Field(default=None, foreign_key="staff.id")
    summary: str = ""
    created_at: datetime = _ts()
    accepted_at: datetime | None = _ts(nullable=True)
    first_response_at: datetime | None = _ts(nullable=True)
    resolved_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    close_reason: str | None = None
    due_ack_at: datetime = _ts()
    due_resolve_at: datetime = _ts()
    satisfaction: int | None = None  # 1-5, the resident's rating after confirming
    verdict: str | None = (
        None  # the resident's answer to "is it resolved?": resolved / not_resolved
    )
    verdict_at: datetime | None = _ts(nullable=True)
    # Times the resident said "not resolved": a flag for the cadre, a round for reminders.
    reopened_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    source_chat_id: int = Field(sa_type=BigInteger)
    source_message_id: int = Field(sa_type=BigInteger)


class CaseEvent(TableModel, table=True):
    """The conversation and audit trail of a case; hidden, never deleted."""

    __tablename__ = "case_events"
    __table_args__ = (
        UniqueConstraint("source_chat_id", "source_message_id", name="uq_case_events_source"),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    case_id: int = Field(foreign_key="cases.id", index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    type: str
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What the message carried besides text: {"kind": "photo", "file_id": ...} or a location.
    media: dict[str, Any] | None = Field(default=None, sa_type=JsonDoc, nullable=True)
    source_chat_id: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    source_message_id: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    internal: bool = False
    hidden: bool = False
    at: datetime = _ts()


class MessageLink(TableModel, table=True):
    """Which case a message in a chat belongs to, so a native reply finds its case."""

    __tablename__ = "message_links"
    chat_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    message_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    case_id: int = Field(foreign_key="cases.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="case_events.id", sa_type=BigInteger)


# The rows still to be sent (or being sent). Sent rows stay in the table for good, so the
# sender's claim reads only the partial indexes over these: its cost follows the rows queued,
# not the history (services/outbox.py writes this condition literally, as the planners need).
OUTBOX_UNSENT = "status IN ('pending', 'sending')"


class Outbox(TableModel, table=True):
    """Every message to someone other than the current chat, written with the state change."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_chat", "chat_id", "id"),
        Index(
            "ix_outbox_unsent",
            "id",
            sqlite_where=text(OUTBOX_UNSENT),
            postgresql_where=text(OUTBOX_UNSENT),
        ),
        Index(
            "ix_outbox_chat_unsent",
            "chat_id",
            "id",
            sqlite_where=text(OUTBOX_UNSENT),
            postgresql_where=text(OUTBOX_UNSENT),
        ),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    dedupe_key: str = Field(unique=True, max_length=120)
    chat_id: int = Field(sa_type=BigInteger)
    # Which channel delivers the row ("telegram", "wechat"): each has its own sender.
    channel: str = Field(
        default="telegram", max_length=16, sa_column_kwargs={"server_default": "telegram"}
    )
    recipient_user_id: int | None = Field(default=None, foreign_key="users.id")
    payload: dict[str, Any] = Field(sa_type=JsonDoc)
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    locked_by: str | None = None
    locked_until: datetime | None = _ts(nullable=True)
    last_error: str | None = None
    sent_message_id: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    event_id: int | None = Field(default=None, foreign_key="case_events.id", sa_type=BigInteger)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class Counter(TableModel, table=True):
    """Named sequences (case numbers per year)."""

    __tablename__ = "counters"
    name: str = Field(primary_key=True, max_length=40)
    value: int = 0


class Conversation(TableModel, table=True):
    """A chat's place in a flow (the FSM), kept in the database so a restart loses nothing."""

    __tablename__ = "conversations"
    key: str = Field(primary_key=True, max_length=200)
    state: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    updated_at: datetime = _ts()


class AuditLog(TableModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    action: str
    target: str = ""
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    at: datetime = _ts(index=True)


class Reminder(TableModel, table=True):
    """Something the scheduler must say once: planned with a unique key, claimed with a lease.

    ``kind`` names the handler; ``subject`` what it is about ("case:42"); ``period`` the window
    it belongs to ("2026-03", or "" for once ever). The unique key makes planning idempotent on
    every replica; the lease makes sending happen once even with several schedulers.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "period", name="uq_reminders_key"),
        Index("ix_reminders_due", "status", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    kind: str = Field(max_length=60)
    subject: str = Field(max_length=120)
    period: str = Field(default="", max_length=40)
    due_at: datetime = _ts()
    status: str = "pending"  # pending, sending, done, skipped
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    locked_by: str | None = None
    locked_until: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    done_at: datetime | None = _ts(nullable=True)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a model (for bulk inserts and upserts)."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def pk(row: SQLModel) -> int:
    """The primary key of a row that has been flushed (so it has one)."""
    value = getattr(row, "id", None)
    if value is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush first")
    return int(value)
