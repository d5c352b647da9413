"""Residents answer: one submission each (the roll's key), changed until the deadline when the
consultation is named, refused after it; and the list residents see, with the outcome."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.consultations import (
    Consultation,
    ConsultationPoint,
    ConsultNamed,
    ConsultRoll,
    ConsultSubmission,
)
from models.tables import Residency, User, pk
from services.consultations import wording
from services.consultations.base import CLOSED, OPEN, SCHEDULED, ConsultBase
from services.consultations.cache import Fixed
from services.consultations.form import Question, check_answer
from services.errors import Invalid, NotFound


@dataclass(frozen=True)
class Answering:
    consultation: Consultation  # the form (a shared snapshot: not its status)
    answers: dict[str, Any]  # what they submitted before (named only), to change it
    submitted: bool
    questions: list[Question] = field(default_factory=list)  # parsed


@dataclass(frozen=True)
class ResidentLine:
    id: int
    title: str
    status: str
    closes_at: datetime
    tz: str
    answered: bool
    received: int
    adopted: int
    has_outcome: bool
    anonymous: bool


@dataclass(frozen=True)
class _Live:
    """What changes of a consultation and a resident, read on every step: one query."""

    status: str
    closes_at: datetime
    created_at: datetime
    point: int | None  # the resident's point
    answered: bool  # in the roll


class Residents(ConsultBase):
    async def _live(self, session: AsyncSession, consultation_id: int, user_id: int) -> _Live:
        point = (
            select(col(Residency.contact_point_id))
            .where(col(Residency.user_id) == user_id)
            .scalar_subquery()
        )
        answered = (
            select(col(ConsultRoll.user_id))
            .where(
                col(ConsultRoll.consultation_id) == consultation_id,
                col(ConsultRoll.user_id) == user_id,
            )
            .exists()
        )
        row = (
            await session.execute(
                select(
                    col(Consultation.status),
                    col(Consultation.closes_at),
                    col(Consultation.created_at),
                    point,
                    answered,
                ).where(col(Consultation.id) == consultation_id)
            )
        ).first()
        if row is None:
            raise NotFound("consult.not_found")
        status, closes_at, created_at, where, done = row
        return _Live(status, closes_at, created_at, where, bool(done))

    async def _fixed(self, session: AsyncSession, consultation_id: int, live: _Live) -> Fixed:
        """The consultation's form and points: from this process's cache once it is open."""
        key = (consultation_id, live.created_at)
        fixed = self.forms.get(key)
        if fixed is not None:
            return fixed
        consultation = await self._get(session, consultation_id)
        points = frozenset(await self._point_ids(session, consultation_id))
        session.expunge(consultation)  # a snapshot shared by every step that follows
        fixed = Fixed(consultation, wording.questions_of(consultation), points)
        if live.status != SCHEDULED:  # its points are fixed from the opening on
            self.forms.put(key, fixed)
        return fixed

    async def _answerable(
        self, session: AsyncSession, user_id: int, consultation_id: int
    ) -> tuple[_Live, Fixed]:
        """Refused when the consultation does not ask the resident, is not open, or is over."""
        live = await self._live(session, consultation_id, user_id)
        fixed = await self._fixed(session, consultation_id, live)
        if live.point is None or live.point not in fixed.points:
            raise NotFound("consult.not_found")
        if live.status == CLOSED or live.closes_at <= self.ctx.clock.now():
            raise Invalid("consult.closed")
        if live.status != OPEN:
            raise Invalid("consult.not_open")
        return live, fixed

    async def begin_answering(
        self, user_id: int, consultation_id: int, *, earlier: bool = True
    ) -> Answering:
        """The consultation to answer, with the resident's earlier answers when they may
        change them (``earlier``: read them; the steps after the first need not); refused
        when it does not ask them, is not open, or is over. One small query a step: the form
        comes from the per-process cache (services/consultations/cache.py)."""
        async with self.ctx.db.read() as session:
            live, fixed = await self._answerable(session, user_id, consultation_id)
            consultation = fixed.consultation
            answers: dict[str, Any] = {}
            if live.answered and consultation.anonymous:
                raise Invalid("consult.anonymous_final")
            if live.answered and earlier:
                answers = dict(
                    (
                        await session.execute(
                            select(col(ConsultSubmission.answers))
                            .join(
                                ConsultNamed,
                                col(ConsultNamed.submission_id) == col(ConsultSubmission.id),
                            )
                            .where(
                                col(ConsultNamed.consultation_id) == consultation_id,
                                col(ConsultNamed.user_id) == user_id,
                            )
                        )
                    ).scalar()
                    or {}
                )
        return Answering(consultation, answers, live.answered, fixed.questions)

    def check(self, begun: Answering, number: int, raw: Any) -> Any:
        """One answer, checked as it is given (the handler asks again on a refusal)."""
        return check_answer(begun.questions[number], raw)

    async def submit(self, user_id: int, consultation_id: int, answers: dict[str, Any]) -> str:
        """Store the resident's answers: ``new`` the first time, ``changed`` after. A second
        submission (a redelivered press, another replica) finds the roll's key taken."""
        try:
            return await self._submit(user_id, consultation_id, answers)
        except IntegrityError:
            return await self._submit(user_id, consultation_id, answers)

    async def _submit(self, user_id: int, consultation_id: int, answers: dict[str, Any]) -> str:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            live, fixed = await self._answerable(session, user_id, consultation_id)
            consultation = fixed.consultation
            checked = {
                str(i): check_answer(q, answers.get(str(i))) for i, q in enumerate(fixed.questions)
            }
            if live.answered:
                if consultation.anonymous:
                    raise Invalid("consult.anonymous_final")
                named = (
                    await session.execute(
                        select(ConsultNamed).where(
                            col(ConsultNamed.consultation_id) == consultation_id,
                            col(ConsultNamed.user_id) == user_id,
                        )
                    )
                ).scalar_one()
                submission = await session.get(ConsultSubmission, named.submission_id)
                assert submission is not None
                submission.answers = checked
                named.changed_at = now
                return "changed"
            session.add(ConsultRoll(consultation_id=consultation_id, user_id=user_id))
            await session.flush()  # the roll's key: one submission per resident
            submission_id = secrets.token_hex(16)
            session.add(
                ConsultSubmission(
                    id=submission_id, consultation_id=consultation_id, answers=checked
                )
            )
            if not consultation.anonymous:
                await session.flush()
                session.add(
                    ConsultNamed(
                        submission_id=submission_id,
                        consultation_id=consultation_id,
                        user_id=user_id,
                        submitted_at=now,
                    )
                )
            return "new"

    async def for_resident(self, user_id: int, limit: int = 10) -> list[ResidentLine]:
        """The consultations of the resident's point, newest first, with their figures."""
        async with self.ctx.db.read() as session:
            point = (
                await session.execute(
                    select(col(Residency.contact_point_id)).where(col(Residency.user_id) == user_id)
                )
            ).scalar()
            if point is None:
                return []
            user = await session.get(User, user_id)
            locale = user.locale if user else self.ctx.config.default_locale
            received = (
                select(func.count())
                .select_from(ConsultRoll)
                .where(col(ConsultRoll.consultation_id) == col(Consultation.id))
                .scalar_subquery()
            )
            mine = (
                select(func.count())
                .select_from(ConsultRoll)
                .where(
                    col(ConsultRoll.consultation_id) == col(Consultation.id),
                    col(ConsultRoll.user_id) == user_id,
                )
                .scalar_subquery()
            )
            rows = (
                await session.execute(
                    select(Consultation, received, mine)
                    .join(
                        ConsultationPoint,
                        col(ConsultationPoint.consultation_id) == col(Consultation.id),
                    )
                    .where(col(ConsultationPoint.contact_point_id) == point)
                    .order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())
                    .limit(limit)
                )
            ).all()
        return [
            ResidentLine(
                pk(c),
                wording.title_of(c, locale),
                c.status,
                c.closes_at,
                str((c.audience or {}).get("tz") or "Asia/Shanghai"),
                bool(me),
                int(count),
                c.adopted,
                c.outcome_at is not None,
                c.anonymous,
            )
            for c, count, me in rows
        ]
