"""Tables of the outside channels (WeChat so far): what every process must share about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from models.base import TableModel
from models.types import BigId, JsonDoc, UtcDateTime


class ChannelToken(TableModel, table=True):
    """A platform's access token, shared by every process: WeChat allows 2,000 fetches a day
    and a new token soon invalidates the previous one, so one process refreshes for all."""

    __tablename__ = "channel_tokens"
    # "wechat:<app id>"
    key: str = Field(primary_key=True, max_length=80)
    token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The process refreshing it now, and until when its turn lasts (a crashed one's lapses).
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ChannelInbox(TableModel, table=True):
    """A message or event from an outside channel, kept before it is answered.

    WeChat wants an answer within five seconds and sends the same message again when it gets
    none; the callback stores what came (one row per ``dedupe_key``: WeChat's ``MsgId``, or the
    sender and ``CreateTime`` of an event) and answers at once, and a worker handles the rows in
    each sender's order. A retried push meets the unique key and is dropped.
    """

    __tablename__ = "channel_inbox"
    __table_args__ = (
        UniqueConstraint("channel", "dedupe_key", name="uq_channel_inbox_key"),
        Index("ix_channel_inbox_pending", "status", "sender", "id"),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    channel: str = Field(max_length=16)
    dedupe_key: str = Field(max_length=128)
    sender: str = Field(max_length=128)
    received_at: datetime = Field(sa_type=UtcDateTime)
    # The message's fields as the channel sent them; emptied once handled (personal data).
    payload: dict[str, str] = Field(default_factory=dict, sa_type=JsonDoc)
    status: str = Field(default="pending", max_length=16)  # pending | done | failed
    attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ChannelIdentity(TableModel, table=True):
    """A person as another channel knows them: (channel, their id there), e.g. a WeChat
    follower's openid for this account.

    The row's id also gives the person's address inside the core (``services.channels``): a
    number in a range Telegram never uses, standing where a Telegram chat id stands (the
    outbox's ``chat_id``, a case's source), so every use case works unchanged for them.
    ``user_id`` is set once they accept the privacy notice; before that the row only lets the
    bot answer them (the notice itself).
    """

    __tablename__ = "channel_identities"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_channel_identities_external"),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    user_id: int | None = Field(default=None, foreign_key="users.id", unique=True)
    created_at: datetime = Field(sa_type=UtcDateTime)
