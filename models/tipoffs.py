"""Tip-offs (举报): reports of misconduct, kept apart from cases so that no cadre's query can
ever see, list or count them. The anonymous reporter's chat is stored only encrypted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field

from models.base import TableModel
from models.types import BigId, JsonDoc, UtcDateTime


class TipOff(TableModel, table=True):
    __tablename__ = "tipoffs"
    id: int | None = Field(default=None, primary_key=True)
    public_no: str = Field(unique=True, max_length=20)
    contact_point_id: int = Field(foreign_key="contact_points.id")
    region: str = Field(default="", index=True)
    named: bool
    # Named reports only: who filed it. Anonymous ones keep no link to a person.
    reporter_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    # Anonymous reports: the reporter's chat id, encrypted with the tip-off key.
    reporter_link: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Anonymous reports: the hash of the receipt code the reporter keeps.
    receipt_hash: str | None = Field(default=None, unique=True, max_length=64)
    alias: str = Field(max_length=16)  # what inspectors call an anonymous reporter
    reporter_locale: str = Field(default="zh_Hans", max_length=10)  # to answer in their language
    # Staff the reporter said it is about: they never receive it.
    concerns: list[int] = Field(default_factory=list, sa_type=JsonDoc)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = "new"  # new, accepted, closed
    assignee_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    created_at: datetime = Field(sa_type=UtcDateTime)
    due_ack_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    accepted_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)


class TipOffMessage(TableModel, table=True):
    """The conversation of a tip-off: the report itself, then questions and answers."""

    __tablename__ = "tipoff_messages"
    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    tipoff_id: int = Field(foreign_key="tipoffs.id", index=True)
    from_reporter: bool
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    media: dict[str, Any] | None = Field(default=None, sa_type=JsonDoc, nullable=True)
    # A keyed hash of the Telegram message it came from: a redelivered update is recognised
    # without storing the reporter's chat id in the clear.
    source_key: str | None = Field(default=None, unique=True, max_length=64)
    at: datetime = Field(sa_type=UtcDateTime)


class TipOffLink(TableModel, table=True):
    """Which tip-off a message in an inspector's chat belongs to (for native replies)."""

    __tablename__ = "tipoff_links"
    chat_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    message_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    tipoff_id: int = Field(foreign_key="tipoffs.id", index=True)
