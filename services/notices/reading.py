"""Notices as residents and their authors list and open them, and the "Read" receipts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.notices import Notice, NoticePoint, NoticeRead
from models.queries import insert_ignore
from models.tables import ContactPoint, Residency, User, pk, table_of
from services.errors import NotFound
from services.fanout.ledger import CANCELLED, SENDING, SENT, Progress, status_of
from services.notices import wording
from services.notices.base import NoticeBase
from services.notices.data import NoticeLine, NoticeMedia, ResidentNotice
from services.notices.text import first_line
from services.outbox import Button
from services.points import residency_of


class Reading(NoticeBase):
    async def mark_read(self, user_id: int, notice_id: int) -> bool:
        """The resident read the notice; True the first time, False when already counted."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None or not await self._visible_to(session, notice, user_id):
                raise NotFound("notices.not_found")
            if await session.get(NoticeRead, (notice_id, user_id)) is not None:
                return False
            await insert_ignore(
                session,
                table_of(NoticeRead),
                [{"notice_id": notice_id, "user_id": user_id, "read_at": now}],
                "notice_id",
                "user_id",
            )
            return True

    async def for_resident(self, user_id: int, limit: int = 10) -> list[NoticeLine]:
        """The recent notices of the resident's contact point, newest first."""
        async with self.ctx.db.read() as session:
            residency = await residency_of(session, user_id)
            if residency is None:
                return []
            point = await session.get(ContactPoint, residency.contact_point_id)
            assert point is not None
            read = (
                select(func.count())
                .select_from(NoticeRead)
                .where(
                    col(NoticeRead.notice_id) == col(Notice.id),
                    col(NoticeRead.user_id) == user_id,
                )
                .scalar_subquery()
            )
            rows = (
                await session.execute(
                    select(Notice, read)
                    .join(NoticePoint, col(NoticePoint.notice_id) == col(Notice.id))
                    .where(
                        col(NoticePoint.contact_point_id) == residency.contact_point_id,
                        col(Notice.status).in_((SENDING, SENT)),
                    )
                    .order_by(col(Notice.started_at).desc(), col(Notice.id).desc())
                    .limit(limit)
                )
            ).all()
            user = await session.get(User, user_id)
            locale = user.locale if user else self.ctx.config.default_locale
        return [
            NoticeLine(
                pk(n),
                n.status,
                n.started_at or n.send_at,
                first_line(n.texts.get(locale) or n.texts[n.fallback_locale]),
                bool(was_read),
                point.tz,
            )
            for n, was_read in rows
        ]

    async def open_for_resident(self, user_id: int, notice_id: int) -> ResidentNotice:
        async with self.ctx.db.read() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None or not await self._visible_to(session, notice, user_id):
                raise NotFound("notices.not_found")
            user = await session.get(User, user_id)
            assert user is not None
            read = await session.get(NoticeRead, (notice_id, user_id)) is not None
        locale = user.locale
        return ResidentNotice(
            pk(notice),
            wording.render_notice(self.texts, notice, locale),
            NoticeMedia.from_json(notice.media),
            read,
            [[self.read_button(locale, notice_id, read=read)]],
        )

    def read_button(self, locale: str, notice_id: int, *, read: bool) -> Button:
        return wording.read_button(self.texts, locale, notice_id, read=read)

    async def _visible_to(self, session: AsyncSession, notice: Notice, user_id: int) -> bool:
        """Delivered to this resident, or sent to their contact point (they joined since)."""
        if notice.status not in (SENDING, SENT, CANCELLED) or notice.started_at is None:
            return False
        if await status_of(session, f"notice{notice.id}:u{user_id}") is not None:
            return True
        if notice.status == CANCELLED:
            return False
        here = (
            await session.execute(
                select(col(NoticePoint.notice_id))
                .join(
                    Residency,
                    col(Residency.contact_point_id) == col(NoticePoint.contact_point_id),
                )
                .where(col(NoticePoint.notice_id) == notice.id, col(Residency.user_id) == user_id)
            )
        ).first()
        return here is not None

    # ---- staff ---------------------------------------------------------------------------

    async def of_author(self, user_id: int, limit: int = 10) -> list[NoticeLine]:
        async with self.ctx.db.read() as session:
            await self._rights(session, user_id)
            rows = (
                (
                    await session.execute(
                        select(Notice)
                        .where(col(Notice.author_user_id) == user_id)
                        .order_by(col(Notice.id).desc())
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
            tz = await self._default_tz(session)
        return [_line(n, tz) for n in rows]

    async def recent(self, limit: int = 20) -> list[tuple[NoticeLine, Progress]]:
        """Every recent notice with its figures (the office's CLI)."""
        async with self.ctx.db.read() as session:
            rows = (
                (await session.execute(select(Notice).order_by(col(Notice.id).desc()).limit(limit)))
                .scalars()
                .all()
            )
            tz = await self._default_tz(session)
            result = []
            for n in rows:
                progress = await self.progress_of(session, n, await self.tally(session, n))
                result.append((_line(n, tz), progress))
        return result


def _line(notice: Notice, tz: str) -> NoticeLine:
    title = first_line(wording.body_of(notice))
    return NoticeLine(
        pk(notice), notice.status, notice.started_at or notice.send_at, title, False, tz
    )
