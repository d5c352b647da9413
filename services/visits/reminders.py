"""The visit reminders: planned once per duty and month with unique keys by a scheduler tick
(:meth:`VisitReminders.plan_reminders`), sent once by the reminders tick; each handler looks
again at the figures when it fires and skips what no longer applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Staff, pk
from models.visits import Pairing, Visit
from services.cards import staff_name
from services.outbox import enqueue, text_message
from services.reminders import Due, Handler, plan_rows, reminder_row
from services.staff import covers_region, label_of
from services.texts import esc
from services.visits.compliance import (
    compliance_of,
)
from services.visits.pairing import (
    pairing_views,
)
from services.visits.progress import (
    close_visit,
    month_counted,
    point_progress,
)
from services.visits.rules import (
    ADMIN_GRACE,
    CADRE_GRACE,
    KIND_AUTO_CHECKOUT,
    KIND_ESCALATE,
    KIND_MID_MONTH,
    KIND_MONTH_END,
    KIND_PACE,
    KIND_PAIRINGS,
    KIND_SUMMARY,
    LIST_LIMIT,
    MID_MONTH_DAY,
    PAIRING_REMIND_DAY,
    REMIND_AT,
    SUMMARY_AT,
    Policy,
    at_local,
    day_start,
    expected_by,
    local_day,
    month_after,
    month_end_reminder_day,
    month_first,
    months_of_duty,
    obliged,
    period_of,
    prev_month,
)
from services.visits.shared import (
    PointRef,
    VisitCases,
    active_points,
    admins,
    admins_of,
    assigned_since,
    policies_of,
    tell_staff,
)
from services.visits.wording import (
    clock_text,
    compliance_lines,
    day_text,
    month_text,
    names_text,
    point_label,
    split_messages,
)


class ReminderPlanning(VisitCases):
    """Which reminders are due this month, planned once each."""

    async def plan_reminders(self) -> int:
        """Plan this month's reminders for every duty, and last month's escalations and
        summaries; planning again plans nothing twice. Returns how many keys were offered."""
        now = self.ctx.clock.now()
        rows: list[dict[str, Any]] = []

        def offer(
            kind: str, subject: str, period: str, due_at: datetime, grace: timedelta, **params: Any
        ) -> None:
            if due_at < now - grace:
                return  # too late to be useful
            rows.append(
                reminder_row(
                    kind=kind, subject=subject, period=period, due_at=due_at, now=now, params=params
                )
            )

        async with self.ctx.db.write() as session:
            for staff_id, point_id, tz, since in await duties(session):
                today = local_day(now, tz)
                y, m = today.year, today.month
                subject = f"staff:{staff_id}:cp:{point_id}"
                ids = {"staff_id": staff_id, "point_id": point_id}
                if obliged(since, tz, y, m):
                    period = period_of(y, m)
                    mid = at_local(date(y, m, MID_MONTH_DAY), REMIND_AT, tz)
                    end = at_local(month_end_reminder_day(y, m), REMIND_AT, tz)
                    offer(KIND_MID_MONTH, subject, period, mid, CADRE_GRACE, **ids, y=y, m=m)
                    offer(KIND_MONTH_END, subject, period, end, CADRE_GRACE, **ids, y=y, m=m)
                    if months_of_duty(since, tz, y, m - 1):
                        first = at_local(month_first(y, m), REMIND_AT, tz)
                        offer(KIND_PACE, subject, period, first, CADRE_GRACE, **ids, y=y, m=m)
                py, pm = prev_month(y, m)
                if obliged(since, tz, py, pm):
                    due = at_local(month_first(y, m), REMIND_AT, tz)
                    offer(
                        KIND_ESCALATE,
                        subject,
                        period_of(py, pm),
                        due,
                        ADMIN_GRACE,
                        **ids,
                        y=py,
                        m=pm,
                    )
            for staff_id, point_id, tz in await paired_duties(session):
                today = local_day(now, tz)
                y, m = today.year, today.month
                due = at_local(date(y, m, PAIRING_REMIND_DAY), REMIND_AT, tz)
                offer(
                    KIND_PAIRINGS,
                    f"staff:{staff_id}:cp:{point_id}",
                    period_of(y, m),
                    due,
                    CADRE_GRACE,
                    staff_id=staff_id,
                    point_id=point_id,
                    y=y,
                    m=m,
                )
            points = await active_points(session)
            for admin_id, region in await admins(session):
                mine = [(tz, r) for tz, r in points if covers_region(region, r)]
                if not mine:
                    continue
                # The month before, as it is everywhere in scope: at the point whose calendar
                # is the latest behind; sent once that month has ended at every point.
                earliest = min(local_day(now, tz) for tz, _ in mine)
                py, pm = prev_month(earliest.year, earliest.month)
                after_period = month_after(py, pm)
                due = max(at_local(after_period, SUMMARY_AT, tz) for tz, _ in mine)
                offer(
                    KIND_SUMMARY,
                    f"admin:{admin_id}",
                    period_of(py, pm),
                    due,
                    ADMIN_GRACE,
                    staff_id=admin_id,
                    y=py,
                    m=pm,
                )
            await plan_rows(session, rows)
        return len(rows)


class VisitReminders(VisitCases):
    """What each visit reminder says when it fires, and to whom."""

    def cadre_reminder_handlers(self) -> dict[str, Handler]:
        return {
            KIND_MID_MONTH: self._remind_mid_month,
            KIND_MONTH_END: self._remind_month_end,
            KIND_PACE: self._remind_pace,
            KIND_ESCALATE: self._escalate,
            KIND_PAIRINGS: self._remind_pairings,
            KIND_SUMMARY: self._send_summary,
            KIND_AUTO_CHECKOUT: self._auto_checkout,
        }

    async def _duty(
        self, session: AsyncSession, due: Due
    ) -> tuple[ContactPoint, datetime, Policy] | None:
        """The point, the assignment's start and the policy, if the cadre still serves there."""
        staff = await session.get(Staff, int(due.params["staff_id"]))
        if staff is None or not staff.active or staff.role != Role.CADRE:
            return None
        point = await session.get(ContactPoint, int(due.params["point_id"]))
        if point is None or not point.active:
            return None
        since = await assigned_since(session, pk(staff), pk(point))
        if since is None:
            return None
        return point, since, (await policies_of(session, [pk(point)]))[pk(point)]

    async def _tell_cadre(
        self,
        session: AsyncSession,
        due: Due,
        now: datetime,
        key: str,
        buttons: Sequence[tuple[str, str]] = (),
        **params: Any,
    ) -> None:
        """The cadre a reminder is for hears of it."""
        staff_id = int(due.params["staff_id"])
        await tell_staff(self.texts, session, staff_id, f"rem{due.id}", now, key, buttons, **params)

    async def _remind_mid_month(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        duty = await self._duty(session, due)
        if duty is None:
            return False
        point, _since, policy = duty
        y, m = int(due.params["y"]), int(due.params["m"])
        done = await month_counted(session, int(due.params["staff_id"]), pk(point), y, m, policy)
        if done * 2 >= policy.visits_per_month:
            return False  # half the month's visits done by mid-month (none owed: nothing to say)
        await self._tell_cadre(
            session,
            due,
            now,
            "visits.remind.mid_month",
            (("visits.btn.check_in", "visit_checkin"),),
            point=esc(point.name),
            month=lambda loc: month_text(self.texts, loc, y, m),
            done=done,
            required=policy.visits_per_month,
        )
        return True

    async def _remind_month_end(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        duty = await self._duty(session, due)
        if duty is None:
            return False
        point, _since, policy = duty
        y, m = int(due.params["y"]), int(due.params["m"])
        done = await month_counted(session, int(due.params["staff_id"]), pk(point), y, m, policy)
        if done >= policy.visits_per_month:
            return False
        left = (month_after(y, m) - local_day(now, point.tz)).days
        await self._tell_cadre(
            session,
            due,
            now,
            "visits.remind.month_end",
            (("visits.btn.check_in", "visit_checkin"), ("visits.btn.log", "visit_log")),
            point=esc(point.name),
            month=lambda loc: month_text(self.texts, loc, y, m),
            done=done,
            required=policy.visits_per_month,
            left=max(left, 1),
        )
        return True

    async def _remind_pace(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        duty = await self._duty(session, due)
        if duty is None:
            return False
        point, since, policy = duty
        staff_id = int(due.params["staff_id"])
        y, m = int(due.params["y"]), int(due.params["m"])
        progress = await point_progress(session, staff_id, point, since, now)
        expected = expected_by(policy.days_per_year, months_of_duty(since, point.tz, y, m - 1))
        if progress.year_done >= expected:
            return False
        await self._tell_cadre(
            session,
            due,
            now,
            "visits.remind.pace",
            (("visits.btn.check_in", "visit_checkin"),),
            point=esc(point.name),
            year=y,
            done=progress.year_done,
            target=progress.year_target,
            expected=expected,
        )
        return True

    async def _escalate(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        staff_id, point_id = int(due.params["staff_id"]), int(due.params["point_id"])
        y, m = int(due.params["y"]), int(due.params["m"])
        point = await session.get(ContactPoint, point_id)
        staff = await session.get(Staff, staff_id)
        if point is None or staff is None or not staff.active:
            return False
        # Still owed if the cadre served there to the month's end (a transfer on the 20th
        # does not excuse the month).
        ended = day_start(month_after(y, m), point.tz)
        served = await session.execute(
            select(col(Assignment.id)).where(
                col(Assignment.staff_id) == staff_id,
                col(Assignment.contact_point_id) == point_id,
                col(Assignment.since) <= day_start(month_first(y, m), point.tz),
                or_(col(Assignment.until).is_(None), col(Assignment.until) >= ended),
            )
        )
        if served.scalar() is None:
            return False
        policy = (await policies_of(session, [point_id]))[point_id]
        done = await month_counted(session, staff_id, point_id, y, m, policy)
        if done >= policy.visits_per_month:
            return False
        cadre = await label_of(session, staff_id)
        admins = await admins_of(session, point.region)
        for admin_id, chat_id, locale, user_id in admins:
            text = self.texts(
                locale,
                "visits.remind.escalate",
                name=staff_name(self.texts, locale, cadre.name, cadre.title),
                point=point_label(PointRef.of(point)),
                month=month_text(self.texts, locale, y, m),
                done=done,
                required=policy.visits_per_month,
            )
            await enqueue(
                session,
                now,
                key=f"rem{due.id}:a{admin_id}",
                chat_id=chat_id,
                payload=text_message(text),
                recipient_user_id=user_id,
            )
        return bool(admins)

    async def _remind_pairings(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        staff_id, point_id = int(due.params["staff_id"]), int(due.params["point_id"])
        staff = await session.get(Staff, staff_id)
        if staff is None or not staff.active:
            return False
        pairings = [
            p
            for p in await pairing_views(session, now, staff_id=staff_id)
            if p.point.id == point_id and not p.contacted_this_month
        ]
        if not pairings:
            return False
        y, m = int(due.params["y"]), int(due.params["m"])
        names = [esc(p.resident_name) for p in pairings[:LIST_LIMIT]]
        more = len(pairings) - len(names)
        await self._tell_cadre(
            session,
            due,
            now,
            "visits.remind.pairings",
            (("visits.btn.households", "visit_households"),),
            point=esc(pairings[0].point.name),
            month=lambda loc: month_text(self.texts, loc, y, m),
            names=lambda loc: names_text(self.texts, loc, names, more),
            count=len(pairings),
        )
        return True

    async def _send_summary(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        admin = await session.get(Staff, int(due.params["staff_id"]))
        if admin is None or not admin.active or admin.role != Role.ADMIN:
            return False
        report = await compliance_of(
            session, admin.region, int(due.params["y"]), int(due.params["m"])
        )
        if not report.rows:
            return False
        me = await label_of(session, pk(admin))
        lines = compliance_lines(self.texts, me.locale, report)
        for i, text in enumerate(split_messages(lines)):
            await enqueue(
                session,
                now,
                key=f"rem{due.id}:{i}",
                chat_id=me.chat_id,
                payload=text_message(text),
                recipient_user_id=me.user_id,
            )
        return True

    async def _auto_checkout(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        visit = await session.get(Visit, int(due.params["visit_id"]))
        if visit is None or visit.ended_at is not None:
            return False
        point = await session.get(ContactPoint, visit.contact_point_id)
        assert point is not None
        close_visit(visit, point, now, "auto")
        await session.flush()
        await tell_staff(
            self.texts,
            session,
            visit.staff_id,
            f"rem{due.id}",
            now,
            "visits.auto_closed",
            point=esc(point.name),
            day=lambda loc: day_text(self.texts, loc, visit.day),
            since=clock_text(visit.started_at, point.tz),
        )
        return True


async def duties(session: AsyncSession) -> list[tuple[int, int, str, datetime]]:
    """Every cadre's current assignment at an active point: (staff, point, tz, since)."""
    rows = (
        await session.execute(
            select(
                col(Assignment.staff_id),
                col(Assignment.contact_point_id),
                col(ContactPoint.tz),
                func.min(col(Assignment.since)),
            )
            .join(Staff, col(Staff.id) == col(Assignment.staff_id))
            .join(ContactPoint, col(ContactPoint.id) == col(Assignment.contact_point_id))
            .where(
                col(Assignment.until).is_(None),
                col(Staff.active),
                col(Staff.role) == Role.CADRE,
                col(ContactPoint.active),
            )
            .group_by(
                col(Assignment.staff_id), col(Assignment.contact_point_id), col(ContactPoint.tz)
            )
            .order_by(col(Assignment.staff_id), col(Assignment.contact_point_id))
        )
    ).all()
    return [(int(s), int(p), str(tz), since) for s, p, tz, since in rows]


async def paired_duties(session: AsyncSession) -> list[tuple[int, int, str]]:
    rows = (
        await session.execute(
            select(col(Pairing.staff_id), col(Pairing.contact_point_id), col(ContactPoint.tz))
            .join(ContactPoint, col(ContactPoint.id) == col(Pairing.contact_point_id))
            .join(Staff, col(Staff.id) == col(Pairing.staff_id))
            .where(col(Pairing.ended_at).is_(None), col(Staff.active))
            .distinct()
        )
    ).all()
    return [(int(s), int(p), str(tz)) for s, p, tz in rows]
