"""Residents answer: one submission each (the roll's key), changed until the deadline when the
consultation is named, refused after it; and the list residents see, with the outcome."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
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
from services.consultations.base import CLOSED, OPEN, ConsultBase
from services.consultations.form import check_answer
from services.errors import Invalid, NotFound


@dataclass(frozen=True)
class Answering:
    consultation: Consultation
    answers: dict[str, Any]  # what they submitted before (named only), to change it
    submitted: bool


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


class Residents(ConsultBase):
    async def begin_answering(self, user_id: int, consultation_id: int) -> Answering:
        """The consultation to answer, with the resident's earlier answers when they may
        change them; refused when it does not ask them, is not open, or is over."""
        async with self.ctx.db.read() as session:
            consultation = await session.get(Consultation, consultation_id)
            if consultation is None or not await self._asks(session, consultation, user_id):
                raise NotFound("consult.not_found")
            self._open_now(consultation)
            roll = await session.get(ConsultRoll, (consultation_id, user_id))
            answers: dict[str, Any] = {}
            if roll is not None:
                if consultation.anonymous:
                    raise Invalid("consult.anonymous_final")
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
        return Answering(consultation, answers, roll is not None)

    def _open_now(self, consultation: Consultation) -> None:
        if consultation.status == CLOSED or consultation.closes_at <= self.ctx.clock.now():
            raise Invalid("consult.closed")
        if consultation.status != OPEN:
            raise Invalid("consult.not_open")

    def check(self, consultation: Consultation, number: int, raw: Any) -> Any:
        """One answer, checked as it is given (the handler asks again on a refusal)."""
        return check_answer(wording.questions_of(consultation)[number], raw)

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
            consultation = await session.get(Consultation, consultation_id)
            if consultation is None or not await self._asks(session, consultation, user_id):
                raise NotFound("consult.not_found")
            self._open_now(consultation)
            questions = wording.questions_of(consultation)
            checked = {
                str(i): check_answer(q, answers.get(str(i))) for i, q in enumerate(questions)
            }
            if await session.get(ConsultRoll, (consultation_id, user_id)) is not None:
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
