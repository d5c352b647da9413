"""What outside channels (WeChat) sent, kept before it is handled: stored once, answered at once.

The callback calls :func:`accept` and answers WeChat straight away; a retried push finds its
``dedupe_key`` taken and is dropped, so WeChat's retries can never file a second case. Workers
:func:`claim` each sender's oldest waiting row under a lease (one row per sender at a time, so a
resident's messages are handled in the order sent), and :func:`finish` empties its payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import col

from models.channels import ChannelInbox
from models.db import Database
from models.queries import dialect_insert
from models.tables import table_of

LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Inbound:
    id: int
    channel: str
    sender: str
    payload: dict[str, str]
    attempts: int = 1


async def accept(
    db: Database, channel: str, dedupe_key: str, sender: str, payload: dict[str, str], now: datetime
) -> bool:
    """Keep one message; False when the same message was kept before (a retry)."""
    row = {
        "channel": channel,
        "dedupe_key": dedupe_key,
        "sender": sender,
        "received_at": now,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
    }
    async with db.write() as session:
        stmt = dialect_insert(session, table_of(ChannelInbox)).values(row)
        result = await session.execute(
            stmt.on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim(db: Database, channel: str, now: datetime, limit: int = 50) -> list[Inbound]:
    """Each sender's oldest waiting row, leased; none of a sender whose earlier row is in hand."""
    waiting = and_(col(ChannelInbox.channel) == channel, col(ChannelInbox.status) == "pending")
    in_hand = and_(waiting, col(ChannelInbox.locked_until) > now)
    async with db.write() as session:
        busy = select(col(ChannelInbox.sender)).where(in_hand)
        oldest = (
            select(func.min(col(ChannelInbox.id)))
            .where(waiting, col(ChannelInbox.sender).not_in(busy))
            .group_by(col(ChannelInbox.sender))
            .limit(limit)
        )
        rows = (
            await session.execute(
                update(ChannelInbox)
                .where(
                    col(ChannelInbox.id).in_(oldest),
                    or_(
                        col(ChannelInbox.locked_until).is_(None),
                        col(ChannelInbox.locked_until) <= now,
                    ),
                )
                .values(locked_until=now + LEASE, attempts=col(ChannelInbox.attempts) + 1)
                .returning(
                    col(ChannelInbox.id),
                    col(ChannelInbox.channel),
                    col(ChannelInbox.sender),
                    col(ChannelInbox.payload),
                    col(ChannelInbox.attempts),
                )
            )
        ).all()
    return [
        Inbound(id=cast(int, r[0]), channel=r[1], sender=r[2], payload=r[3], attempts=int(r[4]))
        for r in rows
    ]


async def finish(db: Database, inbound_id: int, *, failed: bool = False) -> None:
    """Handled (or given up on): the row keeps its key against retries, not its content."""
    async with db.write() as session:
        await session.execute(
            update(ChannelInbox)
            .where(col(ChannelInbox.id) == inbound_id)
            .values(status="failed" if failed else "done", payload={}, locked_until=None)
        )


async def postpone(db: Database, inbound_id: int, until: datetime) -> None:
    """Handling failed (the database blinked, a bug): try the row again from ``until``; the
    sender's later rows wait behind it, so their order holds."""
    async with db.write() as session:
        await session.execute(
            update(ChannelInbox)
            .where(col(ChannelInbox.id) == inbound_id)
            .values(locked_until=until)
        )
