"""A consultation's life: it opens (its points fixed, the invitation fanned out, the reminder
planned), closes at its deadline, and ends with the outcome told to everyone who answered.
The author follows the results live and exports them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.consultations import (
    Consultation,
    ConsultationPoint,
    ConsultNamed,
    ConsultRoll,
    ConsultRun,
    ConsultSubmission,
)
from models.queries import insert_ignore
from models.tables import Staff, User, pk, table_of
from services.audit import audit
from services.consultations import results, wording
from services.consultations.base import CLOSED, OPEN, REMIND_KIND, SCHEDULED
from services.consultations.polls import Polls
from services.consultations.runs import INVITE, OUTCOME, REMIND
from services.errors import Invalid, NotFound
from services.fanout import audience as aud
from services.reminders import Due, Handler, plan

if TYPE_CHECKING:
    from services.reports.chart_specs import Chart

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResultsView:
    """What the author sees: the text (counts, percentages, averages, themes) and a chart per
    choice or scale question (empty unless asked for)."""

    text: str
    title: str  # in the reader's language
    charts: list[Chart] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


REMIND_BEFORE = timedelta(days=1)


class Lifecycle(Polls):
    def reminder_handlers(self) -> dict[str, Handler]:
        return {REMIND_KIND: self._remind}

    _due_to_open = select(col(Consultation.id)).where(
        col(Consultation.status) == SCHEDULED, col(Consultation.opens_at) <= bindparam("now")
    )
    _due_to_close = select(col(Consultation.id)).where(
        col(Consultation.status) == OPEN, col(Consultation.closes_at) <= bindparam("now")
    )
    _runs_going = select(col(ConsultRun.id)).where(col(ConsultRun.finished_at).is_(None))

    async def tick(self) -> int:
        """Open due consultations, close those past their deadline, advance every fan-out."""
        now = self.ctx.clock.now()
        # One short read when nothing is going on (the tick runs every few seconds then).
        async with self.ctx.db.read() as session:
            due = (await session.execute(self._due_to_open, {"now": now})).scalars().all()
            ending = (await session.execute(self._due_to_close, {"now": now})).scalars().all()
            runs = (await session.execute(self._runs_going)).scalars().all()
        for consultation_id in due:
            await self._open(int(consultation_id or 0), now)
        for consultation_id in ending:
            await self._end(int(consultation_id or 0), now)
        if due or ending:  # opening starts a run (the invitations), closing may end one
            async with self.ctx.db.read() as session:
                runs = (await session.execute(self._runs_going)).scalars().all()
        for run_id in runs:
            try:
                await self.runs.advance(int(run_id or 0))
            except Exception:
                log.exception("advancing consultation run %s failed; next tick retries", run_id)
        return len(due)

    async def _open(self, consultation_id: int, now: datetime) -> None:
        async with self.ctx.db.write() as session:
            claimed = await session.execute(
                update(Consultation)
                .where(
                    col(Consultation.id) == consultation_id, col(Consultation.status) == SCHEDULED
                )
                .values(status=OPEN)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return  # another instance opened it
            consultation = await self._get(session, consultation_id)
            await session.refresh(consultation)
            try:
                rights = await self._rights(session, consultation.author_user_id)
                scope = await aud.scope_points(session, rights)
                chosen = aud.pick(scope, aud.Audience.from_json(consultation.audience), "consult")
            except Exception:
                chosen = []  # the author lost the right meanwhile: nobody is asked
            await insert_ignore(
                session,
                table_of(ConsultationPoint),
                [{"consultation_id": consultation_id, "contact_point_id": pk(p)} for p in chosen],
                "consultation_id",
                "contact_point_id",
            )
            if not chosen:
                consultation.status = CLOSED
                consultation.closed_at = now
                return
            await self._start_run(session, consultation, INVITE, now)
            await self._post_polls(session, consultation, chosen, now)
            remind_at = consultation.closes_at - REMIND_BEFORE
            if remind_at > now:
                await plan(
                    session,
                    kind=REMIND_KIND,
                    subject=f"consultation:{consultation_id}",
                    due_at=remind_at,
                    now=now,
                    consultation_id=consultation_id,
                )

    async def _end(self, consultation_id: int, now: datetime) -> None:
        """The deadline: closed by one instance (a guarded update), which also closes its
        polls in the groups."""
        async with self.ctx.db.write() as session:
            claimed = await session.execute(
                update(Consultation)
                .where(col(Consultation.id) == consultation_id, col(Consultation.status) == OPEN)
                .values(status=CLOSED, closed_at=now)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                await self._stop_polls(session, consultation_id, now)

    async def _remind(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        """The day before closing: remind those who have not answered (a fan-out of its own)."""
        consultation = await session.get(Consultation, int(due.params["consultation_id"]))
        if consultation is None or consultation.status != OPEN:
            return False
        await self._start_run(session, consultation, REMIND, now)
        return True

    async def close(
        self, user_id: int | None, consultation_id: int, outcome: dict[str, str], adopted: int
    ) -> None:
        """Close it (at once, if still open) and tell everyone who answered the outcome."""
        now = self.ctx.clock.now()
        if not any(v.strip() for v in outcome.values()):
            raise Invalid("consult.outcome_empty")
        async with self.ctx.db.write() as session:
            consultation = await self._get(session, consultation_id)
            await self._may_manage(session, user_id, consultation)
            if consultation.outcome_at is not None:
                raise Invalid("consult.outcome_sent")
            answered = await self._answered(session, consultation_id)
            if not 0 <= adopted <= answered:
                raise Invalid("consult.adopted_range", most=answered)
            if consultation.status in (SCHEDULED, OPEN):
                consultation.closed_at = now
                await self._stop_polls(session, consultation_id, now)
            consultation.status = CLOSED
            consultation.outcome = outcome
            consultation.adopted = adopted
            consultation.outcome_at = now
            audit(session, now, user_id, "consult:close", f"consultation:{consultation_id}")
            await self._start_run(session, consultation, OUTCOME, now)

    async def received(self, user_id: int | None, consultation_id: int) -> int:
        """How many residents answered (for the author, or an administrator over it)."""
        async with self.ctx.db.read() as session:
            consultation = await self._get(session, consultation_id)
            await self._may_manage(session, user_id, consultation)
            return await self._answered(session, consultation_id)

    async def of_author(self, user_id: int, limit: int = 10) -> list[tuple[int, str, str]]:
        """The recent consultations this person may see and close: their own, and for an
        administrator also those whose points all lie in their region (id, title in their
        language, status)."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            query = select(Consultation).order_by(col(Consultation.id).desc())
            if not rights.is_admin:
                query = query.where(col(Consultation.author_user_id) == user_id)
            # An administrator's are checked one by one (the same rule as the results'), over a
            # bounded window of the newest.
            rows = (await session.execute(query.limit(limit * 20))).scalars().all()
            shown: list[Consultation] = []
            for consultation in rows:
                if len(shown) == limit:
                    break
                if consultation.author_user_id != user_id:
                    try:
                        await self._may_manage(session, user_id, consultation)
                    except NotFound:
                        continue
                shown.append(consultation)
        return [(pk(c), wording.title_of(c, rights.locale), c.status) for c in shown]

    async def _answered(self, session: AsyncSession, consultation_id: int) -> int:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(ConsultRoll)
                    .where(col(ConsultRoll.consultation_id) == consultation_id)
                )
            ).scalar_one()
        )

    async def _load(
        self, session: AsyncSession, user_id: int | None, consultation_id: int
    ) -> tuple[Consultation, list[dict[str, object]]]:
        consultation = await self._get(session, consultation_id)
        await self._may_manage(session, user_id, consultation)
        rows = (
            (
                await session.execute(
                    select(col(ConsultSubmission.answers))
                    .where(col(ConsultSubmission.consultation_id) == consultation_id)
                    .order_by(col(ConsultSubmission.id))
                )
            )
            .scalars()
            .all()
        )
        return consultation, list(rows)

    async def results(self, user_id: int | None, consultation_id: int, locale: str) -> str:
        """Counts and percentages so far, for the author or an administrator over it."""
        return (await self.results_view(user_id, consultation_id, locale)).text

    async def results_view(
        self, user_id: int | None, consultation_id: int, locale: str, *, charts: bool = False
    ) -> ResultsView:
        """The results' text and, with ``charts``, a PNG per choice and scale question. The
        figures (the free-text grouping above all) and the drawing run off the event loop."""
        async with self.ctx.db.read() as session:
            consultation, answers = await self._load(session, user_id, consultation_id)
            invited = await self._invited(session, consultation_id)
            names = await self._names_to_mask(session, consultation)
            polled = await self._poll_figures(session, consultation)
        questions = wording.questions_of(consultation)
        stats = await asyncio.to_thread(results.figures, questions, answers, invited, names)
        for number, figures in polled.items():
            if 0 <= number < len(stats["questions"]):
                stats["questions"][number]["polls"] = figures
        text = wording.results_text(self.texts, consultation, stats, locale)
        drawn: list[Chart] = []
        if charts:
            from services.consultations import charts as chart_maker

            drawn = await asyncio.to_thread(
                chart_maker.draw,
                self.texts,
                questions,
                stats,
                locale,
                consultation.fallback_locale,
            )
        title = wording.title_of(consultation, locale)
        return ResultsView(text, title, drawn, stats)

    async def _names_to_mask(self, session: AsyncSession, consultation: Consultation) -> list[str]:
        """Names masked in the themes' excerpts: every staff member's and, when named, those of
        the residents who answered (an anonymous consultation knows nobody's)."""
        query = select(col(User.name)).join(Staff, col(Staff.user_id) == col(User.id))
        names = [str(n) for n in (await session.execute(query)).scalars() if n]
        if not consultation.anonymous:
            query = (
                select(col(User.name))
                .join(ConsultNamed, col(ConsultNamed.user_id) == col(User.id))
                .where(col(ConsultNamed.consultation_id) == consultation.id)
            )
            names += [str(n) for n in (await session.execute(query)).scalars() if n]
        return names

    async def _invited(self, session: AsyncSession, consultation_id: int) -> int:
        run = (
            await session.execute(
                select(ConsultRun).where(
                    col(ConsultRun.consultation_id) == consultation_id,
                    col(ConsultRun.purpose) == INVITE,
                )
            )
        ).scalar()
        if run is None:
            return 0
        if run.fanout_done_at is not None:
            return run.audience_size
        points = await self._point_ids(session, consultation_id)
        return (await aud.count_residents(session, points))[0]

    async def export(self, user_id: int | None, consultation_id: int, locale: str) -> bytes:
        """XLSX: one row per submission; a named consultation's rows name the resident; a second
        sheet holds the group polls' votes (as the results count them)."""
        async with self.ctx.db.read() as session:
            consultation = await self._get(session, consultation_id)
            await self._may_manage(session, user_id, consultation)
            query = select(col(ConsultSubmission.id), col(ConsultSubmission.answers)).where(
                col(ConsultSubmission.consultation_id) == consultation_id
            )
            submissions = (await session.execute(query.order_by(col(ConsultSubmission.id)))).all()
            names: dict[str, str] = {}
            if not consultation.anonymous:
                names = {
                    str(sid): str(name)
                    for sid, name in (
                        await session.execute(
                            select(col(ConsultNamed.submission_id), col(User.name))
                            .join(User, col(User.id) == col(ConsultNamed.user_id))
                            .where(col(ConsultNamed.consultation_id) == consultation_id)
                        )
                    ).all()
                }
            polled = await self._poll_figures(session, consultation)
        heading = None if consultation.anonymous else self.texts(locale, "consult.export_person")
        rows = [(names.get(str(sid)), dict(answers)) for sid, answers in submissions]
        t = self.texts
        note = (
            "consult.export_polls_anonymous"
            if consultation.anonymous
            else "consult.export_polls_named"
        )
        sheet = results.PollSheet(
            title=t(locale, "consult.export_polls_sheet"),
            note=t(locale, note),
            heading=[
                t(locale, "consult.export_polls_question"),
                t(locale, "consult.export_polls_option"),
                t(locale, "consult.export_polls_votes"),
            ],
            voters_label=t(locale, "consult.export_polls_voters"),
            figures=polled,
        )
        return results.xlsx(
            wording.questions_of(consultation),
            locale,
            consultation.fallback_locale,
            rows,
            heading,
            sheet,
        )
