"""Tables of the notices feature (see services/notices.py).

A notice (政策通知 / 公告) is written once and fanned out into one outbox row per resident. The
notice row is also the fan-out's bookmark and the progress ledger:

- ``cursor`` is the last resident id queued. A chunk of rows and the new cursor commit in one
  transaction, so a crash mid-way resumes after the last committed chunk: no gap, no duplicate
  (each row's key ``notice{id}:u{user_id}`` is unique in the outbox as well).
- The notice's outbox rows are found without a column on the outbox: their ids lie in
  ``(outbox_after_id, outbox_upto_id]`` (a primary-key range) and their key starts with
  ``notice{id}:`` (an exact prefix test inside that range), on any database and collation.
- ``settled_id``: every row of the notice below it has a final status and is already counted in
  ``sent``/``failed``/``blocked``/``cancelled_rows``; progress only looks at the rows above it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field

from models.base import TableModel
from models.fanout import FanoutLedger
from models.types import JsonDoc, UtcDateTime


def _ts(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable)


def _big(default: int | None = 0, *, nullable: bool = False) -> Any:
    return Field(default=default, sa_type=BigInteger, nullable=nullable)


class Notice(FanoutLedger, table=True):
    __tablename__ = "notices"
    __table_args__ = (
        # A confirmation pressed twice (or a redelivered update) creates one notice.
        UniqueConstraint("origin", name="uq_notices_origin"),
        Index("ix_notices_status_send_at", "status", "send_at"),
        Index("ix_notices_author", "author_user_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    origin: str | None = Field(default=None, max_length=80)
    # None: sent by the office from the CLI.
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    author_chat_id: int | None = _big(None, nullable=True)
    # How the notice is signed (the author's name and title when it was written).
    author_name: str = Field(default="", max_length=128)
    author_title: str = Field(default="", max_length=60)
    # The author's language: the text of residents whose language has no variant.
    fallback_locale: str = Field(max_length=10)
    texts: dict[str, str] = Field(default_factory=dict, sa_type=JsonDoc)  # locale -> HTML
    # {"kind": "photo"|"document", "file_id", "chat_id", "message_id"}: sent by file id.
    media: dict[str, Any] | None = Field(default=None, sa_type=JsonDoc, nullable=True)
    # {"kind": "all"|"regions"|"points", "regions": [...], "point_ids": [...]}
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    status: str = Field(max_length=20)  # scheduled, sending, sent, cancelled
    send_at: datetime = _ts()
    created_at: datetime = _ts()
    cancelled_at: datetime | None = _ts(nullable=True)
    cancelled_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class NoticePoint(TableModel, table=True):
    """The contact points a notice went to, fixed when it starts sending."""

    __tablename__ = "notice_points"
    __table_args__ = (Index("ix_notice_points_point", "contact_point_id", "notice_id"),)
    notice_id: int = Field(
        foreign_key="notices.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    contact_point_id: int = Field(
        foreign_key="contact_points.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )


class NoticeRead(TableModel, table=True):
    """A resident pressed "Read" (已阅); pressing again changes nothing."""

    __tablename__ = "notice_reads"
    notice_id: int = Field(
        foreign_key="notices.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    user_id: int = Field(
        foreign_key="users.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    read_at: datetime = _ts()
