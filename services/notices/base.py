"""What every notices use case shares: the notice's fan-out hooks (who gets it, what they get,
how its progress reads) and the lookups of who may manage it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from locales import LOCALES
from models.notices import Notice, NoticePoint, NoticeRead
from models.tables import ContactPoint, User, pk
from services.errors import NotFound, Refusal
from services.fanout import audience as aud
from services.fanout.engine import Fanout
from services.fanout.ledger import Progress
from services.notices import wording
from services.outbox import Button, enqueue, text_message
from services.reminders import Handler


class NoticeBase(Fanout[Notice]):
    model = Notice

    def reminder_handlers(self) -> dict[str, Handler]:
        return {}

    # ---- the fan-out's hooks -------------------------------------------------------------

    def row_prefix(self, run: Notice) -> str:
        return f"notice{run.id}:"

    def other_prefixes(self, run: Notice) -> tuple[str, ...]:
        return (f"ngroup{run.id}:",)

    def progress_key(self, run: Notice) -> str:
        return f"nprog{run.id}"

    def fallback_locale(self, run: Notice) -> str:
        return run.fallback_locale

    async def recipients(
        self, session: AsyncSession, run: Notice, size: int, scan: int
    ) -> tuple[list[int], int, bool]:
        points = set(
            (
                await session.execute(
                    select(col(NoticePoint.contact_point_id)).where(
                        col(NoticePoint.notice_id) == run.id
                    )
                )
            )
            .scalars()
            .all()
        )
        return await aud.residents_after(session, points, run.cursor, size, scan)

    async def payloads(self, session: AsyncSession, run: Notice) -> dict[str, dict[str, Any]]:
        return {loc: wording.resident_payload(self.texts, run, loc) for loc in LOCALES}

    async def reads(self, session: AsyncSession, run: Notice) -> int:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(NoticeRead)
                    .where(col(NoticeRead.notice_id) == run.id)
                )
            ).scalar_one()
        )

    async def report(
        self, session: AsyncSession, run: Notice, progress: Progress, now: datetime
    ) -> None:
        locale = await self.author_locale(session, run)
        text, buttons = wording.progress_text(self.texts, run, progress, locale)
        final = run.finished_at is not None
        await self.show_progress(session, run, text, buttons, now, force=final)
        if final and run.author_chat_id is not None:
            # An edit makes no sound: tell the author it is over in a message of its own.
            await enqueue(
                session,
                now,
                key=f"nfinal{run.id}",
                chat_id=run.author_chat_id,
                payload=text_message(
                    self.texts(locale, "notices.finished_ping", id=run.id),
                    [[Button(self.texts(locale, "notices.btn_details"), "notice_open", pk(run))]],
                ),
                recipient_user_id=run.author_user_id,
            )

    # ---- shared lookups ------------------------------------------------------------------

    async def _rights(self, session: AsyncSession, user_id: int | None) -> aud.Rights:
        return await aud.rights_of(session, user_id, self.ctx.config.default_locale)

    async def _scope_points(self, session: AsyncSession, rights: aud.Rights) -> list[ContactPoint]:
        return await aud.scope_points(session, rights)

    async def _may_manage(self, session: AsyncSession, user_id: int | None, notice: Notice) -> None:
        """The author, or an administrator whose scope covers all of the notice's points."""

        async def regions() -> list[str]:
            if notice.started_at is None:  # not fixed yet: the points it would go to now
                return [p.region for p in await self._audience_points(session, notice)]
            return list(
                (
                    await session.execute(
                        select(col(ContactPoint.region))
                        .join(
                            NoticePoint, col(NoticePoint.contact_point_id) == col(ContactPoint.id)
                        )
                        .where(col(NoticePoint.notice_id) == notice.id)
                    )
                )
                .scalars()
                .all()
            )

        default = self.ctx.config.default_locale
        if not await aud.may_manage(session, user_id, notice.author_user_id, regions, default):
            raise NotFound("notices.not_found")

    async def _audience_points(self, session: AsyncSession, notice: Notice) -> list[ContactPoint]:
        """The points a notice goes to, with its author's rights as they are now (none if the
        author lost them meanwhile, e.g. a cadre who moved on)."""
        try:
            rights = await self._rights(session, notice.author_user_id)
            scope = await self._scope_points(session, rights)
            return aud.pick(scope, aud.Audience.from_json(notice.audience))
        except Refusal:
            return []

    async def author_locale(self, session: AsyncSession, notice: Notice) -> str:
        if notice.author_user_id is not None:
            author = await session.get(User, notice.author_user_id)
            if author is not None:
                return author.locale
        return notice.fallback_locale

    async def _default_tz(self, session: AsyncSession) -> str:
        tz = (await session.execute(select(col(ContactPoint.tz)).limit(1))).scalar()
        return str(tz or "Asia/Shanghai")

    def registration_link(self, code: str) -> str:
        return f"https://t.me/{self.ctx.config.bot_username}?start=cp_{code}"
