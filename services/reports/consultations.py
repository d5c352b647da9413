"""Participation in consultations (征求意见) for /stats and the monthly report: the
consultations of a period in a reader's scope, with the residents invited, those who answered
and the rate, per consultation and per contact point.

Read-only, straight from the consultation tables (``models/consultations.py``); the
consultations' own code (services/consultations/) is not used, so its changes do not move
these figures. Every figure is a GROUP BY count; nothing of an answer is read.

Definitions (also in docs/reports.md and the administrators' guides):
- a consultation of the period: opened in it (``opens_at`` in the period) and not cancelled
  or still waiting to open;
- it belongs to a scope through its contact points: only the points the reader may see are
  counted (a cadre's own, an administrator's area, the point or region asked for);
- invited: the residents of those points (their current contact point; the bot keeps no
  per-point list of whom it invited, so someone who moved since is counted where they live
  now), as the consultation itself counts its audience before its invitations are done;
- answered: those of them who sent answers (``consult_roll``: one row per resident, also for
  anonymous consultations, where it says only *that* someone answered);
- participation rate: answered / invited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.consultations import Consultation, ConsultationPoint, ConsultRoll
from models.tables import ContactPoint, Residency

if TYPE_CHECKING:
    from services.figures import Period

COUNTED_STATUSES = ("open", "closed")


@dataclass(frozen=True)
class Participation:
    invited: int = 0
    answered: int = 0

    @property
    def rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None

    def __add__(self, other: Participation) -> Participation:
        return Participation(self.invited + other.invited, self.answered + other.answered)


@dataclass(frozen=True)
class ConsultationLine:
    id: int
    titles: dict[str, str]
    fallback_locale: str
    status: str
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    points: int  # of the scope's points it asked
    figures: Participation

    def title(self, locale: str) -> str:
        return (
            self.titles.get(locale)
            or self.titles.get(self.fallback_locale)
            or next(iter(self.titles.values()), "")
        )


@dataclass(frozen=True)
class PointLine:
    id: int
    name: str
    code: str
    consultations: int
    figures: Participation


@dataclass(frozen=True)
class ConsultFigures:
    total: Participation = Participation()
    consultations: list[ConsultationLine] = field(default_factory=list)
    points: list[PointLine] = field(default_factory=list)


async def participation(
    session: AsyncSession, period: Period, points_filter: Sequence[Any]
) -> ConsultFigures:
    """The period's consultations at the points ``points_filter`` (conditions on
    ``ContactPoint``) keeps, with invited and answered residents of those points."""
    asked = (
        select(col(ConsultationPoint.consultation_id), col(ContactPoint.id).label("point_id"))
        .join(ContactPoint, col(ContactPoint.id) == col(ConsultationPoint.contact_point_id))
        .join(Consultation, col(Consultation.id) == col(ConsultationPoint.consultation_id))
        .where(
            col(Consultation.opens_at) >= period.start,
            col(Consultation.opens_at) < period.end,
            col(Consultation.status).in_(COUNTED_STATUSES),
            *points_filter,
        )
        .subquery()
    )
    consultation_id, point_id = asked.c.consultation_id, asked.c.point_id
    invited_rows = (
        await session.execute(
            select(consultation_id, point_id, func.count(col(Residency.id)))
            .select_from(asked)
            .outerjoin(Residency, col(Residency.contact_point_id) == point_id)
            .group_by(consultation_id, point_id)
        )
    ).all()
    if not invited_rows:
        return ConsultFigures()
    answered_rows = (
        await session.execute(
            select(consultation_id, point_id, func.count())
            .select_from(asked)
            .join(Residency, col(Residency.contact_point_id) == point_id)
            .join(
                ConsultRoll,
                and_(
                    col(ConsultRoll.consultation_id) == consultation_id,
                    col(ConsultRoll.user_id) == col(Residency.user_id),
                ),
            )
            .group_by(consultation_id, point_id)
        )
    ).all()
    answered = {(int(c), int(p)): int(n) for c, p, n in answered_rows}
    pairs = {
        (int(c), int(p)): Participation(int(n), answered.get((int(c), int(p)), 0))
        for c, p, n in invited_rows
    }
    ids = sorted({c for c, _ in pairs})
    consultations = (
        await session.execute(
            select(
                col(Consultation.id),
                col(Consultation.title),
                col(Consultation.fallback_locale),
                col(Consultation.status),
                col(Consultation.anonymous),
                col(Consultation.opens_at),
                col(Consultation.closes_at),
            ).where(col(Consultation.id).in_(ids))
        )
    ).all()
    point_ids = sorted({p for _, p in pairs})
    points = {
        int(pid or 0): (str(name), str(code))
        for pid, name, code in (
            await session.execute(
                select(col(ContactPoint.id), col(ContactPoint.name), col(ContactPoint.code)).where(
                    col(ContactPoint.id).in_(point_ids)
                )
            )
        ).all()
    }
    by_consultation: dict[int, Participation] = defaultdict(Participation)
    by_point: dict[int, Participation] = defaultdict(Participation)
    count_at: dict[int, int] = defaultdict(int)
    per_consultation_points: dict[int, int] = defaultdict(int)
    for (cid, pid), figures in pairs.items():
        by_consultation[cid] += figures
        by_point[pid] += figures
        count_at[pid] += 1
        per_consultation_points[cid] += 1
    lines = [
        ConsultationLine(
            int(cid or 0),
            dict(title or {}),
            str(fallback),
            str(status),
            bool(anonymous),
            opens_at,
            closes_at,
            per_consultation_points[int(cid or 0)],
            by_consultation[int(cid or 0)],
        )
        for cid, title, fallback, status, anonymous, opens_at, closes_at in consultations
    ]
    lines.sort(key=lambda line: (line.opens_at, line.id))
    point_lines = [
        PointLine(pid, points[pid][0], points[pid][1], count_at[pid], by_point[pid])
        for pid in point_ids
    ]
    point_lines.sort(key=lambda line: (-line.figures.invited, line.code))
    total = sum(by_consultation.values(), Participation())
    return ConsultFigures(total, lines, point_lines)
