"""Outbox rules of channels that cannot always deliver (WeChat's 48-hour reply window).

A row the channel refuses for now is *parked* (status ``waiting``), with every later row of the
same chat: it is not "sent", not dead, and costs no calls while it waits. When the person next
writes, :func:`unpark` puts their rows back in line, in their order. The author of a parked
relay (a cadre's reply) is told once that it waits, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.db import OUTBOX_TOUCHED
from models.enums import OutboxStatus
from models.tables import Case, CaseEvent, Outbox, User
from services.context import Context
from services.outbox import Claimed, enqueue, text_message


@dataclass(frozen=True)
class Parked:
    rows: int
    first: bool  # nothing of this chat was waiting before: tell the person (subscription)


async def park(ctx: Context, worker_id: str, row: Claimed, reason: str) -> Parked:
    """Park ``row`` (claimed by ``worker_id``) and the chat's later pending rows."""
    now = ctx.clock.now()
    async with ctx.db.write() as session:
        before = (
            await session.execute(
                select(col(Outbox.id))
                .where(
                    col(Outbox.chat_id) == row.chat_id,
                    col(Outbox.status) == OutboxStatus.WAITING,
                )
                .limit(1)
            )
        ).first()
        later = (
            await session.execute(
                select(col(Outbox.id), col(Outbox.dedupe_key), col(Outbox.event_id))
                .where(
                    col(Outbox.chat_id) == row.chat_id,
                    or_(
                        and_(col(Outbox.id) == row.id, col(Outbox.locked_by) == worker_id),
                        and_(col(Outbox.id) > row.id, col(Outbox.status) == OutboxStatus.PENDING),
                    ),
                )
                .order_by(col(Outbox.id))
            )
        ).all()
        ids = [r[0] for r in later]
        if ids:
            await session.execute(
                update(Outbox)
                .where(col(Outbox.id).in_(ids))
                .values(
                    status=OutboxStatus.WAITING,
                    last_error=reason[:500],
                    locked_by=None,
                    locked_until=None,
                )
            )
        for rid, key, event_id in later:
            if str(key).startswith("ev") and event_id:
                await _tell_author(ctx, session, int(rid or 0), int(event_id), row.chat_id, now)
    return Parked(rows=len(ids), first=before is None and bool(ids))


async def _tell_author(
    ctx: Context, session: AsyncSession, row_id: int, event_id: int, chat_id: int, now: datetime
) -> None:
    author = (
        await session.execute(
            select(col(User.id), col(User.chat_id), col(User.locale), col(Case.public_no))
            .join(CaseEvent, col(CaseEvent.actor_user_id) == col(User.id))
            .join(Case, col(Case.id) == col(CaseEvent.case_id))
            .where(col(CaseEvent.id) == event_id)
        )
    ).first()
    if author is None or author[1] is None or author[1] == chat_id:
        return
    user_id, author_chat, locale, case_no = author
    await enqueue(
        session,
        now,
        key=f"waiting{row_id}",
        chat_id=int(author_chat),
        payload=text_message(ctx.texts(locale, "wx.delivery_waiting", no=case_no)),
        recipient_user_id=int(user_id or 0),
    )


async def tell_chat(
    ctx: Context, chat_id: int, key: str, text_key: str, kind: str = "other", **params: object
) -> None:
    """Tell the person of ``chat_id`` (in their language) that a file of ``kind`` they sent
    could not cross to the other channel; queued once per ``key``."""
    async with ctx.db.write() as session:
        user = (
            await session.execute(
                select(col(User.id), col(User.locale)).where(col(User.chat_id) == chat_id)
            )
        ).first()
        locale = str(user[1]) if user else ctx.config.default_locale
        what = ctx.texts(locale, f"content.{kind}")
        await enqueue(
            session,
            ctx.clock.now(),
            key=key,
            chat_id=chat_id,
            payload=text_message(ctx.texts(locale, text_key, kind=what, **params)),
            recipient_user_id=int(user[0] or 0) if user else None,
        )


async def tell_author(
    ctx: Context, event_id: int, key: str, text_key: str, kind: str = "other", **params: object
) -> None:
    """Tell the author of a relayed message (a cadre's reply, event ``event_id``), in their
    language, that its file of ``kind`` did not cross to the resident's channel."""
    async with ctx.db.write() as session:
        author = (
            await session.execute(
                select(col(User.id), col(User.chat_id), col(User.locale), col(Case.public_no))
                .join(CaseEvent, col(CaseEvent.actor_user_id) == col(User.id))
                .join(Case, col(Case.id) == col(CaseEvent.case_id))
                .where(col(CaseEvent.id) == event_id)
            )
        ).first()
        if author is None or author[1] is None:
            return
        user_id, chat_id, locale, case_no = author
        what = ctx.texts(locale, f"content.{kind}")
        text = ctx.texts(locale, text_key, kind=what, no=case_no, **params)
        await enqueue(
            session,
            ctx.clock.now(),
            key=key,
            chat_id=int(chat_id),
            payload=text_message(text),
            recipient_user_id=int(user_id or 0),
        )


async def unpark(ctx: Context, chat_id: int) -> int:
    """The person wrote again (a new reply window): their waiting rows go out, in order."""
    async with ctx.db.write() as session:
        result = await session.execute(
            update(Outbox)
            .where(col(Outbox.chat_id) == chat_id, col(Outbox.status) == OutboxStatus.WAITING)
            .values(status=OutboxStatus.PENDING, next_attempt_at=ctx.clock.now())
        )
        moved = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if moved:
            session.info[OUTBOX_TOUCHED] = True
    return moved


async def locale_of(ctx: Context, user_id: int | None) -> str:
    if user_id is None:
        return ctx.config.default_locale
    async with ctx.db.read() as session:
        locale = (
            await session.execute(select(col(User.locale)).where(col(User.id) == user_id))
        ).scalar()
    return str(locale or ctx.config.default_locale)
