"""A consultation's fan-outs on the shared engine (services/fanout): the invitation to the
residents of its points, the reminder to those who have not answered, and the outcome to
everyone who answered. Each is a ``consult_runs`` row with the fan-out's bookmark and ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from locales import LOCALES
from models.consultations import Consultation, ConsultationPoint, ConsultRoll, ConsultRun
from services.consultations import wording
from services.fanout.audience import residents_after
from services.fanout.engine import Fanout
from services.fanout.ledger import Progress

INVITE = "invite"
REMIND = "remind"
OUTCOME = "outcome"


class ConsultFanout(Fanout[ConsultRun]):
    model = ConsultRun
    _fallback = "zh_Hans"  # the consultation's language, set when its payloads are built

    def row_prefix(self, run: ConsultRun) -> str:
        return f"consult{run.consultation_id}:{run.purpose}:"

    def progress_key(self, run: ConsultRun) -> str:
        return f"cprog{run.consultation_id}:{run.purpose}"

    def fallback_locale(self, run: ConsultRun) -> str:
        return self._fallback

    async def _consultation(self, session: AsyncSession, run: ConsultRun) -> Consultation:
        consultation = await session.get(Consultation, run.consultation_id)
        assert consultation is not None
        self._fallback = consultation.fallback_locale
        return consultation

    async def recipients(
        self, session: AsyncSession, run: ConsultRun, size: int, scan: int
    ) -> tuple[list[int], int, bool]:
        if run.purpose == OUTCOME:
            return await _after(
                session,
                select(col(ConsultRoll.user_id)).where(
                    col(ConsultRoll.consultation_id) == run.consultation_id
                ),
                col(ConsultRoll.user_id),
                run.cursor,
                size,
            )
        points = set(
            (
                await session.execute(
                    select(col(ConsultationPoint.contact_point_id)).where(
                        col(ConsultationPoint.consultation_id) == run.consultation_id
                    )
                )
            )
            .scalars()
            .all()
        )
        wanted, cursor, done = await residents_after(session, points, run.cursor, size, scan)
        if run.purpose == REMIND and wanted:
            answered = set(
                (
                    await session.execute(
                        select(col(ConsultRoll.user_id)).where(
                            col(ConsultRoll.consultation_id) == run.consultation_id,
                            col(ConsultRoll.user_id).in_(wanted),
                        )
                    )
                )
                .scalars()
                .all()
            )
            wanted = [u for u in wanted if u not in answered]
        return wanted, cursor, done

    async def payloads(self, session: AsyncSession, run: ConsultRun) -> dict[str, dict[str, Any]]:
        consultation = await self._consultation(session, run)
        render = {
            INVITE: wording.invitation,
            REMIND: wording.reminder,
            OUTCOME: wording.outcome,
        }[run.purpose]
        return {loc: render(self.texts, consultation, loc) for loc in LOCALES}

    async def report(
        self, session: AsyncSession, run: ConsultRun, progress: Progress, now: Any
    ) -> None:
        if run.purpose == REMIND:
            return  # reminders run quietly
        consultation = await self._consultation(session, run)
        locale = consultation.fallback_locale
        text = wording.run_progress(self.texts, consultation, run, progress, locale)
        await self.show_progress(session, run, text, [], now, force=run.finished_at is not None)


async def _after(
    session: AsyncSession, query: Any, key: Any, cursor: int, size: int
) -> tuple[list[int], int, bool]:
    """The next ``size`` ids of ``query`` after ``cursor``, in order."""
    ids = [
        int(i)
        for i in (
            await session.execute(query.where(key > cursor).order_by(key).limit(size))
        ).scalars()
    ]
    return ids, (ids[-1] if ids else cursor), len(ids) < size


__all__ = ["INVITE", "OUTCOME", "REMIND", "ConsultFanout"]
