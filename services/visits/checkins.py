"""Checking in and out at a contact point, logging a past visit, and where a cadre stands (/visits).

A check-in by shared location is *verified* when it falls within the point's radius; otherwise
the cadre may log it as *unverified* with a note, or log a past visit afterwards. Unverified
days count unless the point's policy says otherwise, and are always shown as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import ContactPoint, Staff, pk
from models.visits import Visit
from services.audit import audit
from services.errors import Invalid
from services.points import distance_m
from services.reminders import plan
from services.visits.pairing import (
    pairing_views,
)
from services.visits.progress import (
    PointProgress,
    VisitView,
    close_visit,
    count_days,
    point_progress,
    visit_view,
)
from services.visits.receptions import (
    ReceptionView,
    receptions_of,
)
from services.visits.rules import (
    KIND_AUTO_CHECKOUT,
    SOURCE_LOCATION,
    SOURCE_LOGGED,
    check_log_day,
    clean_note,
    day_start,
    local_day,
)
from services.visits.shared import (
    PointRef,
    VisitCases,
    assigned_point,
    assigned_points,
    assigned_since,
    open_visit_of,
    staff_member,
)


@dataclass(frozen=True)
class Progress:
    points: list[PointProgress]
    households: int
    households_contacted: int
    receptions: list[ReceptionView]


@dataclass(frozen=True)
class CheckIn:
    """What a shared location did: opened a visit, or why it could not be verified."""

    outcome: Literal["verified", "unverified", "already", "outside", "unverifiable", "no_location"]
    point: PointRef
    distance_m: int | None = None
    visit: VisitView | None = None
    progress: PointProgress | None = None
    first_today: bool = False  # the visit made today a new visit day at the point
    moved_from: PointRef | None = None  # an open visit elsewhere was closed
    upgraded: bool = False  # an unverified check-in of today, now proven on site

    @property
    def over_m(self) -> int:
        """How far outside the point's radius the location was."""
        return max((self.distance_m or 0) - self.point.radius_m, 0)


@dataclass(frozen=True)
class CheckOut:
    visit: VisitView
    progress: PointProgress


