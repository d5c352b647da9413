"""Reception days (接待日): a cadre announces hours at a point, residents are told in advance
and on the morning, and told again if it is called off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.tables import ContactPoint, Reminder, Residency, User, pk
from models.visits import ReceptionDay, ReceptionRun
from services.audit import audit
from services.errors import Invalid, NotFound
from services.fanout.ledger import SENDING
from services.reminders import Due, Handler, plan
from services.visits.reception_fanout import CANCELLED, NOTICE, TODAY, ReceptionFanout
from services.visits.rules import (
    KIND_RECEPTION_CANCELLED,
    KIND_RECEPTION_NOTICE,
    KIND_RECEPTION_TODAY,
    RECEPTION_AHEAD_DAYS,
    RECEPTION_MORNING_AT,
    RECEPTION_NOTICE_AT,
    at_local,
    local_day,
)
from services.visits.shared import (
    PointRef,
    VisitCases,
    assigned_point,
    policies_of,
    staff_member,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceptionView:
    id: int
    point: PointRef
    staff_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    cancelled: bool


@dataclass(frozen=True)
class ReceptionPreview:
    point: PointRef
    day: date
    starts_at: datetime
    ends_at: datetime
    residents: int
    notice_on: date | None  # when the advance notice goes out (None: only the morning one)


class Receptions(VisitCases):
    # Options of the announcements' fan-out (window, pacing), as ``Fanout`` takes them.
    reception_fanout_options: ClassVar[dict[str, Any]] = {}

    # ---- reception days (接待日) ----------------------------------------------------------------

    async def reception_preview(
        self, user_id: int, point_id: int, day: date, start: time, end: time
    ) -> ReceptionPreview:
        """What announcing would do: how many residents hear of it, and when."""
        now = self.ctx.clock.now()
        async with self.ctx.db.read() as session:
            staff = await staff_member(session, user_id)
            point, _since = await assigned_point(session, pk(staff), point_id)
            starts_at, ends_at = reception_times(point, day, start, end, now)
            policy = (await policies_of(session, [pk(point)]))[pk(point)]
            residents = await resident_count(session, pk(point), exclude_user=user_id)
        advance, _morning = notice_times(point.tz, day, starts_at, policy.notice_days, now)
        return ReceptionPreview(
            PointRef.of(point),
            day,
            starts_at,
            ends_at,
            residents,
            local_day(advance, point.tz) if advance else None,
        )

    async def announce_reception(
        self, user_id: int, point_id: int, day: date, start: time, end: time
    ) -> ReceptionView:
        """Announce a reception day: residents are told ``notice_days`` before (or at once, if
        that is past) and on the morning of the day, each in their language."""
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.write() as session:
                staff = await staff_member(session, user_id)
                point, _since = await assigned_point(session, pk(staff), point_id)
                starts_at, ends_at = reception_times(point, day, start, end, now)
                taken = await session.execute(
                    select(col(ReceptionDay.id)).where(
                        col(ReceptionDay.staff_id) == pk(staff),
                        col(ReceptionDay.contact_point_id) == pk(point),
                        col(ReceptionDay.day) == day,
                        col(ReceptionDay.cancelled_at).is_(None),
                    )
                )
                if taken.scalar() is not None:
                    raise Invalid("visits.reception.exists")
                row = ReceptionDay(
                    staff_id=pk(staff),
                    contact_point_id=pk(point),
                    day=day,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    announced_at=now,
                )
                session.add(row)
                await session.flush()
                policy = (await policies_of(session, [pk(point)]))[pk(point)]
                advance, morning = notice_times(point.tz, day, starts_at, policy.notice_days, now)
                subject = f"reception:{pk(row)}"
                if advance is not None:
                    await plan(
                        session,
                        kind=KIND_RECEPTION_NOTICE,
                        subject=subject,
                        due_at=advance,
                        now=now,
                        id=pk(row),
                    )
                await plan(
                    session,
                    kind=KIND_RECEPTION_TODAY,
                    subject=subject,
                    due_at=morning,
                    now=now,
                    id=pk(row),
                )
                audit(session, now, user_id, "visits:reception", subject, day=day.isoformat())
                for kind in (KIND_RECEPTION_NOTICE, KIND_RECEPTION_TODAY):
                    await self._send_if_due(session, kind, subject, now)
                return reception_view(row, PointRef.of(point))
        except IntegrityError:
            raise Invalid("visits.reception.exists") from None

    async def cancel_reception(self, user_id: int, reception_id: int) -> ReceptionView:
        """Call a reception day off; residents who were told hear that it is cancelled."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await staff_member(session, user_id)
            # Taking the row's lock waits for a notice being sent right now, so the
            # cancellation below knows for sure whether residents were told.
            row = (
                await session.execute(
                    select(ReceptionDay)
                    .where(col(ReceptionDay.id) == reception_id)
                    .with_for_update()
                )
            ).scalar()
            if row is None or row.staff_id != pk(staff):
                raise NotFound("visits.reception.not_found")
            if row.cancelled_at is not None:
                raise Invalid("visits.reception.already_cancelled")
            if row.ends_at <= now:
                raise Invalid("visits.reception.over")
            row.cancelled_at = now
            # Announcements still going stop: their rows not yet sent are cancelled before the
            # cancellation notice is queued (nobody hears "come" after "called off").
            fanout = self.reception_fanout()
            going = (
                (
                    await session.execute(
                        select(ReceptionRun)
                        .where(
                            col(ReceptionRun.reception_day_id) == reception_id,
                            col(ReceptionRun.finished_at).is_(None),
                        )
                        # Waits for a chunk being queued right now, and sees its rows.
                        .with_for_update()
                        .execution_options(populate_existing=True)
                    )
                )
                .scalars()
                .all()
            )
            for run in going:
                await fanout.cancel_in(session, run)
            await plan(
                session,
                kind=KIND_RECEPTION_CANCELLED,
                subject=f"reception:{reception_id}",
                due_at=now,
                now=now,
                id=reception_id,
            )
            audit(session, now, user_id, "visits:reception_cancel", f"reception:{reception_id}")
            await self._send_if_due(
                session, KIND_RECEPTION_CANCELLED, f"reception:{reception_id}", now
            )
            point = await session.get(ContactPoint, row.contact_point_id)
            assert point is not None
            return reception_view(row, PointRef.of(point))

    async def _send_if_due(
        self, session: AsyncSession, kind: str, subject: str, now: datetime
    ) -> None:
        """Residents told "at once" are told in this transaction, as a notice sent now is: the
        outbox rows commit with the announcement and wake the sender, rather than waiting for
        the reminders tick. The reminder is marked done (or skipped), so the tick leaves it."""
        reminder = (
            await session.execute(
                select(Reminder).where(
                    col(Reminder.kind) == kind,
                    col(Reminder.subject) == subject,
                    col(Reminder.period) == "",
                )
            )
        ).scalar()
        if reminder is None or reminder.status != "pending" or reminder.due_at > now:
            return
        due = Due(pk(reminder), reminder.kind, reminder.subject, reminder.period, reminder.params)
        told = await self.reception_reminder_handlers()[kind](session, due, now)
        reminder.status, reminder.done_at = ("done" if told else "skipped"), now

    async def my_receptions(self, user_id: int) -> list[ReceptionView]:
        async with self.ctx.db.read() as session:
            staff = await staff_member(session, user_id)
            return await receptions_of(session, self.ctx.clock.now(), staff_id=pk(staff))

    def reception_days(self, point: PointRef, count: int = 14) -> list[date]:
        """The days offered as buttons for a reception day: today and the next ones."""
        today = local_day(self.ctx.clock.now(), point.tz)
        return [today + timedelta(days=n) for n in range(count)]

    def reception_reminder_handlers(self) -> dict[str, Handler]:
        return {
            KIND_RECEPTION_NOTICE: self._reception_notice,
            KIND_RECEPTION_TODAY: self._reception_today,
            KIND_RECEPTION_CANCELLED: self._reception_cancelled,
        }

    async def _reception_notice(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        return await self._tell_residents(session, due, now, NOTICE)

    async def _reception_today(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        return await self._tell_residents(session, due, now, TODAY)

    async def _reception_cancelled(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        told = await session.execute(
            select(col(Reminder.id)).where(
                col(Reminder.subject) == f"reception:{int(due.params['id'])}",
                col(Reminder.kind).in_((KIND_RECEPTION_NOTICE, KIND_RECEPTION_TODAY)),
                col(Reminder.status) == "done",
            )
        )
        if told.scalar() is None:
            return False  # nobody had heard of it yet
        return await self._tell_residents(session, due, now, CANCELLED, cancelled=True)

    def reception_fanout(self) -> ReceptionFanout:
        return ReceptionFanout(
            self.ctx, chunk_size=self.fanout_chunk, **self.reception_fanout_options
        )

    async def _tell_residents(
        self,
        session: AsyncSession,
        due: Due,
        now: datetime,
        purpose: str,
        *,
        cancelled: bool = False,
    ) -> bool:
        """Start the fan-out telling every resident of the point, in their language: the first
        window is queued in this transaction, the rest by the tick (``advance_receptions``).
        Once per day and purpose: a redelivered or refired reminder starts nothing new."""
        row = (
            await session.execute(
                select(ReceptionDay)
                .where(col(ReceptionDay.id) == int(due.params["id"]))
                .with_for_update()
            )
        ).scalar()
        if row is None or (row.cancelled_at is not None) != cancelled:
            return False
        if not cancelled and row.ends_at <= now:
            return False
        started = await session.execute(
            select(col(ReceptionRun.id)).where(
                col(ReceptionRun.reception_day_id) == pk(row),
                col(ReceptionRun.purpose) == purpose,
            )
        )
        if started.scalar() is not None:
            return True
        fanout = self.reception_fanout()
        run = ReceptionRun(reception_day_id=pk(row), purpose=purpose, status=SENDING, send_at=now)
        session.add(run)
        await session.flush()
        await fanout.begin(session, run, now, [])
        await fanout.queue_first(session, run, now)
        return True

    async def advance_receptions(self) -> int:
        """One step of every reception announcement still going: tally, then queue the next
        window (the scheduler's tick). How many runs were advanced."""
        async with self.ctx.db.read() as session:
            runs = (
                (
                    await session.execute(
                        select(col(ReceptionRun.id))
                        .where(col(ReceptionRun.finished_at).is_(None))
                        .order_by(col(ReceptionRun.id))
                    )
                )
                .scalars()
                .all()
            )
        fanout = self.reception_fanout()
        for run_id in runs:
            try:
                await fanout.advance(int(run_id or 0))
            except Exception:
                log.exception(
                    "advancing reception announcement %s failed; next tick retries", run_id
                )
        return len(runs)


def reception_view(row: ReceptionDay, point: PointRef) -> ReceptionView:
    return ReceptionView(
        pk(row),
        point,
        row.staff_id,
        row.day,
        row.starts_at,
        row.ends_at,
        row.cancelled_at is not None,
    )


async def receptions_of(
    session: AsyncSession, now: datetime, *, staff_id: int
) -> list[ReceptionView]:
    rows = (
        await session.execute(
            select(ReceptionDay, ContactPoint)
            .join(ContactPoint, col(ContactPoint.id) == col(ReceptionDay.contact_point_id))
            .where(
                col(ReceptionDay.staff_id) == staff_id,
                col(ReceptionDay.cancelled_at).is_(None),
                col(ReceptionDay.ends_at) > now,
            )
            .order_by(col(ReceptionDay.starts_at))
        )
    ).all()
    return [reception_view(r, PointRef.of(p)) for r, p in rows]


def reception_times(
    point: ContactPoint, day: date, start: time, end: time, now: datetime
) -> tuple[datetime, datetime]:
    if end <= start:
        raise Invalid("visits.reception.bad_hours")
    today = local_day(now, point.tz)
    if day < today or day > today + timedelta(days=RECEPTION_AHEAD_DAYS):
        raise Invalid("visits.reception.bad_day", days=RECEPTION_AHEAD_DAYS)
    starts_at, ends_at = at_local(day, start, point.tz), at_local(day, end, point.tz)
    if starts_at <= now:
        raise Invalid("visits.reception.too_late")
    return starts_at, ends_at


def notice_times(
    tz: str, day: date, starts_at: datetime, notice_days: int, now: datetime
) -> tuple[datetime | None, datetime]:
    """When residents hear of a reception day: in advance (never in the past; none when it is
    today, the morning notice is enough) and on the morning (before it starts)."""
    morning = max(min(at_local(day, RECEPTION_MORNING_AT, tz), starts_at - timedelta(hours=1)), now)
    if local_day(now, tz) >= day or notice_days == 0:
        return None, morning
    advance = max(at_local(day - timedelta(days=notice_days), RECEPTION_NOTICE_AT, tz), now)
    return (advance if advance < morning else None), morning


async def resident_count(session: AsyncSession, point_id: int, *, exclude_user: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(Residency)
                .join(User, col(User.id) == col(Residency.user_id))
                .where(
                    col(Residency.contact_point_id) == point_id,
                    col(User.blocked_at).is_(None),
                    col(User.id) != exclude_user,
                )
            )
        ).scalar_one()
    )
