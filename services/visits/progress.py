"""A cadre's figures at one point: the visit days counted this month and this year, and the
visit in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.tables import ContactPoint, pk
from models.visits import Visit
from services.visits.rules import (
    DayCounts,
    Policy,
    day_start,
    duty_start,
    expected_by,
    local_day,
    month_after,
    month_first,
    months_of_duty,
    obliged,
    year_target,
)
from services.visits.shared import (
    PointRef,
    open_visit_of,
    policies_of,
)


@dataclass(frozen=True)
class VisitView:
    id: int
    point: PointRef
    day: date
    source: str
    verified: bool
    started_at: datetime
    ended_at: datetime | None
    closed_by: str | None
    distance_m: int | None
    note: str | None

    @property
    def minutes(self) -> int:
        if self.ended_at is None:
            return 0
        return int((self.ended_at - self.started_at).total_seconds() // 60)


@dataclass(frozen=True)
class PointProgress:
    """A cadre's figures at one point: this month and this year, at the point's calendar."""

    point: PointRef
    policy: Policy
    today: date
    month: DayCounts
    year: DayCounts
    obliged: bool  # the month is one of duty (not the first, partial one)
    year_target: int
    year_expected: int  # by the end of the last full month
    open_visit: VisitView | None
    duty_from: date  # the first day of the first month of duty

    @property
    def month_done(self) -> int:
        return self.month.counted(self.policy)

    @property
    def year_done(self) -> int:
        return self.year.counted(self.policy)

    @property
    def month_met(self) -> bool:
        return self.month_done >= self.policy.visits_per_month

    @property
    def behind(self) -> bool:
        return self.year_done < self.year_expected


def close_visit(visit: Visit, point: ContactPoint, now: datetime, how: str) -> None:
    """End a visit now, or at the end of its day if that came first (it was left open)."""
    end_of_day = day_start(visit.day + timedelta(days=1), point.tz)
    visit.ended_at = min(now, end_of_day)
    visit.closed_by = how if now < end_of_day else "auto"


def visit_view(visit: Visit, point: PointRef) -> VisitView:
    return VisitView(
        pk(visit),
        point,
        visit.day,
        visit.source,
        visit.verified,
        visit.started_at,
        visit.ended_at,
        visit.closed_by,
        visit.distance_m,
        visit.note,
    )


def counts_query(start: date, end: date) -> Any:
    in_range = and_(col(Visit.day) >= start, col(Visit.day) < end)
    verified_day = case((col(Visit.verified).is_(True), col(Visit.day)))
    return (
        select(
            col(Visit.staff_id),
            col(Visit.contact_point_id),
            func.count(distinct(col(Visit.day))),
            func.count(distinct(verified_day)),
        )
        .where(in_range)
        .group_by(col(Visit.staff_id), col(Visit.contact_point_id))
    )


async def count_days(
    session: AsyncSession, staff_id: int, point_id: int, start: date, end: date
) -> DayCounts:
    row = (
        await session.execute(
            counts_query(start, end).where(
                col(Visit.staff_id) == staff_id, col(Visit.contact_point_id) == point_id
            )
        )
    ).first()
    return DayCounts() if row is None else DayCounts(int(row[2]), int(row[3]))


async def all_counts(
    session: AsyncSession, start: date, end: date
) -> dict[tuple[int, int], DayCounts]:
    rows = (await session.execute(counts_query(start, end))).all()
    return {(int(r[0]), int(r[1])): DayCounts(int(r[2]), int(r[3])) for r in rows}


async def month_counted(
    session: AsyncSession, staff_id: int, point_id: int, y: int, m: int, policy: Policy
) -> int:
    counts = await count_days(session, staff_id, point_id, month_first(y, m), month_after(y, m))
    return counts.counted(policy)


async def point_progress(
    session: AsyncSession,
    staff_id: int,
    point: ContactPoint,
    since: datetime | None,
    now: datetime,
) -> PointProgress:
    today = local_day(now, point.tz)
    y, m = today.year, today.month
    point_id = pk(point)
    policy = (await policies_of(session, [point_id]))[point_id]
    month = await count_days(session, staff_id, point_id, month_first(y, m), month_after(y, m))
    year = await count_days(session, staff_id, point_id, date(y, 1, 1), date(y + 1, 1, 1))
    since = since or now
    current = await open_visit_of(session, staff_id)
    open_here = None
    if current is not None and current[0].contact_point_id == point_id:
        open_here = visit_view(current[0], PointRef.of(point))
    return PointProgress(
        point=PointRef.of(point),
        policy=policy,
        today=today,
        month=month,
        year=year,
        obliged=obliged(since, point.tz, y, m),
        year_target=year_target(policy.days_per_year, months_of_duty(since, point.tz, y, 12)),
        year_expected=expected_by(policy.days_per_year, months_of_duty(since, point.tz, y, m - 1)),
        open_visit=open_here,
        duty_from=duty_start(since, point.tz),
    )
