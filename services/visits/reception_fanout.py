"""Reception-day announcements on the shared fan-out (services/fanout): the advance notice, the
morning notice and the cancellation to the residents of the day's point, each a
``reception_runs`` row with the fan-out's bookmark and ledger.

Paced like a notice: only a window of rows is queued ahead of the sender, so case relays wait
seconds at most behind a county-wide announcement; a kill resumes after the last committed
chunk (and each row's key ``reception{day}:{purpose}:u{user}`` guards as well); calling the day
off cancels the rows not yet sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from locales import LOCALES
from models.enums import OutboxStatus
from models.tables import ContactPoint, Outbox, Residency, Staff
from models.visits import ReceptionDay, ReceptionRun
from services.cards import staff_name
from services.fanout import ledger as lg
from services.fanout.engine import ChunkResult, Fanout
from services.outbox import text_message
from services.staff import label_of
from services.texts import esc
from services.visits.wording import day_text, hours_text

NOTICE = "notice"
TODAY = "today"
CANCELLED = "cancelled"

TEXT_KEYS = {
    NOTICE: "visits.reception.notice",
    TODAY: "visits.reception.today",
    CANCELLED: "visits.reception.cancelled",
}


def told_of_day(day_id: int) -> ColumnElement[bool]:
    """The resident (``Residency.user_id``) was sent an announcement of this day: its row,
    found by its unique key ``reception{day}:{purpose}:u{user}``, is sent or being sent."""
    user = cast(col(Residency.user_id), String)
    keys = [literal(f"reception{day_id}:{purpose}:u") + user for purpose in (NOTICE, TODAY)]
    return exists().where(
        col(Outbox.dedupe_key).in_(keys),
        col(Outbox.status).in_((OutboxStatus.SENT, OutboxStatus.SENDING)),
    )


class ReceptionFanout(Fanout[ReceptionRun]):
    model = ReceptionRun

    def row_prefix(self, run: ReceptionRun) -> str:
        return f"reception{run.reception_day_id}:{run.purpose}:"

    def progress_key(self, run: ReceptionRun) -> str:
        return f"rprog{run.reception_day_id}:{run.purpose}"  # unused: no author message

    def fallback_locale(self, run: ReceptionRun) -> str:
        return self.ctx.config.default_locale

    async def _day(self, session: AsyncSession, run: ReceptionRun) -> ReceptionDay:
        day = await session.get(ReceptionDay, run.reception_day_id)
        assert day is not None
        return day

    async def recipients(
        self, session: AsyncSession, run: ReceptionRun, size: int, scan: int
    ) -> tuple[list[int], int, bool]:
        """The point's residents after the cursor, in id order, but the cadre (blocked ones
        are skipped and counted by the engine). A cancellation goes only to those who heard of
        the day: an announcement of it was sent to them (or is being sent)."""
        day = await self._day(session, run)
        cadre = (
            await session.execute(select(col(Staff.user_id)).where(col(Staff.id) == day.staff_id))
        ).scalar()
        query = (
            select(col(Residency.user_id))
            .where(
                col(Residency.contact_point_id) == day.contact_point_id,
                col(Residency.user_id) > run.cursor,
            )
            .order_by(col(Residency.user_id))
            .limit(size)
        )
        if run.purpose == CANCELLED:
            query = query.where(told_of_day(run.reception_day_id))
        ids = [int(i) for i in (await session.execute(query)).scalars()]
        cursor = ids[-1] if ids else run.cursor
        return [i for i in ids if i != cadre], cursor, len(ids) < size

    async def payloads(self, session: AsyncSession, run: ReceptionRun) -> dict[str, dict[str, Any]]:
        """The texts residents were always sent, one per language."""
        day = await self._day(session, run)
        point = await session.get(ContactPoint, day.contact_point_id)
        assert point is not None
        cadre = await label_of(session, day.staff_id)
        return {
            locale: text_message(
                self.texts(
                    locale,
                    TEXT_KEYS[run.purpose],
                    point=esc(point.name),
                    address=esc(point.address or point.name),
                    name=staff_name(self.texts, locale, cadre.name, cadre.title),
                    day=day_text(self.texts, locale, day.day),
                    hours=hours_text(day.starts_at, day.ends_at, point.tz),
                )
            )
            for locale in LOCALES
        }

    async def queue_first(
        self, session: AsyncSession, run: ReceptionRun, now: datetime
    ) -> ChunkResult:
        """Queue the first window in the caller's transaction (the run's start), so residents of
        an ordinary point are told with the announcement itself; larger points are continued
        by the tick (``advance``), a window at a time: ``queue_chunk``'s step, in this
        transaction."""
        room, queued, skipped, done = self.first_window, 0, 0, False
        while room > 0 and not done:
            size = min(room, self.chunk_size)
            chunk = await self.queue_in(session, run, size, size, now)
            queued, skipped, done = queued + chunk.queued, skipped + chunk.skipped, chunk.done
            room -= chunk.queued + chunk.skipped
        await session.flush()
        return ChunkResult(queued, skipped, done)

    async def cancel_in(self, session: AsyncSession, run: ReceptionRun) -> int:
        """Stop the run and cancel all its rows not yet sent, in the caller's transaction."""
        if run.finished_at is None:
            run.status = lg.CANCELLED
        cancelled = 0
        while True:
            n = await self.cancel_rows(session, run, batch=self.chunk_size)
            cancelled += n
            if n < self.chunk_size:
                return cancelled


__all__ = ["CANCELLED", "NOTICE", "TEXT_KEYS", "TODAY", "ReceptionFanout"]
