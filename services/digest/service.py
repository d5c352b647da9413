"""The weekly digest: what residents raised this week, grouped into recurring problems.

A digest covers seven days in a scope (``services.reports.scope``: a cadre's points, an
administrator's area). Its cases and those of the four weeks before are grouped together
(``grouping``), so each of this week's groups knows how often it came up before: new, rising,
falling or steady, and whether it recurred in three or more of the five weeks — a candidate
for the month's problem (每月一题). Excerpts are masked (``masking``). Tip-offs live in their
own tables and never reach a digest. Only the case's first words (``Case.summary``) are read,
at most ``MAX_CASES`` of the most recent.

Every Monday at 09:00 (local) each administrator and cadre is sent, once (a keyed reminder),
a message with a button that shows the digest of the week just ended; /digest shows the last
seven days at any time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, Case, Category, ContactPoint, Staff, User
from services.context import Context
from services.digest.masking import excerpt
from services.figures import NOT_COUNTED
from services.outbox import Button, enqueue, text_message
from services.reminders import Due, Handler, plan_rows, reminder_row
from services.reports.scope import ReportScope, reader_scope
from services.scope import zone_of_region, zone_of_scope
from services.texts import Texts, esc

KIND_WEEKLY = "weekly_digest"
MAX_CASES = 2000  # the most a digest groups at once (the most recent are kept)
SEND_AT = time(9, 0)
WEEKS_BEFORE = 4
MIN_GROUP = 2  # one case is not yet a recurring problem
MAX_GROUPS = 8
EXCERPTS = 3
GRACE = timedelta(days=2)
TREND_KEYS = {
    "new": "digest.trend.new",
    "rising": "digest.trend.rising",
    "falling": "digest.trend.falling",
    "steady": "digest.trend.steady",
}


@dataclass(frozen=True)
class ProblemGroup:
    size: int  # cases this week
    before: list[int]  # cases in each of the four weeks before, oldest first
    points: list[str]
    categories: list[dict[str, str]]  # names per locale
    excerpts: list[str]

    @property
    def weeks(self) -> int:
        """In how many of the five weeks it came up."""
        return 1 + sum(1 for n in self.before if n)

    @property
    def candidate(self) -> bool:
        return self.weeks >= 3

    @property
    def trend(self) -> str:
        mean = sum(self.before) / len(self.before) if self.before else 0
        if not any(self.before):
            return "new"
        if self.size >= 1.5 * mean and self.size > mean:
            return "rising"
        if self.size <= 0.67 * mean:
            return "falling"
        return "steady"


@dataclass(frozen=True)
class WeeklyDigest:
    start: datetime
    end: datetime
    scope: ReportScope
    total: int  # cases this week
    groups: list[ProblemGroup] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    created_at: datetime
    summary: str
    point: str
    category: dict[str, str]
    resident: str


async def _rows(
    session: AsyncSession, scope: ReportScope, start: datetime, end: datetime
) -> list[_Row]:
    stmt = (
        select(
            col(Case.created_at),
            col(Case.summary),
            col(ContactPoint.name),
            col(Category.name_zh),
            col(Category.name_en),
            col(User.name),
        )
        .select_from(Case)
        .join(ContactPoint, col(ContactPoint.id) == col(Case.contact_point_id))
        .outerjoin(Category, col(Category.id) == col(Case.category_id))
        .outerjoin(User, col(User.id) == col(Case.resident_id))
        .where(
            *scope.points_filter(),
            col(Case.created_at) >= start,
            col(Case.created_at) < end,
            or_(col(Case.close_reason).is_(None), not_(col(Case.close_reason).in_(NOT_COUNTED))),
        )
        .order_by(col(Case.created_at).desc())
        .limit(MAX_CASES)
    )
    return [
        _Row(r[0], r[1] or "", r[2], {"zh_Hans": r[3] or "", "en": r[4] or ""}, r[5] or "")
        for r in (await session.execute(stmt)).all()
    ]


async def _staff_names(session: AsyncSession) -> list[str]:
    stmt = select(col(User.name)).join(Staff, col(Staff.user_id) == col(User.id))
    return [n for n in (await session.execute(stmt)).scalars() if n]


def build_groups(rows: list[_Row], start: datetime, staff_names: list[str]) -> list[ProblemGroup]:
    """Group five weeks of cases; describe the groups that came up this week (from ``start``)."""
    # scikit-learn, SciPy and jieba take ~100 MB and seconds to import: only when grouping.
    from services.digest.grouping import group

    labels = group([r.summary for r in rows])
    members: dict[int, list[_Row]] = defaultdict(list)
    for label, row in zip(labels, rows, strict=True):
        members[label].append(row)
    out = []
    for items in members.values():
        this_week = [r for r in items if r.created_at >= start]
        if len(this_week) < MIN_GROUP:
            continue
        before = [0] * WEEKS_BEFORE
        for r in items:
            if r.created_at < start:
                back = (start - r.created_at) // timedelta(days=7)  # 0: the week before
                if back < WEEKS_BEFORE:
                    before[WEEKS_BEFORE - 1 - back] += 1
        points = [p for p, _ in Counter(r.point for r in this_week).most_common()]
        categories: dict[str, dict[str, str]] = {}
        for r in this_week:
            categories.setdefault(r.category["en"], r.category)
        excerpts = [excerpt(r.summary, [r.resident, *staff_names]) for r in this_week[:EXCERPTS]]
        out.append(
            ProblemGroup(len(this_week), before, points, list(categories.values()), excerpts)
        )
    out.sort(key=lambda g: (-g.size, -g.weeks))
    return out[:MAX_GROUPS]


def render_digest(texts: Texts, locale: str, digest: WeeklyDigest) -> str:
    zone = digest.scope.zone
    scope = esc(digest.scope.label) or texts(
        locale, "report.scope_own" if digest.scope.for_cadre else "report.scope_all"
    )
    lines = [
        texts(
            locale,
            "digest.title",
            start=texts.date(locale, digest.start, zone),
            end=texts.date(locale, digest.end - timedelta(seconds=1), zone),
            scope=scope,
            total=digest.total,
        )
    ]
    if not digest.groups:
        lines.append(texts(locale, "digest.none"))
    for i, g in enumerate(digest.groups, start=1):
        cats = "、".join(
            c.get(locale) or c.get("en") or "" for c in g.categories if any(c.values())
        )
        lines.append("")
        lines.append(
            texts(
                locale,
                "digest.group",
                n=i,
                size=g.size,
                trend=texts(locale, TREND_KEYS[g.trend]),
                before=" / ".join(str(n) for n in g.before),
                points=esc("、".join(g.points[:4])),
                categories=esc(cats or texts(locale, "report.no_category")),
            )
        )
        if g.candidate:
            lines.append(texts(locale, "digest.candidate", weeks=g.weeks))
        lines.extend(f"  «{esc(e)}»" for e in g.excerpts)
    return "\n".join(lines)


def week_key(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


class Digests:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def build(self, scope: ReportScope, end: datetime) -> WeeklyDigest:
        start = end - timedelta(days=7)
        first = start - timedelta(days=7 * WEEKS_BEFORE)
        async with self.ctx.db.read() as session:
            rows = await _rows(session, scope, first, end)
            names = await _staff_names(session)
        groups = build_groups(rows, start, names) if rows else []
        total = sum(1 for r in rows if r.created_at >= start)
        return WeeklyDigest(start, end, scope, total, groups)

    async def for_reader(self, user_id: int, end: datetime | None = None) -> WeeklyDigest:
        """The last seven days (or the week ending at ``end``) in the reader's own scope."""
        async with self.ctx.db.read() as session:
            scope = await reader_scope(session, user_id, None)
        return await self.build(scope, end or self.ctx.clock.now())

    @staticmethod
    def monday_of(ref: int, zone: str) -> datetime:
        """A button's ``yyyymmdd`` → that Monday 00:00 in ``zone``."""
        day = date(ref // 10000, ref // 100 % 100, ref % 100)
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))

    # ---- the Monday message ----------------------------------------------------------------

    def reminder_handlers(self) -> dict[str, Handler]:
        return {KIND_WEEKLY: self._send_weekly}

    async def plan_weekly(self) -> int:
        """Plan this Monday's (if not long past) and next Monday's message for every active
        administrator and cadre; planning again plans nothing twice."""
        if not self.ctx.config.weekly_digest:
            return 0
        now = self.ctx.clock.now()
        rows: list[dict[str, Any]] = []
        async with self.ctx.db.write() as session:
            people = (
                await session.execute(
                    select(Staff).where(
                        col(Staff.active), col(Staff.role).in_((Role.ADMIN, Role.CADRE))
                    )
                )
            ).scalars()
            for person in people:
                if person.role == Role.ADMIN:
                    zone = await zone_of_region(session, person.region)
                else:
                    serves = await session.execute(
                        select(col(Assignment.id)).where(
                            col(Assignment.staff_id) == person.id, col(Assignment.until).is_(None)
                        )
                    )
                    if serves.first() is None:
                        continue
                    zone = await zone_of_scope(session, person)
                today = now.astimezone(ZoneInfo(zone)).date()
                monday = today - timedelta(days=today.weekday())
                for day in (monday, monday + timedelta(days=7)):
                    due = datetime.combine(day, SEND_AT, tzinfo=ZoneInfo(zone))
                    if due < now - GRACE:
                        continue
                    rows.append(
                        reminder_row(
                            kind=KIND_WEEKLY,
                            subject=f"staff:{person.id}",
                            period=week_key(day),
                            due_at=due,
                            now=now,
                            params={"staff_id": person.id, "monday": day.isoformat()},
                        )
                    )
            await plan_rows(session, rows)
        return len(rows)

    async def _send_weekly(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        if not self.ctx.config.weekly_digest:
            return False
        row = (
            await session.execute(
                select(Staff, User)
                .join(User, col(User.id) == col(Staff.user_id))
                .where(col(Staff.id) == int(due.params["staff_id"]))
            )
        ).first()
        if row is None:
            return False
        person, user = row
        if not person.active or user.erased_at or user.blocked_at:
            return False
        monday = date.fromisoformat(str(due.params["monday"]))
        texts, locale = self.ctx.texts, user.locale
        text = texts(locale, "digest.ready", week=week_key(monday - timedelta(days=7)))
        ref = int(monday.strftime("%Y%m%d"))
        button = Button(texts(locale, "digest.btn.show"), "dg_get", ref)
        await enqueue(
            session,
            now,
            key=f"digest:{person.id}:{week_key(monday)}",
            chat_id=user.chat_id,
            payload=text_message(text, [[button]]),
            recipient_user_id=user.id,
        )
        return True
