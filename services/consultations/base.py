"""What the consultation use cases share: the fan-out runner, the refusal rules, lookups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.consultations import Consultation, ConsultationPoint, ConsultRun
from models.tables import ContactPoint, Residency
from services.consultations.cache import FormCache
from services.consultations.runs import ConsultFanout
from services.context import Context
from services.errors import NotFound
from services.fanout import audience as aud
from services.fanout.ledger import SENDING
from services.outbox import enqueue, text_message
from services.texts import Texts

SCHEDULED = "scheduled"
OPEN = "open"
CLOSED = "closed"
REMIND_KIND = "consult_remind"


class ConsultBase:
    def __init__(self, ctx: Context, **fanout: Any) -> None:
        self.ctx = ctx
        self.texts: Texts = ctx.texts
        self.runs = ConsultFanout(ctx, **fanout)
        self.forms = FormCache()

    async def _rights(self, session: AsyncSession, user_id: int | None) -> aud.Rights:
        return await aud.rights_of(session, user_id, self.ctx.config.default_locale, "consult")

    async def _get(self, session: AsyncSession, consultation_id: int) -> Consultation:
        consultation = await session.get(Consultation, consultation_id)
        if consultation is None:
            raise NotFound("consult.not_found")
        return consultation

    async def _point_ids(self, session: AsyncSession, consultation_id: int) -> list[int]:
        return list(
            (
                await session.execute(
                    select(col(ConsultationPoint.contact_point_id)).where(
                        col(ConsultationPoint.consultation_id) == consultation_id
                    )
                )
            )
            .scalars()
            .all()
        )

    async def _may_manage(
        self, session: AsyncSession, user_id: int | None, consultation: Consultation
    ) -> None:
        """The author, or an administrator whose region covers every point it asks; staff of
        another point are told it does not exist."""

        async def regions() -> list[str]:
            points = await self._point_ids(session, consultation.id or 0)
            query = select(col(ContactPoint.region)).where(col(ContactPoint.id).in_(points))
            return list((await session.execute(query)).scalars().all())

        author = consultation.author_user_id
        default = self.ctx.config.default_locale
        if not await aud.may_manage(session, user_id, author, regions, default):
            raise NotFound("consult.not_found")

    async def _asks(self, session: AsyncSession, consultation: Consultation, user_id: int) -> bool:
        """The consultation asks this resident (they live at one of its points)."""
        point = (
            await session.execute(
                select(col(Residency.contact_point_id)).where(col(Residency.user_id) == user_id)
            )
        ).scalar()
        return point is not None and point in await self._point_ids(session, consultation.id or 0)

    async def _start_run(
        self, session: AsyncSession, consultation: Consultation, purpose: str, now: datetime
    ) -> None:
        """Start one of the consultation's fan-outs (once: the purpose is unique), with the
        author's progress message that the fan-out then edits in place."""
        exists = (
            await session.execute(
                select(col(ConsultRun.id)).where(
                    col(ConsultRun.consultation_id) == consultation.id,
                    col(ConsultRun.purpose) == purpose,
                )
            )
        ).scalar()
        if exists is not None:
            return
        run = ConsultRun(
            consultation_id=consultation.id or 0,
            purpose=purpose,
            status=SENDING,
            send_at=now,
            author_user_id=consultation.author_user_id,
            author_chat_id=None if purpose == "remind" else consultation.author_chat_id,
        )
        session.add(run)
        await session.flush()
        await self.runs.begin(session, run, now, [])
        if run.author_chat_id is not None:
            locale = consultation.fallback_locale
            await enqueue(
                session,
                now,
                key=f"{self.runs.progress_key(run)}:0",
                chat_id=run.author_chat_id,
                payload=text_message(self.texts(locale, "consult.run_started", id=consultation.id)),
                recipient_user_id=run.author_user_id,
            )
