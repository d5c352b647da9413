"""Monthly reports: build one (figures, charts, workbook) for a reader, the office or an
administrator's area; and the scheduled monthly notice to every administrator.

The scheduled send goes through ``services.reminders``: one reminder per administrator and
month, keyed ``(report.monthly, staff:<id>, <month>)`` and due on the 1st at 09:00 in their
region's time zone, so a restart or a second scheduler never sends it twice. What it queues in
the outbox is a short message with a button; the charts and the workbook are made when the
administrator taps it and sent as the answer in that chat. Files are never kept in the
outbox (it holds JSON, and megabytes of PNG per administrator would swell it for nothing), and
a report nobody opens costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Staff, User
from services.context import Context
from services.errors import Invalid
from services.figures import Figures
from services.outbox import Button, enqueue, text_message
from services.reminders import Due, Handler, plan_rows, reminder_row
from services.reports.chart_specs import Chart, ChartPlanner
from services.reports.drawing import ChartDrawing, InThread
from services.reports.figures import MonthlyFigures, ReportFigures, month_period, visit_lines
from services.reports.scope import ReportScope, office_scope, reader_scope
from services.scope import zone_of_region
from services.texts import esc
from services.visits import Visits

KIND_MONTHLY = "monthly_report"
SEND_AT = time(9, 0)
# A report planned late (the scheduler was down on the 1st) is still sent within this.
GRACE = timedelta(days=3)
MONTHS_OFFERED = 6


@dataclass(frozen=True)
class MonthlyReport:
    figures: MonthlyFigures
    charts: list[Chart]
    workbook: bytes
    cases_listed: int = 0  # rows of the cases sheet
    cases_total: int = 0  # cases filed in the month (withdrawn and duplicates too)

    @property
    def cases_capped(self) -> bool:
        return self.cases_listed < self.cases_total

    @property
    def file_stem(self) -> str:
        scope = self.figures.scope.label.replace("/", "-").replace(" ", "_") or "all"
        return f"report-{self.figures.period.key}-{scope}"


def month_key(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def parse_month(value: str) -> str:
    """``2026-11`` (or 202611, as buttons carry it) → "2026-11"; anything else is refused."""
    text = value.strip().replace("-", "")
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12:
        raise Invalid("report.bad_month", value=esc(value[:20]))
    return f"{text[:4]}-{text[4:]}"


def recent_months(now: datetime, zone: str, count: int = MONTHS_OFFERED) -> list[str]:
    """This month and the ones before it, newest first (what /report offers)."""
    local = now.astimezone(ZoneInfo(zone))
    index = local.year * 12 + local.month - 1
    return [month_key((index - i) // 12, (index - i) % 12 + 1) for i in range(count)]


class Reports:
    def __init__(self, ctx: Context, figures: Figures, visits: Visits) -> None:
        self.ctx = ctx
        self.figures = figures
        self.visits = visits

    # ---- building ----------------------------------------------------------------------------

    async def for_reader(
        self, user_id: int, month: str, spec: str | None, locale: str
    ) -> MonthlyReport:
        """A staff member's report: a cadre their points, an administrator their area (or a
        point or region in it). Made in the chat, so its cases sheet lists at most
        ``report_case_rows`` cases (the CLI writes them all)."""
        async with self.ctx.db.read() as session:
            scope = await reader_scope(session, user_id, spec)
        rows = self.ctx.config.report_case_rows
        return await self.build(scope, parse_month(month), locale, case_rows=rows)

    async def for_office(
        self,
        month: str,
        locale: str,
        *,
        region: str | None = None,
        points: Sequence[str] = (),
        case_rows: int | None = None,
        drawing: ChartDrawing | None = None,
    ) -> MonthlyReport:
        """The office's report (``cpbot report``): every case of the month unless
        ``case_rows`` caps the cases sheet."""
        async with self.ctx.db.read() as session:
            scope = await office_scope(session, region=region, points=points)
        return await self.build(
            scope, parse_month(month), locale, case_rows=case_rows, drawing=drawing
        )

    async def scope_of(self, user_id: int, spec: str | None) -> ReportScope:
        async with self.ctx.db.read() as session:
            return await reader_scope(session, user_id, spec)

    async def collect(self, scope: ReportScope, month: str) -> MonthlyFigures:
        period = month_period(month, scope.zone)
        async with self.ctx.db.read() as session:
            q = ReportFigures(self.figures, session, scope)
            figures = MonthlyFigures(
                period=period,
                scope=scope,
                total=await q.rates(period),
                by_category=await q.by_category(period),
                by_kind=await q.by_kind(period),
                months=await q.months(period),
                points=await q.points(period),
                cadres=await q.cadres(period),
                notices=await q.notices(period),
                consultations=await q.consultations(period),
            )
        compliance = await self.visits.compliance(
            scope.region if scope.point_ids is None else None,
            period.start.year,
            period.start.month,
        )
        return MonthlyFigures(**{**figures.__dict__, "visits": visit_lines(compliance, scope)})

    async def build(
        self,
        scope: ReportScope,
        month: str,
        locale: str,
        *,
        case_rows: int | None = None,
        drawing: ChartDrawing | None = None,
    ) -> MonthlyReport:
        """Figures, charts and the workbook. ``case_rows``: list at most that many cases
        (None: all), the sheet's last line then says how many there are and how to get all.
        ``drawing``: who draws the charts (a thread of this process unless given)."""
        figures = await self.collect(scope, month)
        drawing = drawing or InThread()
        # Handed over now: a drawing process (``cpbot report``) draws while the workbook is made.
        drawing.submit(ChartPlanner(self.ctx.texts, locale).all(figures))
        async with self.ctx.db.read() as session:
            q = ReportFigures(self.figures, session, scope)
            total = await q.case_count(figures.period)
            listed = total if case_rows is None else min(total, case_rows)
            # XlsxWriter loads only when a report is made, not with every bot process.
            from services.reports.workbook import WorkbookMaker

            workbook = await WorkbookMaker(self.ctx.texts, locale).build(
                figures, q.cases(figures.period, listed), total
            )
        # Drawing is CPU work: off the event loop, so the bot keeps answering meanwhile.
        charts = await drawing.charts()
        return MonthlyReport(figures, charts, workbook, listed, total)

    # ---- the scheduled monthly report ------------------------------------------------------

    def reminder_handlers(self) -> dict[str, Handler]:
        return {KIND_MONTHLY: self._send_monthly}

    async def plan_monthly(self) -> int:
        """Plan, for every administrator, last month's report (due on this month's 1st, if
        that is not long past) and this month's (due on the next 1st). Planning again plans
        nothing twice. Returns how many keys were offered."""
        if not self.ctx.config.monthly_reports:
            return 0
        now = self.ctx.clock.now()
        rows: list[dict[str, Any]] = []
        async with self.ctx.db.write() as session:
            admins = (
                await session.execute(
                    select(Staff).where(col(Staff.role) == Role.ADMIN, col(Staff.active))
                )
            ).scalars()
            zones: dict[str | None, str] = {}
            for admin in admins:
                if admin.region not in zones:
                    zones[admin.region] = await zone_of_region(session, admin.region)
                zone = ZoneInfo(zones[admin.region])
                local = now.astimezone(zone)
                index = local.year * 12 + local.month - 1
                for first in (index, index + 1):
                    due = datetime.combine(
                        date(first // 12, first % 12 + 1, 1), SEND_AT, tzinfo=zone
                    )
                    if due < now - GRACE:
                        continue
                    month = month_key((first - 1) // 12, (first - 1) % 12 + 1)
                    rows.append(
                        reminder_row(
                            kind=KIND_MONTHLY,
                            subject=f"staff:{admin.id}",
                            period=month,
                            due_at=due,
                            now=now,
                            params={"staff_id": admin.id, "month": month},
                        )
                    )
            await plan_rows(session, rows)
        return len(rows)

    async def _send_monthly(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        if not self.ctx.config.monthly_reports:
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
        admin, user = row
        if not admin.active or admin.role != Role.ADMIN or user.erased_at or user.blocked_at:
            return False
        month = str(due.params["month"])
        texts, locale = self.ctx.texts, user.locale
        scope = esc(admin.region) if admin.region else texts(locale, "report.scope_all")
        text = texts(locale, "report.monthly_ready", month=month, scope=scope)
        button = Button(texts(locale, "report.btn.get"), "rp_get", int(month.replace("-", "")))
        await enqueue(
            session,
            now,
            key=f"report:{admin.id}:{month}",
            chat_id=user.chat_id,
            payload=text_message(text, [[button]]),
            recipient_user_id=user.id,
        )
        return True