class CheckIns(VisitCases):
    # ---- checking in and out -----------------------------------------------------------------

    async def my_points(self, user_id: int) -> list[PointRef]:
        async with self.ctx.db.read() as session:
            staff = await staff_member(session, user_id)
            return [PointRef.of(p) for p, _ in await assigned_points(session, pk(staff))]

    async def check_in(
        self, user_id: int, lat: float, lon: float, *, own_position: bool = True
    ) -> CheckIn:
        """Check in with a shared location, at the nearest of the cadre's points.

        Within the point's radius the visit opens verified. Outside it, or when the location
        cannot prove where the cadre is (a forwarded location, a place picked on the map, a
        point without coordinates), nothing is written: the answer says why, and the cadre may
        log the visit as unverified with a note (:meth:`check_in_unverified`).
        """
        for attempt in range(2):
            try:
                return await self._check_in(user_id, lat, lon, own_position)
            except IntegrityError:
                # Another check-in opened a visit at the same moment; the retry sees it.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _check_in(self, user_id: int, lat: float, lon: float, own_position: bool) -> CheckIn:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await staff_member(session, user_id)
            points = await assigned_points(session, pk(staff))
            if not points:
                raise Invalid("visits.no_points")
            located = [
                (p, since, distance_m(lat, lon, p.lat, p.lon))
                for p, since in points
                if p.lat is not None and p.lon is not None
            ]
            if not located:
                return CheckIn("no_location", PointRef.of(points[0][0]))
            point, since, distance = min(located, key=lambda item: item[2])
            metres = round(distance)
            ref = PointRef.of(point)
            if not own_position:
                return CheckIn("unverifiable", ref, metres)
            if distance > point.radius_m:
                return CheckIn("outside", ref, metres)
            return await self._open(
                session, staff, point, since, now, verified=True, lat=lat, lon=lon, metres=metres
            )

    async def check_in_unverified(
        self,
        user_id: int,
        point_id: int,
        note: str,
        *,
        lat: float | None = None,
        lon: float | None = None,
    ) -> CheckIn:
        """Check in although the location did not prove it; kept as unverified, with a note."""
        text = clean_note(note, required=True)
        now = self.ctx.clock.now()
        for attempt in range(2):
            try:
                async with self.ctx.db.write() as session:
                    staff = await staff_member(session, user_id)
                    point, since = await assigned_point(session, pk(staff), point_id)
                    metres = None
                    if lat is not None and lon is not None and point.lat is not None:
                        assert point.lon is not None
                        metres = round(distance_m(lat, lon, point.lat, point.lon))
                    return await self._open(
                        session,
                        staff,
                        point,
                        since,
                        now,
                        verified=False,
                        lat=lat,
                        lon=lon,
                        metres=metres,
                        note=text,
                    )
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _open(
        self,
        session: AsyncSession,
        staff: Staff,
        point: ContactPoint,
        since: datetime,
        now: datetime,
        *,
        verified: bool,
        lat: float | None,
        lon: float | None,
        metres: int | None,
        note: str | None = None,
    ) -> CheckIn:
        staff_id, ref = pk(staff), PointRef.of(point)
        day = local_day(now, point.tz)
        current = await open_visit_of(session, staff_id)
        moved_from = None
        if current is not None:
            visit, at = current
            if visit.contact_point_id == ref.id and visit.day == day:
                upgraded = verified and not visit.verified
                if upgraded:
                    # Proven on site after an unverified check-in: the visit is verified now.
                    visit.verified, visit.lat, visit.lon = True, lat, lon
                    visit.distance_m = metres
                    await session.flush()
                progress = await point_progress(session, staff_id, point, since, now)
                return CheckIn(
                    "already",
                    ref,
                    metres,
                    visit_view(visit, PointRef.of(at)),
                    progress,
                    upgraded=upgraded,
                )
            close_visit(visit, at, now, "moved" if visit.contact_point_id != ref.id else "auto")
            if visit.contact_point_id != ref.id:
                moved_from = PointRef.of(at)
            await session.flush()
        before = await count_days(session, staff_id, ref.id, day, day + timedelta(days=1))
        visit = Visit(
            staff_id=staff_id,
            contact_point_id=ref.id,
            day=day,
            source=SOURCE_LOCATION,
            verified=verified,
            started_at=now,
            lat=lat,
            lon=lon,
            distance_m=metres,
            note=note,
            created_at=now,
        )
        session.add(visit)
        await session.flush()
        await plan(
            session,
            kind=KIND_AUTO_CHECKOUT,
            subject=f"visit:{pk(visit)}",
            due_at=day_start(day + timedelta(days=1), point.tz),
            now=now,
            visit_id=pk(visit),
        )
        progress = await point_progress(session, staff_id, point, since, now)
        return CheckIn(
            "verified" if verified else "unverified",
            ref,
            metres,
            visit_view(visit, ref),
            progress,
            first_today=before.days == 0,
            moved_from=moved_from,
        )

    async def check_out(self, user_id: int) -> CheckOut:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await staff_member(session, user_id)
            current = await open_visit_of(session, pk(staff))
            if current is None:
                raise Invalid("visits.not_checked_in")
            visit, point = current
            close_visit(visit, point, now, "checkout")
            await session.flush()
            since = await assigned_since(session, pk(staff), pk(point))
            progress = await point_progress(session, pk(staff), point, since, now)
            return CheckOut(visit_view(visit, PointRef.of(point)), progress)

    async def open_visit(self, user_id: int) -> VisitView | None:
        async with self.ctx.db.read() as session:
            staff = await staff_member(session, user_id)
            current = await open_visit_of(session, pk(staff))
        return None if current is None else visit_view(current[0], PointRef.of(current[1]))

    async def log_visit(self, user_id: int, point_id: int, day: date, note: str) -> PointProgress:
        """Log a visit after the fact: kept as unverified, with what was done there."""
        text = clean_note(note, required=True)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await staff_member(session, user_id)
            point, since = await assigned_point(session, pk(staff), point_id)
            today = local_day(now, point.tz)
            check_log_day(day, today)
            start = day_start(day, point.tz)
            session.add(
                Visit(
                    staff_id=pk(staff),
                    contact_point_id=pk(point),
                    day=day,
                    source=SOURCE_LOGGED,
                    verified=False,
                    started_at=start,
                    ended_at=start,
                    closed_by=SOURCE_LOGGED,
                    note=text,
                    created_at=now,
                )
            )
            audit(session, now, user_id, "visits:log", f"point:{pk(point)}", day=day.isoformat())
            await session.flush()
            return await point_progress(session, pk(staff), point, since, now)

    def today(self, tz: str) -> date:
        """Today's date at a point (in its time zone)."""
        return local_day(self.ctx.clock.now(), tz)

    def log_day(self, tz: str, day: date) -> date:
        """The day of a past visit, checked as it is chosen (before the note is asked for)."""
        check_log_day(day, self.today(tz))
        return day

    def log_days(self, point: PointRef, count: int = 7) -> list[date]:
        """The days offered as buttons when logging a past visit: today and the days before."""
        today = local_day(self.ctx.clock.now(), point.tz)
        return [today - timedelta(days=n) for n in range(count)]

    async def progress(self, user_id: int) -> Progress:
        """The cadre's month and year at each of their points, households and reception days."""
        now = self.ctx.clock.now()
        async with self.ctx.db.read() as session:
            staff = await staff_member(session, user_id)
            staff_id = pk(staff)
            points = [
                await point_progress(session, staff_id, point, since, now)
                for point, since in await assigned_points(session, staff_id)
            ]
            pairings = await pairing_views(session, now, staff_id=staff_id)
            receptions = await receptions_of(session, now, staff_id=staff_id)
        return Progress(
            points,
            len(pairings),
            sum(1 for p in pairings if p.contacted_this_month),
            receptions,
        )
