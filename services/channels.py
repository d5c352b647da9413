"""Channels: who is reached how. A person is known by (channel, id on that channel); inside the
core every person has one numeric address, which for Telegram is their chat id and for other
channels a number in a range Telegram never gives out.

Telegram's user and private chat ids are positive and below 2**52; group and channel ids are
negative but above -10**14. Addresses at or below ``-(2**61)`` are therefore free: a person
on WeChat has the address ``-(2**61) - identity id``. Use cases store and queue that address
where they store and queue a Telegram chat id (a case's source, an outbox row's ``chat_id``),
so they need not know the channel; the outbox row also names its channel, which picks the
sender that delivers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import col

from models.channels import ChannelIdentity
from models.db import Database
from models.queries import insert_ignore
from models.tables import table_of

TELEGRAM = "telegram"
WECHAT = "wechat"
CHANNELS = (TELEGRAM, WECHAT)

_BASE = -(2**61)
_SPAN = 2**60  # identity ids below this (a billion times more than will ever exist)


def address_of(identity_id: int) -> int:
    """The core's address of a person on another channel, from their identity's id."""
    return _BASE - identity_id


def identity_of(address: int) -> int | None:
    """The identity id behind an address, or None for a Telegram chat."""
    if _BASE - _SPAN < address <= _BASE:
        return _BASE - address
    return None


def channel_of(address: int) -> str:
    """The channel that reaches ``address`` (one channel besides Telegram so far)."""
    return WECHAT if identity_of(address) is not None else TELEGRAM


@dataclass(frozen=True)
class Identity:
    id: int
    channel: str
    external_id: str
    user_id: int | None

    @property
    def address(self) -> int:
        return address_of(self.id)


def _identity(row: ChannelIdentity) -> Identity:
    assert row.id is not None
    return Identity(row.id, row.channel, row.external_id, row.user_id)


async def identify(db: Database, channel: str, external_id: str, now: datetime) -> Identity:
    """The identity of someone who wrote on ``channel``, made on first contact (it lets the
    bot answer them; nothing else about them is kept before they accept the privacy notice)."""
    async with db.write() as session:
        await insert_ignore(
            session,
            table_of(ChannelIdentity),
            [{"channel": channel, "external_id": external_id, "created_at": now}],
            "channel",
            "external_id",
        )
        row = (
            await session.execute(
                select(ChannelIdentity).where(
                    col(ChannelIdentity.channel) == channel,
                    col(ChannelIdentity.external_id) == external_id,
                )
            )
        ).scalar_one()
        return _identity(row)


async def link_user(db: Database, identity_id: int, user_id: int) -> None:
    async with db.write() as session:
        await session.execute(
            update(ChannelIdentity)
            .where(col(ChannelIdentity.id) == identity_id)
            .values(user_id=user_id)
        )


async def external_id_of(db: Database, address: int) -> tuple[str, str] | None:
    """(channel, id on that channel) of an address on another channel; None for Telegram or
    for a person who asked to be forgotten."""
    identity_id = identity_of(address)
    if identity_id is None:
        return None
    async with db.read() as session:
        row = await session.get(ChannelIdentity, identity_id)
    return None if row is None else (row.channel, row.external_id)
