"""The monthly report's figures, each one GROUP BY query: cases are counted by the database,
never loaded into Python (only the cases sheet streams its rows, in batches).

The rates reuse ``services.figures`` — its counted cases (``Figures._base``), its columns
(``_columns``) and ``Rates`` — so a report and /stats always agree on what a rate means.
Tip-offs live in their own tables and no query here touches them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.notices import Notice, NoticePoint, NoticeRead
from models.tables import Case, Category, ContactPoint, Staff, User
from services.figures import Figures, Period, Rates, _columns, _rates
from services.reports.consultations import ConsultFigures, participation
from services.reports.scope import ReportScope
from services.visits import Compliance

MONTHS_SHOWN = 12


@dataclass(frozen=True)
class Count:
    """A number of cases under a name in each language (a category or a kind)."""

    key: str
    names: dict[str, str]
    count: int

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.key


@dataclass(frozen=True)
class MonthRates:
    key: str  # "2026-03"
    rates: Rates


@dataclass(frozen=True)
class Ranked:
    """A contact point's or a cadre's figures for the month."""

    id: int
    name: str
    code: str  # a point's code; "" for a cadre
    rates: Rates

    @property
    def overdue(self) -> int:
        """Open and past a deadline now (``services.figures``' own "overdue")."""
        return self.rates.overdue

    @property
    def score(self) -> float:
        """For the ranking: the mean of the three rates that have a value."""
        values = [
            v
            for v in (
                self.rates.response_rate,
                self.rates.resolution_rate,
                self.rates.satisfaction_rate,
            )
            if v is not None
        ]
        return sum(values) / len(values) if values else -1.0


@dataclass(frozen=True)
class NoticeLine:
    id: int
    at: datetime
    author: str
    text: str
    audience: int
    reached: int
    read: int


@dataclass(frozen=True)
class VisitLine:
    cadre: str
    point: str  # "Name (CODE)"
    required: int
    days: int
    verified_days: int
    year_days: int
    year_target: int

    @property
    def met(self) -> bool:
        return self.days >= self.required


@dataclass(frozen=True)
class MonthlyFigures:
    period: Period
    scope: ReportScope
    total: Rates
    by_category: list[Count] = field(default_factory=list)
    by_kind: list[Count] = field(default_factory=list)
    months: list[MonthRates] = field(default_factory=list)
    points: list[Ranked] = field(default_factory=list)
    cadres: list[Ranked] = field(default_factory=list)
    visits: list[VisitLine] = field(default_factory=list)
    notices: list[NoticeLine] = field(default_factory=list)
    consultations: ConsultFigures = field(default_factory=ConsultFigures)


def month_period(month: str, zone: str) -> Period:
    year, _, number = month.partition("-")
    return Period.month(int(year), int(number), zone)


def months_before(period: Period, count: int = MONTHS_SHOWN) -> list[Period]:
    """The ``count`` months ending with ``period``'s, oldest first."""
    year, month = period.start.year, period.start.month
    zone = str(period.start.tzinfo)
    out = []
    for back in range(count - 1, -1, -1):
        index = year * 12 + month - 1 - back
        out.append(Period.month(index // 12, index % 12 + 1, zone))
    return out


def _in_scope(stmt: Any, scope: ReportScope) -> Any:
    return stmt.join(ContactPoint, col(ContactPoint.id) == col(Case.contact_point_id)).where(
        *scope.points_filter()
    )


class ReportFigures:
    """One report's queries, in one read transaction (a consistent picture)."""

    def __init__(self, figures: Figures, session: AsyncSession, scope: ReportScope) -> None:
        self.figures = figures
        self.session = session
        self.scope = scope
        self.now = figures.ctx.clock.now()

    def _counted(self, period: Period, *columns: Any) -> Any:
        stmt = select(*columns).select_from(Case)
        return _in_scope(stmt, self.scope).where(*self.figures._base(period))

    async def rates(self, period: Period) -> Rates:
        row = (await self.session.execute(self._counted(period, *_columns(self.now)))).one()
        return _rates(row)

    async def by_category(self, period: Period) -> list[Count]:
        stmt = (
            self._counted(
                period,
                col(Category.code),
                col(Category.name_zh),
                col(Category.name_en),
                func.count(),
            )
            .outerjoin(Category, col(Category.id) == col(Case.category_id))
            .group_by(col(Category.code), col(Category.name_zh), col(Category.name_en))
            .order_by(func.count().desc(), col(Category.code))
        )
        rows = (await self.session.execute(stmt)).all()
        return [Count(r[0] or "", {"zh_Hans": r[1] or "", "en": r[2] or ""}, r[3]) for r in rows]

    async def by_kind(self, period: Period) -> list[Count]:
        stmt = (
            self._counted(period, col(Case.kind), func.count())
            .group_by(col(Case.kind))
            .order_by(func.count().desc(), col(Case.kind))
        )
        return [Count(r[0], {}, r[1]) for r in (await self.session.execute(stmt)).all()]

    async def months(self, period: Period) -> list[MonthRates]:
        return [MonthRates(p.key, await self.rates(p)) for p in months_before(period)]

    async def points(self, period: Period) -> list[Ranked]:
        keys = (col(ContactPoint.id), col(ContactPoint.name), col(ContactPoint.code))
        stmt = self._counted(period, *keys, *_columns(self.now)).group_by(*keys)
        rows = (await self.session.execute(stmt)).all()
        return _ranked([Ranked(r[0], r[1], r[2], _rates(r[3:])) for r in rows])

    async def cadres(self, period: Period) -> list[Ranked]:
        keys = (col(Staff.id), col(User.name))
        stmt = (
            self._counted(period, *keys, *_columns(self.now))
            .join(Staff, col(Staff.id) == col(Case.assignee_id))
            .join(User, col(User.id) == col(Staff.user_id))
            .group_by(*keys)
        )
        rows = (await self.session.execute(stmt)).all()
        return _ranked([Ranked(r[0], r[1], "", _rates(r[2:])) for r in rows])

    async def consultations(self, period: Period) -> ConsultFigures:
        """Participation in the consultations opened in the month, at the scope's points."""
        return await participation(self.session, period, self.scope.points_filter())

    async def notices(self, period: Period) -> list[NoticeLine]:
        reads = (
            select(col(NoticeRead.notice_id), func.count().label("n"))
            .group_by(col(NoticeRead.notice_id))
            .subquery()
        )
        in_scope = (
            select(col(NoticePoint.notice_id))
            .join(ContactPoint, col(ContactPoint.id) == col(NoticePoint.contact_point_id))
            .where(*self.scope.points_filter())
        )
        stmt = (
            select(Notice, func.coalesce(reads.c.n, 0))
            .outerjoin(reads, reads.c.notice_id == col(Notice.id))
            .where(
                col(Notice.started_at) >= period.start,
                col(Notice.started_at) < period.end,
                col(Notice.id).in_(in_scope),
            )
            .order_by(col(Notice.started_at))
        )
        out = []
        for notice, read in (await self.session.execute(stmt)).all():
            text = notice.texts.get(notice.fallback_locale) or next(iter(notice.texts.values()), "")
            out.append(
                NoticeLine(
                    int(notice.id or 0),
                    notice.started_at or notice.send_at,
                    notice.author_name,
                    text,
                    notice.audience_size,
                    notice.sent,
                    int(read),
                )
            )
        return out

    def _filed_in(self, period: Period) -> list[Any]:
        return [col(Case.created_at) >= period.start, col(Case.created_at) < period.end]

    async def case_count(self, period: Period) -> int:
        """How many cases the cases sheet would list (withdrawn and duplicates too)."""
        stmt = _in_scope(select(func.count()).select_from(Case), self.scope)
        return int((await self.session.execute(stmt.where(*self._filed_in(period)))).scalar_one())

    def cases(self, period: Period, limit: int | None = None) -> AsyncIterator[tuple[Any, ...]]:
        """The cases filed in the period (withdrawn and duplicates too: the sheet says so), the
        first ``limit`` of them (None: all) in number order, streamed in batches: plain rows
        (SQLAlchemy Core), never ORM objects."""
        assignee = select(col(User.name)).join(Staff, col(Staff.user_id) == col(User.id))
        stmt = _in_scope(
            select(
                col(Case.public_no),
                col(Case.created_at),
                col(Case.kind),
                col(Category.code),
                col(Category.name_zh),
                col(Category.name_en),
                col(ContactPoint.code),
                col(Case.status),
                col(Case.close_reason),
                col(Case.due_resolve_at),
                col(Case.resolved_at),
                col(Case.closed_at),
                col(Case.verdict),
                col(Case.satisfaction),
                assignee.where(col(Staff.id) == col(Case.assignee_id)).scalar_subquery(),
            )
            .select_from(Case)
            .outerjoin(Category, col(Category.id) == col(Case.category_id)),
            self.scope,
        ).where(*self._filed_in(period))
        stmt = stmt.order_by(col(Case.id))
        return _stream(self.session, stmt if limit is None else stmt.limit(limit))


async def _stream(session: AsyncSession, stmt: Any) -> AsyncIterator[tuple[Any, ...]]:
    result = await session.stream(stmt.execution_options(yield_per=2000))
    async for batch in result.partitions():  # one await per batch, not per row
        for row in batch:
            yield tuple(row)


def _ranked(lines: list[Ranked]) -> list[Ranked]:
    return sorted(lines, key=lambda r: (-r.score, -r.rates.filed, r.name))


def visit_lines(compliance: Compliance, scope: ReportScope) -> list[VisitLine]:
    """The visit figures of the month, for the cadres serving the scope's points."""
    out = []
    for row in compliance.obliged_rows:
        if row.cadre is None or not scope.holds(row.point.id, row.point.region):
            continue
        out.append(
            VisitLine(
                row.cadre.name,
                f"{row.point.name} ({row.point.code})",
                row.required,
                row.days,
                row.verified_days,
                row.year_days,
                row.year_target,
            )
        )
    return out
