"""Sending a notice: the scheduler's tick starts due notices and advances those in flight;
starting fixes the audience as contact points and queues the posts to linked groups; the
author (or an administrator over it) follows the progress and may stop it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.notices import Notice, NoticePoint
from models.queries import insert_ignore
from models.tables import pk, table_of
from services.audit import audit
from services.errors import Invalid, NotFound
from services.fanout.audience import count_residents
from services.fanout.ledger import CANCELLED, SCHEDULED, SENDING, SENT, Progress
from services.notices import wording
from services.notices.base import NoticeBase
from services.notices.data import TickReport
from services.notices.text import first_line
from services.outbox import Button, Keyboard
from services.texts import esc

log = logging.getLogger("services.notices")

# What the tick reads: scheduled notices now due, and those in flight.
_DUE = select(col(Notice.id)).where(
    col(Notice.status) == SCHEDULED, col(Notice.send_at) <= bindparam("now")
)
_GOING = (
    select(col(Notice.id))
    .where(col(Notice.status).in_((SENDING, CANCELLED)), col(Notice.finished_at).is_(None))
    .order_by(col(Notice.id))
)


class Sending(NoticeBase):
    async def tick(self) -> TickReport:
        """Start due notices, then advance every notice in flight (progress, fan-out, end)."""
        now = self.ctx.clock.now()
        # One short read when nothing is going on (the tick runs every few seconds then).
        async with self.ctx.db.read() as session:
            due = (await session.execute(_DUE, {"now": now})).scalars().all()
            going = (await session.execute(_GOING)).scalars().all()
        begun = await self._start_each(due, now)
        # A notice started now goes out in this tick.
        open_ids = sorted({*(int(i or 0) for i in going), *begun})
        queued = finished = 0
        for notice_id in open_ids:
            try:
                progress = await self.advance(notice_id)
            except Exception:
                log.exception("advancing notice %s failed; next tick retries", notice_id)
                continue
            if progress is None:
                continue
            queued += progress[1]
            finished += int(progress[0].finished)
        return TickReport(len(begun), len(open_ids), queued, finished)

    async def start_due(self) -> int:
        """Move due scheduled notices to sending; a guarded update, so one instance starts each."""
        now = self.ctx.clock.now()
        async with self.ctx.db.read() as session:
            due = (await session.execute(_DUE, {"now": now})).scalars().all()
        return len(await self._start_each(due, now))

    async def _start_each(self, due: Sequence[int | None], now: datetime) -> list[int]:
        """Start each of these notices still scheduled; the ids of those this call started."""
        started: list[int] = []
        for notice_id in due:
            async with self.ctx.db.write() as session:
                claimed = await session.execute(
                    update(Notice)
                    .where(
                        col(Notice.id) == notice_id,
                        col(Notice.status) == SCHEDULED,
                        col(Notice.send_at) <= now,
                    )
                    .values(status=SENDING, started_at=now)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another instance started it, or it was cancelled meanwhile
                notice = await session.get(Notice, notice_id, populate_existing=True)
                assert notice is not None
                await self._start(session, notice, now)
                started.append(int(notice_id or 0))
        return started

    async def _start(self, session: AsyncSession, notice: Notice, now: datetime) -> None:
        """Fix the audience (with the author's rights as they are now), mark where the notice's
        outbox rows begin, and queue the posts to linked groups."""
        chosen = await self._audience_points(session, notice)
        notice.started_at = notice.started_at or now
        if not chosen:
            notice.status = CANCELLED
            notice.cancelled_at = notice.finished_at = now
            return
        await insert_ignore(
            session,
            table_of(NoticePoint),
            [{"notice_id": notice.id, "contact_point_id": pk(p)} for p in chosen],
            "notice_id",
            "contact_point_id",
        )
        notice.audience_size, _ = await count_residents(session, [pk(p) for p in chosen])
        group_rows = [
            {
                "dedupe_key": f"ngroup{notice.id}:p{point.id}",
                "chat_id": point.group_chat_id,
                "payload": wording.group_payload(
                    self.texts, notice, point, self.registration_link(point.code)
                ),
            }
            for point in chosen
            if point.group_chat_id is not None
        ]
        await self.begin(session, notice, now, group_rows)

    async def cancel(self, user_id: int | None, notice_id: int) -> Progress:
        """Stop a notice: nothing more is queued, and what is not yet sent never will be."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            notice = await self.locked(session, notice_id)
            if notice is None:
                raise NotFound("notices.not_found")
            await self._may_manage(session, user_id, notice)
            if notice.status == SENT or (
                notice.finished_at is not None and notice.status != CANCELLED
            ):
                raise Invalid("notices.already_finished", id=notice_id)
            if notice.status != CANCELLED:
                was = notice.status
                notice.status = CANCELLED
                notice.cancelled_at = now
                notice.cancelled_by_user_id = user_id
                if was == SCHEDULED:
                    notice.finished_at = now  # nothing was sent; nothing to report on
                    text, buttons = await self._status_message(session, notice)
                    await self.show_progress(session, notice, text, buttons, now, force=True)
                audit(session, now, user_id, "notice:cancel", f"notice:{notice_id}", was=was)
        await self.cancel_all_pending(notice_id)
        return await self.progress(user_id, notice_id)

    async def progress(self, user_id: int | None, notice_id: int) -> Progress:
        """Where a notice stands (read-only), for its author or an administrator over it."""
        async with self.ctx.db.read() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None:
                raise NotFound("notices.not_found")
            await self._may_manage(session, user_id, notice)
            return await self.progress_of(session, notice, await self.tally(session, notice))

    async def details(self, user_id: int, notice_id: int, locale: str) -> tuple[str, Keyboard]:
        """The author's card for one notice: its status and figures, with what can be done."""
        async with self.ctx.db.read() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None:
                raise NotFound("notices.not_found")
            await self._may_manage(session, user_id, notice)
            progress = await self.progress_of(session, notice, await self.tally(session, notice))
            text, buttons = wording.progress_text(self.texts, notice, progress, locale)
        title = esc(first_line(wording.body_of(notice)))
        head = self.texts(locale, "notices.details_head", title=title)
        refresh = [Button(self.texts(locale, "notices.btn_refresh"), "notice_refresh", notice_id)]
        return head + "\n\n" + text, [*buttons, refresh]

    async def _status_message(self, session: AsyncSession, notice: Notice) -> tuple[str, Keyboard]:
        locale = await self.author_locale(session, notice)
        progress = await self.progress_of(session, notice, await self.tally(session, notice))
        return wording.progress_text(self.texts, notice, progress, locale)
