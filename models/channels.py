"""Tables of the outside channels (WeChat so far): what every process must share about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class ChannelToken(SQLModel, table=True):
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
