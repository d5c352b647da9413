"""The "three rates" of hotline practice — response, resolution, satisfaction — and on-time,
per contact point, cadre and period.

Definitions (also in docs/guide-administrators.md):
- cases counted: filed in the period, not withdrawn and not closed as duplicates;
- response rate (响应率): of the cases already answered (accepted, replied to or resolved —
  whichever came first) or whose first-answer deadline has passed, those answered by that
  deadline; a case still inside its deadline and not answered yet is not counted either way;
- on-time rate (按时办结率): of the cases already resolved or still open past their resolution
  deadline, those resolved by it; a case still inside its deadline is not counted yet;
- resolution rate (解决率): of the residents who answered "is it resolved?", those who said yes —
  a case closed without that answer is not counted as fixed;
- satisfaction rate (满意率): of the ratings given, those of 4 or 5 stars; and the average.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, not_, or_, select
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, Case, ContactPoint, Staff, User, pk
from services.case_access import active_staff
from services.case_rules import OPEN, CloseReason
from services.context import Context
from services.errors import NotFound
from services.points import find_by_code
from services.reports.consultations import ConsultFigures, participation
from services.scope import in_region, zone_of_region, zone_of_scope
from services.staff import covers_region
from services.texts import Texts, esc

NOT_COUNTED = (CloseReason.WITHDRAWN, CloseReason.DUPLICATE)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    key: str  # "2026-03" or "2026"

    @classmethod
    def month(cls, year: int, month: int, tz: str) -> Period:
        zone = ZoneInfo(tz)
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        return cls(start, end, f"{year}-{month:02d}")

    @classmethod
    def year(cls, year: int, tz: str) -> Period:
        zone = ZoneInfo(tz)
        return cls(
            datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone), str(year)
        )

    @classmethod
    def choose(cls, which: int, now: datetime, tz: str) -> Period:
        """0 this month, 1 last month, 2 this year — as the /stats buttons offer."""
        local = now.astimezone(ZoneInfo(tz))
        if which == 1:
            year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
            return cls.month(year, month, tz)
        if which == 2:
            return cls.year(local.year, tz)
        return cls.month(local.year, local.month, tz)

    def days(self) -> int:
        if len(self.key) == 4:
            return 366 if monthrange(self.start.year, 2)[1] == 29 else 365
        return monthrange(self.start.year, self.start.month)[1]


@dataclass(frozen=True)
class Rates:
    filed: int = 0
    response_counted: int = 0  # answered, or past the first-answer deadline
    responded_on_time: int = 0
    on_time_counted: int = 0  # resolved, or open past the resolution deadline
    resolved: int = 0
    resolved_on_time: int = 0
    verdicts: int = 0
    confirmed: int = 0
    rated: int = 0
    satisfied: int = 0
    rating_sum: int = 0
    open: int = 0
    overdue: int = 0

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def response_rate(self) -> float | None:
        return self._share(self.responded_on_time, self.response_counted)

    @property
    def on_time_rate(self) -> float | None:
        return self._share(self.resolved_on_time, self.on_time_counted)

    @property
    def resolution_rate(self) -> float | None:
        return self._share(self.confirmed, self.verdicts)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._share(self.satisfied, self.rated)

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None


@dataclass(frozen=True)
class Line:
    """One row of a report: what it is about and its figures."""

    label: str
    rates: Rates


@dataclass(frozen=True)
class Report:
    period: Period
    total: Rates
    points: list[Line]
    cadres: list[Line]
    scope: str  # "own" for a cadre's own cases, else the region ("" for everywhere)
    # Participation in the consultations opened in the period, at the points the reader sees
    # (a cadre: the points they serve).
    consultations: ConsultFigures = field(default_factory=ConsultFigures)


def _sum(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _columns(now: datetime) -> list[Any]:
    responded = and_(
        col(Case.first_response_at).is_not(None),
        col(Case.first_response_at) <= col(Case.due_ack_at),
    )
    answered_or_due = or_(col(Case.first_response_at).is_not(None), now > col(Case.due_ack_at))
    resolved = col(Case.resolved_at).is_not(None)
    is_open = col(Case.status).in_(tuple(OPEN))
    late = or_(
        now > col(Case.due_resolve_at),
        and_(col(Case.first_response_at).is_(None), now > col(Case.due_ack_at)),
    )
    resolved_or_due = or_(resolved, and_(is_open, now > col(Case.due_resolve_at)))
    return [
        func.count(),
        _sum(answered_or_due),
        _sum(responded),
        _sum(resolved_or_due),
        _sum(resolved),
        _sum(and_(resolved, col(Case.resolved_at) <= col(Case.due_resolve_at))),
        _sum(col(Case.verdict).is_not(None)),
        _sum(col(Case.verdict) == "resolved"),
        _sum(col(Case.satisfaction).is_not(None)),
        _sum(col(Case.satisfaction) >= 4),
        func.coalesce(func.sum(col(Case.satisfaction)), 0),
        _sum(is_open),
        _sum(and_(is_open, late)),
    ]


def _rates(row: Any) -> Rates:
    return Rates(*(int(v or 0) for v in row))


class Figures:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _base(self, period: Period) -> list[Any]:
        return [
            col(Case.created_at) >= period.start,
            col(Case.created_at) < period.end,
            or_(col(Case.close_reason).is_(None), not_(col(Case.close_reason).in_(NOT_COUNTED))),
        ]

    async def rates(
        self,
        period: Period,
        *,
        point_id: int | None = None,
        assignee_id: int | None = None,
        region: str | None = None,
    ) -> Rates:
        now = self.ctx.clock.now()
        stmt = select(*_columns(now)).select_from(Case).where(*self._base(period))
        if point_id is not None:
            stmt = stmt.where(col(Case.contact_point_id) == point_id)
        if assignee_id is not None:
            stmt = stmt.where(col(Case.assignee_id) == assignee_id)
        if region:
            stmt = stmt.join(
                ContactPoint, col(ContactPoint.id) == col(Case.contact_point_id)
            ).where(in_region(region))
        async with self.ctx.db.read() as session:
            return _rates((await session.execute(stmt)).one())

    async def report(
        self, user_id: int, which: int = 0, limit: int = 10, scope: str | None = None
    ) -> Report:
        """What /stats shows: a cadre their own cases; an administrator their whole scope,
        then its contact points and cadres with the most cases — or, with ``scope``, one
        contact point (by code) or one region inside their own."""
        now = self.ctx.clock.now()
        async with self.ctx.db.read() as session:
            staff = await active_staff(session, user_id)
            if staff.role != Role.ADMIN:
                zone = await zone_of_scope(session, staff)
                period = Period.choose(which, now, zone)
                total = await self.rates(period, assignee_id=staff.id)
                serves = select(col(Assignment.contact_point_id)).where(
                    col(Assignment.staff_id) == staff.id, col(Assignment.until).is_(None)
                )
                consulted = await participation(session, period, [col(ContactPoint.id).in_(serves)])
                return Report(period, total, [], [], "own", consulted)
            point = await find_by_code(session, scope) if scope else None
            region = staff.region
            if point is not None:
                if not covers_region(staff.region, point.region):
                    raise NotFound("stats.no_such_scope", scope=scope)
                zone = point.tz
            else:
                if scope:
                    region = "/".join(part.strip() for part in scope.split("/") if part.strip())
                    inside = covers_region(staff.region, region)
                    exists = (
                        await session.execute(
                            select(func.count()).select_from(ContactPoint).where(in_region(region))
                        )
                    ).scalar_one()
                    if not inside or not exists:
                        raise NotFound("stats.no_such_scope", scope=scope)
                zone = await zone_of_region(session, region)
        period = Period.choose(which, now, zone)
        where = (
            [col(ContactPoint.id) == pk(point)]
            if point is not None
            else ([in_region(region)] if region else [])
        )
        async with self.ctx.db.read() as session:
            consulted = await participation(session, period, where)
        if point is not None:
            total = await self.rates(period, point_id=pk(point))
            cadres = await self._grouped(period, None, by="cadre", limit=limit, point_id=pk(point))
            return Report(period, total, [], cadres, f"{point.name} ({point.code})", consulted)
        total = await self.rates(period, region=region)
        points = await self._grouped(period, region, by="point", limit=limit)
        cadres = await self._grouped(period, region, by="cadre", limit=limit)
        return Report(period, total, points, cadres, region or "", consulted)

    async def _grouped(
        self,
        period: Period,
        region: str | None,
        *,
        by: str,
        limit: int,
        point_id: int | None = None,
    ) -> list[Line]:
        now = self.ctx.clock.now()
        if by == "point":
            key: Any = col(ContactPoint.name)
            stmt = select(key, *_columns(now)).select_from(Case)
        else:
            key = col(User.name)
            stmt = (
                select(key, *_columns(now))
                .select_from(Case)
                .join(Staff, col(Staff.id) == col(Case.assignee_id))
                .join(User, col(User.id) == col(Staff.user_id))
            )
        stmt = (
            stmt.join(ContactPoint, col(ContactPoint.id) == col(Case.contact_point_id))
            .where(*self._base(period), *([in_region(region)] if region else []))
            .where(*([col(Case.contact_point_id) == point_id] if point_id is not None else []))
            .group_by(key)
            .order_by(func.count().desc(), key)
            .limit(limit)
        )
        async with self.ctx.db.read() as session:
            rows = (await session.execute(stmt)).all()
        return [Line(str(row[0]), _rates(row[1:])) for row in rows]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def render_rates(texts: Texts, locale: str, rates: Rates) -> str:
    avg = "—" if rates.average_rating is None else f"{rates.average_rating:.1f}"
    return texts(
        locale,
        "stats.rates",
        filed=rates.filed,
        response=percent(rates.response_rate),
        on_time=percent(rates.on_time_rate),
        resolution=percent(rates.resolution_rate),
        satisfaction=percent(rates.satisfaction_rate),
        average=avg,
        open=rates.open,
        overdue=rates.overdue,
    )


CONSULTATIONS_SHOWN = 5
CONSULT_POINTS_SHOWN = 10


def render_participation(texts: Texts, locale: str, figures: ConsultFigures) -> list[str]:
    """/stats' lines on consultations: the period's count and participation, the first few
    consultations, and the points when there are several. Nothing when none was opened."""
    if not figures.consultations:
        return []
    total = figures.total
    lines = [
        texts.plural(
            locale,
            "stats.consult.title",
            len(figures.consultations),
            answered=total.answered,
            invited=total.invited,
            rate=percent(total.rate),
        )
    ]
    for c in figures.consultations[:CONSULTATIONS_SHOWN]:
        lines.append(
            texts(
                locale,
                "stats.consult.line",
                title=esc(c.title(locale)[:60]),
                answered=c.figures.answered,
                invited=c.figures.invited,
                rate=percent(c.figures.rate),
            )
        )
    hidden = len(figures.consultations) - CONSULTATIONS_SHOWN
    if hidden > 0:
        lines.append(texts(locale, "stats.consult.more", n=hidden))
    if len(figures.points) > 1:
        lines.append(texts(locale, "stats.consult.by_point"))
        for p in figures.points[:CONSULT_POINTS_SHOWN]:
            lines.append(
                texts(
                    locale,
                    "stats.consult.line",
                    title=esc(p.name),
                    answered=p.figures.answered,
                    invited=p.figures.invited,
                    rate=percent(p.figures.rate),
                )
            )
    return lines


def render_report(texts: Texts, locale: str, report: Report) -> str:
    scope = (
        texts(locale, "stats.scope_own")
        if report.scope == "own"
        else (esc(report.scope) or texts(locale, "stats.scope_all"))
    )
    lines = [
        texts(locale, "stats.title", period=report.period.key, scope=scope),
        render_rates(texts, locale, report.total),
    ]
    for title_key, group in (("stats.by_point", report.points), ("stats.by_cadre", report.cadres)):
        if group:
            lines.append("")
            lines.append(texts(locale, title_key))
            for line in group:
                lines.append(
                    texts.plural(
                        locale,
                        "stats.line",
                        line.rates.filed,
                        name=esc(line.label),
                        response=percent(line.rates.response_rate),
                        resolution=percent(line.rates.resolution_rate),
                        satisfaction=percent(line.rates.satisfaction_rate),
                    )
                )
    consulted = render_participation(texts, locale, report.consultations)
    if consulted:
        lines += ["", *consulted]
    return "\n".join(lines)
