"""Cadres keep their visit obligations: check-ins, pairings, reception days, reminders, compliance.

The rules (local regulations of the kind this product serves): a cadre visits each contact point
they are assigned to at least once a month and stays there at least ten days a year — both
configurable per point and globally (:class:`VisitPolicy` rows; the constants below apply when
there is none). What counts is the *day*: the calendar day in the point's time zone, counted once
however many check-ins it holds.

- A check-in by shared location is *verified* when it falls within the point's radius; otherwise
  the cadre may log it as *unverified* with a note, or log a past visit afterwards. Unverified
  days count unless the point's policy says otherwise, and are always shown as such.
- Obligations start with the first full month of an assignment; the yearly target is pro-rated
  over the months of duty.
- Reminders are planned with unique keys by a scheduler tick (:meth:`Visits.plan_reminders`) and
  sent once by the reminders tick through :meth:`Visits.reminder_handlers`; each handler looks
  again at the figures when it fires and skips what no longer applies.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import and_, case, distinct, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Reminder, Residency, Staff, User, pk
from models.visits import Pairing, PairingContact, ReceptionDay, Visit, VisitPolicy
from services.audit import audit
from services.cards import staff_name
from services.context import Context
from services.errors import Invalid, NotAllowed, NotFound
from services.outbox import Button, Keyboard, enqueue, enqueue_many, text_message
from services.points import distance_m
from services.reminders import Due, Handler, plan, plan_rows, reminder_row
from services.staff import StaffLabel, covers_region, label_of
from services.texts import Texts, cut, esc

log = logging.getLogger(__name__)

# ---- the rules' defaults (a VisitPolicy row overrides them) ----

DEFAULT_VISITS_PER_MONTH = 1
DEFAULT_DAYS_PER_YEAR = 10
DEFAULT_NOTICE_DAYS = 3
DEFAULT_COUNT_UNVERIFIED = True

# ---- when reminders go out, in the point's time zone ----

REMIND_AT = time(9, 0)
MID_MONTH_DAY = 15
MONTH_END_DAYS = 3  # "the last days of the month": the third-to-last day
PAIRING_REMIND_DAY = 20
SUMMARY_AT = time(8, 0)  # on the 1st, for the month before
RECEPTION_NOTICE_AT = time(9, 0)  # the advance notice, ``notice_days`` before
RECEPTION_MORNING_AT = time(7, 30)  # the morning of the day
# A reminder planned later than this after its time (the bot was down, a cadre just joined)
# is not sent at all: late news about a past deadline helps nobody.
CADRE_GRACE = timedelta(days=1)
ADMIN_GRACE = timedelta(days=7)

# ---- limits ----

LOG_BACK_DAYS = 31  # how far back a past visit may be logged
NOTE_LIMIT = 500
RECEPTION_AHEAD_DAYS = 60
FANOUT_CHUNK = 500  # residents per query and per outbox insert when telling a whole point
MESSAGE_LIMIT = 3500  # a summary longer than this is split into several messages
LIST_LIMIT = 20  # names listed in one reminder
# Ready-made hours for a reception day (the cadre may type others).
RECEPTION_SLOTS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(14, 30), time(17, 30)),
    (time(9, 0), time(17, 0)),
)

# ---- reminder kinds (the reminders table's ``kind``) ----

KIND_MID_MONTH = "visit_mid_month"
KIND_MONTH_END = "visit_month_end"
KIND_PACE = "visit_pace"
KIND_ESCALATE = "visit_escalate"
KIND_PAIRINGS = "visit_pairings"
KIND_SUMMARY = "visit_summary"
KIND_AUTO_CHECKOUT = "visit_auto_checkout"
KIND_RECEPTION_NOTICE = "visit_reception_notice"
KIND_RECEPTION_TODAY = "visit_reception_today"
KIND_RECEPTION_CANCELLED = "visit_reception_cancelled"

SOURCE_LOCATION = "location"
SOURCE_LOGGED = "logged"


# ---- calendar rules (pure) ----


def local_day(moment: datetime, tz: str) -> date:
    """The calendar day at the point when ``moment`` happened."""
    return moment.astimezone(ZoneInfo(tz)).date()


def at_local(day: date, clock: time, tz: str) -> datetime:
    """A wall-clock time on a day at the point, as a UTC instant."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def day_start(day: date, tz: str) -> datetime:
    return at_local(day, time(0, 0), tz)


def month_first(year: int, month: int) -> date:
    return date(year, month, 1)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def prev_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def month_after(year: int, month: int) -> date:
    """The first day after the month (its exclusive end)."""
    return month_first(*next_month(year, month))


def month_end_reminder_day(year: int, month: int) -> date:
    """The day the end-of-month reminder goes out: the third-to-last day of the month."""
    last = calendar.monthrange(year, month)[1]
    return date(year, month, last - MONTH_END_DAYS + 1)


def period_of(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def obliged(since: datetime, tz: str, year: int, month: int) -> bool:
    """Whether a cadre assigned at ``since`` owes visits in the month: from the first full one."""
    return since <= day_start(month_first(year, month), tz)


def months_of_duty(since: datetime, tz: str, year: int, through_month: int) -> int:
    """How many months of ``year`` up to and including ``through_month`` the cadre owed."""
    return sum(1 for m in range(1, through_month + 1) if obliged(since, tz, year, m))


def year_target(days_per_year: int, duty_months: int) -> int:
    """The days owed in a year of ``duty_months`` months of duty (rounded up)."""
    return -(-days_per_year * duty_months // 12)


def expected_by(days_per_year: int, duty_months: int) -> int:
    """The days a steady pace reaches after ``duty_months`` months (rounded down)."""
    return days_per_year * duty_months // 12


_HOURS = re.compile(
    r"^\s*(\d{1,2})(?:[:.：](\d{2}))?\s*[-–—~～至到]\s*(\d{1,2})(?:[:.：](\d{2}))?\s*$"
)
_ISO_DAY = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*$")
_SHORT_DAY = re.compile(r"^\s*(\d{1,2})[-/.月](\d{1,2})日?\s*$")


def parse_hours(value: str) -> tuple[time, time]:
    """Hours typed by a cadre: "9:30-11:30", "14-17", "9：00至12：00"."""
    match = _HOURS.match(value)
    if match is None:
        raise Invalid("visits.reception.bad_hours")
    h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise Invalid("visits.reception.bad_hours") from None
    if end <= start:
        raise Invalid("visits.reception.bad_hours")
    return start, end


def parse_day(value: str, today: date) -> date:
    """A day typed by a cadre: "2026-03-05", "3-5", "3/5", "3月5日" (a short one is the latest
    such day not after today)."""
    try:
        if match := _ISO_DAY.match(value):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _SHORT_DAY.match(value):
            day = date(today.year, int(match[1]), int(match[2]))
            return day if day <= today else date(today.year - 1, day.month, day.day)
    except ValueError:
        pass
    raise Invalid("visits.log.bad_day")


def _note(value: str | None, *, required: bool) -> str | None:
    note = " ".join((value or "").split())
    if required and not note:
        raise Invalid("visits.note_needed")
    return cut(note, NOTE_LIMIT) if note else None


# ---- plain results ----


@dataclass(frozen=True)
class Policy:
    visits_per_month: int = DEFAULT_VISITS_PER_MONTH
    days_per_year: int = DEFAULT_DAYS_PER_YEAR
    count_unverified: bool = DEFAULT_COUNT_UNVERIFIED
    notice_days: int = DEFAULT_NOTICE_DAYS
    source: Literal["built_in", "default", "point"] = "built_in"

    @classmethod
    def of(cls, row: VisitPolicy) -> Policy:
        return cls(
            row.visits_per_month,
            row.days_per_year,
            row.count_unverified,
            row.notice_days,
            "point" if row.contact_point_id is not None else "default",
        )


@dataclass(frozen=True)
class PointRef:
    id: int
    code: str
    name: str
    address: str
    region: str
    tz: str
    radius_m: int
    has_location: bool

    @classmethod
    def of(cls, p: ContactPoint) -> PointRef:
        return cls(
            pk(p),
            p.code,
            p.name,
            p.address,
            p.region,
            p.tz,
            p.radius_m,
            p.lat is not None and p.lon is not None,
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
class DayCounts:
    days: int = 0  # distinct days with any visit
    verified: int = 0  # distinct days with a verified visit

    def counted(self, policy: Policy) -> int:
        return self.days if policy.count_unverified else self.verified


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


@dataclass(frozen=True)
class CadreRef:
    staff_id: int
    name: str
    title: str


@dataclass(frozen=True)
class PairingView:
    id: int
    staff_id: int
    cadre_name: str
    resident_user_id: int
    resident_name: str
    resident_phone: str | None
    point: PointRef
    since: datetime
    last_contact: date | None
    contacted_this_month: bool


@dataclass(frozen=True)
class Paired:
    pairing: PairingView
    created: bool  # False: they were paired already


@dataclass(frozen=True)
class Household:
    """A resident as an administrator pairs them: where they live and who may be paired."""

    user_id: int
    name: str
    phone: str | None
    point: PointRef
    paired: list[CadreRef]
    cadres: list[CadreRef]  # the point's cadres, paired or not


@dataclass(frozen=True)
class ReceptionPreview:
    point: PointRef
    day: date
    starts_at: datetime
    ends_at: datetime
    residents: int
    notice_on: date | None  # when the advance notice goes out (None: only the morning one)


@dataclass(frozen=True)
class ComplianceRow:
    point: PointRef
    cadre: CadreRef | None  # None: no cadre served the point that month
    obliged: bool
    required: int
    days: int  # counted visit days in the month
    verified_days: int
    year_days: int  # counted, from 1 January to the month's end
    year_target: int
    year_expected: int  # by the month's end
    pairings: int
    pairings_contacted: int

    @property
    def met(self) -> bool:
        return self.days >= self.required

    @property
    def behind(self) -> bool:
        return self.year_days < self.year_expected


@dataclass(frozen=True)
class Compliance:
    """The visit figures of one month, per point and cadre, for a region (None: everywhere)."""

    region: str | None
    year: int
    month: int
    rows: list[ComplianceRow] = field(default_factory=list)

    @property
    def obliged_rows(self) -> list[ComplianceRow]:
        return [r for r in self.rows if r.cadre is not None and r.obliged]

    @property
    def met(self) -> int:
        return sum(1 for r in self.obliged_rows if r.met)


# ---- rendering (in the reader's language) ----


def _babel_locale(locale: str) -> str:
    return "zh_Hans_CN" if locale == "zh_Hans" else "en_GB"


def day_text(texts: Texts, locale: str, day: date) -> str:
    """A day as people say it: "Thu 12 Mar" / "3月12日（周四）"."""
    pattern = texts(locale, "visits.fmt_day")
    return str(format_date(day, pattern, locale=_babel_locale(locale)))


def month_text(texts: Texts, locale: str, year: int, month: int) -> str:
    pattern = texts(locale, "visits.fmt_month")
    return str(format_date(month_first(year, month), pattern, locale=_babel_locale(locale)))


def clock_text(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def hours_text(starts_at: datetime, ends_at: datetime, tz: str) -> str:
    return f"{clock_text(starts_at, tz)}–{clock_text(ends_at, tz)}"


def distance_text(texts: Texts, locale: str, metres: int) -> str:
    if metres < 1000:
        return texts(locale, "visits.metres", n=metres)
    return texts(locale, "visits.km", km=f"{metres / 1000:.1f}")


def duration_text(texts: Texts, locale: str, minutes: int) -> str:
    if minutes < 60:
        return texts(locale, "visits.minutes", m=minutes)
    return texts(locale, "visits.hours_minutes", h=minutes // 60, m=minutes % 60)


def point_label(point: PointRef) -> str:
    return f"{esc(point.name)} ({esc(point.code)})"


def progress_lines(texts: Texts, locale: str, p: PointProgress) -> list[str]:
    """A cadre's month and year at one point (for /visits and confirmations)."""
    month = month_text(texts, locale, p.today.year, p.today.month)
    key = "visits.progress.month_met" if p.month_met else "visits.progress.month_open"
    lines = [
        texts(
            locale,
            key,
            month=month,
            done=p.month_done,
            required=p.policy.visits_per_month,
            verified=p.month.verified,
        )
    ]
    year_key = "visits.progress.year_behind" if p.behind else "visits.progress.year"
    lines.append(
        texts(
            locale,
            year_key,
            year=p.today.year,
            done=p.year_done,
            target=p.year_target,
            expected=p.year_expected,
        )
    )
    if not p.policy.count_unverified and p.month.days > p.month.verified:
        lines.append(texts(locale, "visits.progress.unverified_not_counted"))
    return lines


def compliance_lines(texts: Texts, locale: str, report: Compliance) -> list[str]:
    """The monthly compliance figures as text lines, per point and cadre (for /stats and the
    monthly summary to administrators)."""
    month = month_text(texts, locale, report.year, report.month)
    scope = esc(report.region) if report.region else texts(locale, "visits.summary.everywhere")
    lines = [texts(locale, "visits.summary.title", month=month, scope=scope)]
    if not report.rows:
        lines.append(texts(locale, "visits.summary.empty"))
        return lines
    lines.append(
        texts(locale, "visits.summary.met", met=report.met, total=len(report.obliged_rows))
    )
    current: int | None = None
    for row in report.rows:
        if row.point.id != current:
            current = row.point.id
            lines.append("")
            lines.append(f"<b>{point_label(row.point)}</b>")
        if row.cadre is None:
            lines.append(texts(locale, "visits.summary.no_cadre"))
            continue
        if not row.obliged:
            icon = "🆕"
        elif row.met:
            icon = "✅"
        else:
            icon = "❌"
        parts = [
            texts(
                locale,
                "visits.summary.month",
                icon=icon,
                name=staff_name(texts, locale, row.cadre.name, row.cadre.title),
                days=row.days,
                required=row.required,
                verified=row.verified_days,
            )
        ]
        year_key = "visits.summary.year_behind" if row.behind else "visits.summary.year"
        parts.append(
            texts(
                locale,
                year_key,
                done=row.year_days,
                target=row.year_target,
                expected=row.year_expected,
            )
        )
        if row.pairings:
            parts.append(
                texts(
                    locale,
                    "visits.summary.households",
                    contacted=row.pairings_contacted,
                    total=row.pairings,
                )
            )
        lines.append(" · ".join(parts))
    return lines


def split_messages(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines into as few messages as fit Telegram's length limit."""
    messages: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            messages.append(current)
            candidate = line
        current = candidate
    if current:
        messages.append(current)
    return messages


# ---- the use cases ----


class Visits:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts
        self.fanout_chunk = FANOUT_CHUNK

    # ---- policy ------------------------------------------------------------------------------

    async def policy(self, point_id: int) -> Policy:
        async with self.ctx.db.read() as session:
            return (await _policies(session, [point_id]))[point_id]

    async def set_policy(
        self,
        admin_user_id: int,
        point_id: int | None,
        *,
        visits_per_month: int,
        days_per_year: int,
        count_unverified: bool = DEFAULT_COUNT_UNVERIFIED,
        notice_days: int = DEFAULT_NOTICE_DAYS,
    ) -> Policy:
        """Set the rule for one point, or the global default (``point_id`` None; an
        administrator with a region may only set their points')."""
        if not (0 <= visits_per_month <= 31 and 0 <= days_per_year <= 366):
            raise Invalid("visits.policy.bad")
        if not 0 <= notice_days <= 30:
            raise Invalid("visits.policy.bad")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            admin = await _admin(session, admin_user_id)
            if point_id is None:
                if admin.region is not None:
                    raise NotAllowed("visits.admins_only")
                scope = "default"
            else:
                point = await session.get(ContactPoint, point_id)
                if point is None:
                    raise NotFound("visits.point_gone")
                if not covers_region(admin.region, point.region):
                    raise NotAllowed("visits.pair.out_of_scope")
                scope = f"point:{point_id}"
            values: dict[str, Any] = {
                "visits_per_month": visits_per_month,
                "days_per_year": days_per_year,
                "count_unverified": count_unverified,
                "notice_days": notice_days,
            }
            row = (
                await session.execute(select(VisitPolicy).where(col(VisitPolicy.scope) == scope))
            ).scalar()
            if row is None:
                row = VisitPolicy(scope=scope, contact_point_id=point_id, updated_at=now, **values)
                session.add(row)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at, row.updated_by_user_id = now, admin_user_id
            audit(session, now, admin_user_id, "visits:policy", scope, **values)
            return Policy.of(row)

    # ---- checking in and out -----------------------------------------------------------------

    async def my_points(self, user_id: int) -> list[PointRef]:
        async with self.ctx.db.read() as session:
            staff = await _staff(session, user_id)
            return [PointRef.of(p) for p, _ in await _assigned(session, pk(staff))]

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
            staff = await _staff(session, user_id)
            points = await _assigned(session, pk(staff))
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
        text = _note(note, required=True)
        now = self.ctx.clock.now()
        for attempt in range(2):
            try:
                async with self.ctx.db.write() as session:
                    staff = await _staff(session, user_id)
                    point, since = await _assigned_point(session, pk(staff), point_id)
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
        current = await _open_visit(session, staff_id)
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
                progress = await _progress(session, staff_id, point, since, now)
                return CheckIn(
                    "already",
                    ref,
                    metres,
                    _view(visit, PointRef.of(at)),
                    progress,
                    upgraded=upgraded,
                )
            _close(visit, at, now, "moved" if visit.contact_point_id != ref.id else "auto")
            if visit.contact_point_id != ref.id:
                moved_from = PointRef.of(at)
            await session.flush()
        before = await _count(session, staff_id, ref.id, day, day + timedelta(days=1))
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
        progress = await _progress(session, staff_id, point, since, now)
        return CheckIn(
            "verified" if verified else "unverified",
            ref,
            metres,
            _view(visit, ref),
            progress,
            first_today=before.days == 0,
            moved_from=moved_from,
        )

    async def check_out(self, user_id: int) -> CheckOut:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await _staff(session, user_id)
            current = await _open_visit(session, pk(staff))
            if current is None:
                raise Invalid("visits.not_checked_in")
            visit, point = current
            _close(visit, point, now, "checkout")
            await session.flush()
            since = await _since(session, pk(staff), pk(point))
            progress = await _progress(session, pk(staff), point, since, now)
            return CheckOut(_view(visit, PointRef.of(point)), progress)

    async def open_visit(self, user_id: int) -> VisitView | None:
        async with self.ctx.db.read() as session:
            staff = await _staff(session, user_id)
            current = await _open_visit(session, pk(staff))
        return None if current is None else _view(current[0], PointRef.of(current[1]))

    async def log_visit(self, user_id: int, point_id: int, day: date, note: str) -> PointProgress:
        """Log a visit after the fact: kept as unverified, with what was done there."""
        text = _note(note, required=True)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await _staff(session, user_id)
            point, since = await _assigned_point(session, pk(staff), point_id)
            today = local_day(now, point.tz)
            if day > today:
                raise Invalid("visits.log.future")
            if day < today - timedelta(days=LOG_BACK_DAYS):
                raise Invalid("visits.log.too_old", days=LOG_BACK_DAYS)
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
            return await _progress(session, pk(staff), point, since, now)

    def today(self, tz: str) -> date:
        """Today's date at a point (in its time zone)."""
        return local_day(self.ctx.clock.now(), tz)

    def log_days(self, point: PointRef, count: int = 7) -> list[date]:
        """The days offered as buttons when logging a past visit: today and the days before."""
        today = local_day(self.ctx.clock.now(), point.tz)
        return [today - timedelta(days=n) for n in range(count)]

    async def progress(self, user_id: int) -> Progress:
        """The cadre's month and year at each of their points, households and reception days."""
        now = self.ctx.clock.now()
        async with self.ctx.db.read() as session:
            staff = await _staff(session, user_id)
            staff_id = pk(staff)
            points = [
                await _progress(session, staff_id, point, since, now)
                for point, since in await _assigned(session, staff_id)
            ]
            pairings = await _pairing_views(session, now, staff_id=staff_id)
            receptions = await _receptions(session, now, staff_id=staff_id)
        return Progress(
            points,
            len(pairings),
            sum(1 for p in pairings if p.contacted_this_month),
            receptions,
        )

    # ---- pairing (结对帮扶) --------------------------------------------------------------------

    async def find_households(
        self, admin_user_id: int, query: str, limit: int = 8
    ) -> list[Household]:
        """Residents in the administrator's scope whose name or phone matches ``query``."""
        query = " ".join(query.split())[:60]
        if not query:
            return []
        async with self.ctx.db.read() as session:
            admin = await _admin(session, admin_user_id)
            digits = "".join(ch for ch in query if ch.isdigit())
            match = [func.lower(col(User.name)).contains(query.lower(), autoescape=True)]
            if len(digits) >= 4:
                match.append(col(User.phone).contains(digits, autoescape=True))
            is_staff = exists().where(col(Staff.user_id) == col(User.id), col(Staff.active))
            stmt = (
                select(col(User.id))
                .join(Residency, col(Residency.user_id) == col(User.id))
                .join(ContactPoint, col(ContactPoint.id) == col(Residency.contact_point_id))
                .where(or_(*match), ~is_staff, *_region_filter(admin.region))
                .order_by(col(User.name), col(User.id))
                .limit(limit)
            )
            ids = [int(i) for i in (await session.execute(stmt)).scalars() if i is not None]
            return [await _household(session, user_id, self.ctx.clock.now()) for user_id in ids]

    async def household(self, admin_user_id: int, resident_user_id: int) -> Household:
        async with self.ctx.db.read() as session:
            admin = await _admin(session, admin_user_id)
            found = await _household(session, resident_user_id, self.ctx.clock.now())
            if not covers_region(admin.region, found.point.region):
                raise NotAllowed("visits.pair.out_of_scope")
            return found

    async def pair(self, admin_user_id: int, cadre_staff_id: int, resident_user_id: int) -> Paired:
        """Pair a cadre with a household at the household's contact point (结对帮扶)."""
        for attempt in range(2):
            try:
                return await self._pair(admin_user_id, cadre_staff_id, resident_user_id)
            except IntegrityError:
                if attempt:  # paired at the same moment by another administrator: it stands
                    raise
        raise AssertionError("unreachable")

    async def _pair(self, admin_user_id: int, cadre_staff_id: int, resident_user_id: int) -> Paired:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            admin = await _admin(session, admin_user_id)
            point = await _home_point(session, resident_user_id)
            if not covers_region(admin.region, point.region):
                raise NotAllowed("visits.pair.out_of_scope")
            cadre = await session.get(Staff, cadre_staff_id)
            if cadre is None or not cadre.active or cadre.role != Role.CADRE:
                raise NotFound("visits.pair.no_cadre")
            if not await _is_assigned(session, cadre_staff_id, pk(point)):
                raise Invalid("visits.pair.not_at_point", point=esc(point.name))
            existing = await _current_pairing(session, cadre_staff_id, resident_user_id)
            if existing is not None:
                views = await _pairing_views(session, now, pairing_id=pk(existing))
                return Paired(views[0], created=False)
            pairing = Pairing(
                staff_id=cadre_staff_id,
                resident_user_id=resident_user_id,
                contact_point_id=pk(point),
                created_at=now,
                created_by_user_id=admin_user_id,
            )
            session.add(pairing)
            await session.flush()
            audit(
                session,
                now,
                admin_user_id,
                "visits:pair",
                f"pairing:{pk(pairing)}",
                staff=cadre_staff_id,
                resident=resident_user_id,
            )
            view = (await _pairing_views(session, now, pairing_id=pk(pairing)))[0]
            await self._tell_pairing(session, view, now)
            return Paired(view, created=True)

    async def unpair(self, admin_user_id: int, cadre_staff_id: int, resident_user_id: int) -> None:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            admin = await _admin(session, admin_user_id)
            pairing = await _current_pairing(session, cadre_staff_id, resident_user_id)
            if pairing is None:
                raise NotFound("visits.pair.not_paired")
            point = await session.get(ContactPoint, pairing.contact_point_id)
            assert point is not None
            if not covers_region(admin.region, point.region):
                raise NotAllowed("visits.pair.out_of_scope")
            view = (await _pairing_views(session, now, pairing_id=pk(pairing)))[0]
            pairing.ended_at, pairing.ended_by_user_id = now, admin_user_id
            audit(session, now, admin_user_id, "visits:unpair", f"pairing:{pk(pairing)}")
            await self._tell_staff(
                session,
                cadre_staff_id,
                f"pairing{pk(pairing)}:ended",
                now,
                "visits.pair.ended_cadre",
                name=esc(view.resident_name),
                point=esc(view.point.name),
            )

    async def pairings_of(self, cadre_staff_id: int) -> list[PairingView]:
        """A cadre's current households, with their last contact and this month's status."""
        async with self.ctx.db.read() as session:
            return await _pairing_views(session, self.ctx.clock.now(), staff_id=cadre_staff_id)

    async def my_households(self, user_id: int) -> list[PairingView]:
        async with self.ctx.db.read() as session:
            staff = await _staff(session, user_id)
            return await _pairing_views(session, self.ctx.clock.now(), staff_id=pk(staff))

    async def record_contact(self, user_id: int, pairing_id: int, note: str | None) -> PairingView:
        """The cadre was in touch with a paired household (a visit, a call); kept with a note."""
        text = _note(note, required=False)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await _staff(session, user_id)
            pairing = await session.get(Pairing, pairing_id)
            if pairing is None or pairing.staff_id != pk(staff) or pairing.ended_at is not None:
                raise NotFound("visits.pair.not_yours")
            point = await session.get(ContactPoint, pairing.contact_point_id)
            assert point is not None
            session.add(
                PairingContact(
                    pairing_id=pairing_id,
                    day=local_day(now, point.tz),
                    at=now,
                    note=text,
                    created_by_user_id=user_id,
                )
            )
            await session.flush()
            return (await _pairing_views(session, now, pairing_id=pairing_id))[0]

    async def _tell_pairing(self, session: AsyncSession, view: PairingView, now: datetime) -> None:
        cadre = await self._tell_staff(
            session,
            view.staff_id,
            f"pairing{view.id}:cadre",
            now,
            "visits.pair.told_cadre",
            (("visits.btn.households", "visit_households"),),
            name=esc(view.resident_name),
            point=esc(view.point.name),
        )
        resident = await session.get(User, view.resident_user_id)
        if resident is None or resident.blocked_at is not None:
            return
        await enqueue(
            session,
            now,
            key=f"pairing{view.id}:resident",
            chat_id=resident.chat_id,
            payload=text_message(
                self.texts(
                    resident.locale,
                    "visits.pair.told_resident",
                    name=staff_name(self.texts, resident.locale, cadre.name, cadre.title),
                    point=esc(view.point.name),
                )
            ),
            recipient_user_id=pk(resident),
        )

    # ---- reception days (接待日) ----------------------------------------------------------------

    async def reception_preview(
        self, user_id: int, point_id: int, day: date, start: time, end: time
    ) -> ReceptionPreview:
        """What announcing would do: how many residents hear of it, and when."""
        now = self.ctx.clock.now()
        async with self.ctx.db.read() as session:
            staff = await _staff(session, user_id)
            point, _since = await _assigned_point(session, pk(staff), point_id)
            starts_at, ends_at = _reception_times(point, day, start, end, now)
            policy = (await _policies(session, [pk(point)]))[pk(point)]
            residents = await _resident_count(session, pk(point), exclude_user=user_id)
        advance, _morning = _notice_times(point.tz, day, starts_at, policy.notice_days, now)
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
                staff = await _staff(session, user_id)
                point, _since = await _assigned_point(session, pk(staff), point_id)
                starts_at, ends_at = _reception_times(point, day, start, end, now)
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
                policy = (await _policies(session, [pk(point)]))[pk(point)]
                advance, morning = _notice_times(point.tz, day, starts_at, policy.notice_days, now)
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
                return _reception_view(row, PointRef.of(point))
        except IntegrityError:
            raise Invalid("visits.reception.exists") from None

    async def cancel_reception(self, user_id: int, reception_id: int) -> ReceptionView:
        """Call a reception day off; residents who were told hear that it is cancelled."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await _staff(session, user_id)
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
            await plan(
                session,
                kind=KIND_RECEPTION_CANCELLED,
                subject=f"reception:{reception_id}",
                due_at=now,
                now=now,
                id=reception_id,
            )
            audit(session, now, user_id, "visits:reception_cancel", f"reception:{reception_id}")
            point = await session.get(ContactPoint, row.contact_point_id)
            assert point is not None
            return _reception_view(row, PointRef.of(point))

    async def my_receptions(self, user_id: int) -> list[ReceptionView]:
        async with self.ctx.db.read() as session:
            staff = await _staff(session, user_id)
            return await _receptions(session, self.ctx.clock.now(), staff_id=pk(staff))

    def reception_days(self, point: PointRef, count: int = 14) -> list[date]:
        """The days offered as buttons for a reception day: today and the next ones."""
        today = local_day(self.ctx.clock.now(), point.tz)
        return [today + timedelta(days=n) for n in range(count)]

    # ---- compliance ----------------------------------------------------------------------------

    async def compliance(self, scope_region: str | None, year: int, month: int) -> Compliance:
        """The month's figures per point and cadre in a region (None: everywhere)."""
        async with self.ctx.db.read() as session:
            return await _compliance(session, scope_region, year, month)

    # ---- reminders -----------------------------------------------------------------------------

    def reminder_handlers(self) -> dict[str, Handler]:
        return {
            KIND_MID_MONTH: self._remind_mid_month,
            KIND_MONTH_END: self._remind_month_end,
            KIND_PACE: self._remind_pace,
            KIND_ESCALATE: self._escalate,
            KIND_PAIRINGS: self._remind_pairings,
            KIND_SUMMARY: self._send_summary,
            KIND_AUTO_CHECKOUT: self._auto_checkout,
            KIND_RECEPTION_NOTICE: self._reception_notice,
            KIND_RECEPTION_TODAY: self._reception_today,
            KIND_RECEPTION_CANCELLED: self._reception_cancelled,
        }

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
            for staff_id, point_id, tz, since in await _duties(session):
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
            for staff_id, point_id, tz in await _paired_duties(session):
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
            points = await _active_points(session)
            for admin_id, region in await _admins(session):
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
        since = await _since(session, pk(staff), pk(point))
        if since is None:
            return None
        return point, since, (await _policies(session, [pk(point)]))[pk(point)]

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
        await self._tell_staff(session, staff_id, f"rem{due.id}", now, key, buttons, **params)

    async def _tell_staff(
        self,
        session: AsyncSession,
        staff_id: int,
        outbox_key: str,
        now: datetime,
        key: str,
        buttons: Sequence[tuple[str, str]] = (),
        **params: Any,
    ) -> StaffLabel:
        """A message to a staff member in their language, with a row of (label key, action)
        buttons; a parameter may be a function of the locale. Returns who they are."""
        person = await label_of(session, staff_id)
        keyboard: Keyboard = [
            [Button(self.texts(person.locale, label), action) for label, action in buttons]
        ]
        localized = {k: v(person.locale) if callable(v) else v for k, v in params.items()}
        await enqueue(
            session,
            now,
            key=outbox_key,
            chat_id=person.chat_id,
            payload=text_message(
                self.texts(person.locale, key, **localized), keyboard if buttons else None
            ),
            recipient_user_id=person.user_id,
        )
        return person

    async def _remind_mid_month(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        duty = await self._duty(session, due)
        if duty is None:
            return False
        point, _since, policy = duty
        y, m = int(due.params["y"]), int(due.params["m"])
        done = await _month_counted(session, int(due.params["staff_id"]), pk(point), y, m, policy)
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
        done = await _month_counted(session, int(due.params["staff_id"]), pk(point), y, m, policy)
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
        progress = await _progress(session, staff_id, point, since, now)
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
        policy = (await _policies(session, [point_id]))[point_id]
        done = await _month_counted(session, staff_id, point_id, y, m, policy)
        if done >= policy.visits_per_month:
            return False
        cadre = await label_of(session, staff_id)
        admins = await _admins_of(session, point.region)
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
            for p in await _pairing_views(session, now, staff_id=staff_id)
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
            names=lambda loc: _names(self.texts, loc, names, more),
            count=len(pairings),
        )
        return True

    async def _send_summary(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        admin = await session.get(Staff, int(due.params["staff_id"]))
        if admin is None or not admin.active or admin.role != Role.ADMIN:
            return False
        report = await _compliance(
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
        _close(visit, point, now, "auto")
        await session.flush()
        await self._tell_staff(
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

    async def _reception_notice(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        return await self._tell_residents(session, due, now, "visits.reception.notice")

    async def _reception_today(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        return await self._tell_residents(session, due, now, "visits.reception.today")

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
        return await self._tell_residents(
            session, due, now, "visits.reception.cancelled", cancelled=True
        )

    async def _tell_residents(
        self, session: AsyncSession, due: Due, now: datetime, key: str, *, cancelled: bool = False
    ) -> bool:
        """Tell every resident of the point, in their language, streaming them in chunks."""
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
        point = await session.get(ContactPoint, row.contact_point_id)
        assert point is not None
        cadre = await label_of(session, row.staff_id)
        rendered = {
            locale: text_message(
                self.texts(
                    locale,
                    key,
                    point=esc(point.name),
                    address=esc(point.address or point.name),
                    name=staff_name(self.texts, locale, cadre.name, cadre.title),
                    day=day_text(self.texts, locale, row.day),
                    hours=hours_text(row.starts_at, row.ends_at, point.tz),
                )
            )
            for locale in self.texts.locales
        }
        default = rendered[self.ctx.config.default_locale]
        after = 0
        while True:
            chunk = (
                await session.execute(
                    select(col(User.id), col(User.chat_id), col(User.locale))
                    .join(Residency, col(Residency.user_id) == col(User.id))
                    .where(
                        col(Residency.contact_point_id) == pk(point),
                        col(User.blocked_at).is_(None),
                        col(User.id) != cadre.user_id,
                        col(User.id) > after,
                    )
                    .order_by(col(User.id))
                    .limit(self.fanout_chunk)
                )
            ).all()
            if not chunk:
                break
            await enqueue_many(
                session,
                [
                    {
                        "dedupe_key": f"rem{due.id}:u{user_id}",
                        "chat_id": chat_id,
                        "payload": rendered.get(locale, default),
                        "recipient_user_id": user_id,
                    }
                    for user_id, chat_id, locale in chunk
                ],
                now,
            )
            after = int(chunk[-1][0] or 0)
            if len(chunk) < self.fanout_chunk:
                break
        return True


# ---- queries ----


def _names(texts: Texts, locale: str, names: list[str], more: int) -> str:
    joined = ("、" if locale == "zh_Hans" else ", ").join(names)
    if more:
        joined += texts(locale, "visits.and_more", n=more)
    return joined


def _region_filter(region: str | None) -> list[Any]:
    if region is None:
        return []
    return [
        or_(
            col(ContactPoint.region) == region,
            col(ContactPoint.region).startswith(region + "/", autoescape=True),
        )
    ]


async def _staff(session: AsyncSession, user_id: int) -> Staff:
    staff = (
        await session.execute(select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active)))
    ).scalar()
    if staff is None or staff.role not in (Role.CADRE, Role.ADMIN):
        raise NotAllowed("visits.staff_only")
    return staff


async def _admin(session: AsyncSession, user_id: int) -> Staff:
    staff = await _staff(session, user_id)
    if staff.role != Role.ADMIN:
        raise NotAllowed("visits.admins_only")
    return staff


async def _assigned(session: AsyncSession, staff_id: int) -> list[tuple[ContactPoint, datetime]]:
    """The active points a staff member serves now, primary first, with the assignment's start."""
    rows = (
        await session.execute(
            select(ContactPoint, col(Assignment.since))
            .join(Assignment, col(Assignment.contact_point_id) == col(ContactPoint.id))
            .where(
                col(Assignment.staff_id) == staff_id,
                col(Assignment.until).is_(None),
                col(ContactPoint.active),
            )
            .order_by(col(Assignment.is_primary).desc(), col(ContactPoint.name))
        )
    ).all()
    return [(point, since) for point, since in rows]


async def _assigned_point(
    session: AsyncSession, staff_id: int, point_id: int
) -> tuple[ContactPoint, datetime]:
    for point, since in await _assigned(session, staff_id):
        if point.id == point_id:
            return point, since
    raise NotAllowed("visits.not_your_point")


async def _since(session: AsyncSession, staff_id: int, point_id: int) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Assignment.since))).where(
                col(Assignment.staff_id) == staff_id,
                col(Assignment.contact_point_id) == point_id,
                col(Assignment.until).is_(None),
            )
        )
    ).scalar()


async def _is_assigned(session: AsyncSession, staff_id: int, point_id: int) -> bool:
    return await _since(session, staff_id, point_id) is not None


async def _open_visit(session: AsyncSession, staff_id: int) -> tuple[Visit, ContactPoint] | None:
    row = (
        await session.execute(
            select(Visit, ContactPoint)
            .join(ContactPoint, col(ContactPoint.id) == col(Visit.contact_point_id))
            .where(col(Visit.staff_id) == staff_id, col(Visit.ended_at).is_(None))
        )
    ).first()
    return None if row is None else (row[0], row[1])


def _close(visit: Visit, point: ContactPoint, now: datetime, how: str) -> None:
    """End a visit now, or at the end of its day if that came first (it was left open)."""
    end_of_day = day_start(visit.day + timedelta(days=1), point.tz)
    visit.ended_at = min(now, end_of_day)
    visit.closed_by = how if now < end_of_day else "auto"


def _view(visit: Visit, point: PointRef) -> VisitView:
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


async def _policies(session: AsyncSession, point_ids: Iterable[int]) -> dict[int, Policy]:
    ids = list(point_ids)
    scopes = ["default", *(f"point:{i}" for i in ids)]
    rows = {
        row.scope: row
        for row in (
            await session.execute(select(VisitPolicy).where(col(VisitPolicy.scope).in_(scopes)))
        ).scalars()
    }
    fallback = Policy.of(rows["default"]) if "default" in rows else Policy()
    return {i: Policy.of(rows[f"point:{i}"]) if f"point:{i}" in rows else fallback for i in ids}


def _counts_query(start: date, end: date) -> Any:
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


async def _count(
    session: AsyncSession, staff_id: int, point_id: int, start: date, end: date
) -> DayCounts:
    row = (
        await session.execute(
            _counts_query(start, end).where(
                col(Visit.staff_id) == staff_id, col(Visit.contact_point_id) == point_id
            )
        )
    ).first()
    return DayCounts() if row is None else DayCounts(int(row[2]), int(row[3]))


async def _all_counts(
    session: AsyncSession, start: date, end: date
) -> dict[tuple[int, int], DayCounts]:
    rows = (await session.execute(_counts_query(start, end))).all()
    return {(int(r[0]), int(r[1])): DayCounts(int(r[2]), int(r[3])) for r in rows}


async def _month_counted(
    session: AsyncSession, staff_id: int, point_id: int, y: int, m: int, policy: Policy
) -> int:
    counts = await _count(session, staff_id, point_id, month_first(y, m), month_after(y, m))
    return counts.counted(policy)


async def _progress(
    session: AsyncSession,
    staff_id: int,
    point: ContactPoint,
    since: datetime | None,
    now: datetime,
) -> PointProgress:
    today = local_day(now, point.tz)
    y, m = today.year, today.month
    point_id = pk(point)
    policy = (await _policies(session, [point_id]))[point_id]
    month = await _count(session, staff_id, point_id, month_first(y, m), month_after(y, m))
    year = await _count(session, staff_id, point_id, date(y, 1, 1), date(y + 1, 1, 1))
    since = since or now
    current = await _open_visit(session, staff_id)
    open_here = None
    if current is not None and current[0].contact_point_id == point_id:
        open_here = _view(current[0], PointRef.of(point))
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
    )


async def _duties(session: AsyncSession) -> list[tuple[int, int, str, datetime]]:
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


async def _paired_duties(session: AsyncSession) -> list[tuple[int, int, str]]:
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


async def _active_points(session: AsyncSession) -> list[tuple[str, str]]:
    rows = (
        await session.execute(
            select(col(ContactPoint.tz), col(ContactPoint.region)).where(col(ContactPoint.active))
        )
    ).all()
    return [(str(tz), str(region)) for tz, region in rows]


async def _admins(session: AsyncSession) -> list[tuple[int, str | None]]:
    rows = (
        await session.execute(
            select(col(Staff.id), col(Staff.region)).where(
                col(Staff.active), col(Staff.role) == Role.ADMIN
            )
        )
    ).all()
    return [(int(i or 0), r) for i, r in rows]


async def _admins_of(session: AsyncSession, region: str) -> list[tuple[int, int, str, int]]:
    """The administrators over a point's region — or, when none covers it, all of them:
    (staff id, chat id, locale, user id)."""
    rows = (
        await session.execute(
            select(
                col(Staff.id), col(Staff.region), col(User.chat_id), col(User.locale), col(User.id)
            )
            .join(User, col(User.id) == col(Staff.user_id))
            .where(col(Staff.active), col(Staff.role) == Role.ADMIN)
            .order_by(col(Staff.id))
        )
    ).all()
    covering = [r for r in rows if covers_region(r[1], region)]
    return [(int(r[0] or 0), int(r[2]), str(r[3]), int(r[4] or 0)) for r in covering or rows]


async def _home_point(session: AsyncSession, resident_user_id: int) -> ContactPoint:
    point = (
        await session.execute(
            select(ContactPoint)
            .join(Residency, col(Residency.contact_point_id) == col(ContactPoint.id))
            .where(col(Residency.user_id) == resident_user_id)
        )
    ).scalar()
    if point is None:
        raise Invalid("visits.pair.no_point")
    return point


async def _current_pairing(
    session: AsyncSession, staff_id: int, resident_user_id: int
) -> Pairing | None:
    return (
        await session.execute(
            select(Pairing).where(
                col(Pairing.staff_id) == staff_id,
                col(Pairing.resident_user_id) == resident_user_id,
                col(Pairing.ended_at).is_(None),
            )
        )
    ).scalar()


async def _cadres_at(session: AsyncSession, point_id: int) -> list[CadreRef]:
    rows = (
        await session.execute(
            select(col(Staff.id), col(User.name), col(Staff.title))
            .join(User, col(User.id) == col(Staff.user_id))
            .join(Assignment, col(Assignment.staff_id) == col(Staff.id))
            .where(
                col(Assignment.contact_point_id) == point_id,
                col(Assignment.until).is_(None),
                col(Staff.active),
                col(Staff.role) == Role.CADRE,
            )
            .order_by(col(Assignment.is_primary).desc(), col(User.name))
        )
    ).all()
    cadres: dict[int, CadreRef] = {}
    for i, name, title in rows:  # one current assignment per cadre and point, but be sure
        cadres.setdefault(int(i or 0), CadreRef(int(i or 0), str(name), str(title)))
    return list(cadres.values())


async def _household(session: AsyncSession, user_id: int, now: datetime) -> Household:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("visits.pair.no_household")
    point = await _home_point(session, user_id)
    paired_ids = {p.staff_id for p in await _pairing_views(session, now, resident_id=user_id)}
    cadres = await _cadres_at(session, pk(point))
    paired = [c for c in cadres if c.staff_id in paired_ids]
    # Paired with someone who no longer serves the point: still shown, so it can be ended.
    known = {c.staff_id for c in cadres}
    for staff_id in sorted(paired_ids - known):
        label = await label_of(session, staff_id)
        paired.append(CadreRef(staff_id, label.name, label.title))
    return Household(pk(user), user.name, user.phone, PointRef.of(point), paired, cadres)


async def _pairing_views(
    session: AsyncSession,
    now: datetime,
    *,
    staff_id: int | None = None,
    resident_id: int | None = None,
    pairing_id: int | None = None,
) -> list[PairingView]:
    cadre = aliased(User)
    stmt = (
        select(Pairing, User, ContactPoint, col(cadre.name))
        .join(User, col(User.id) == col(Pairing.resident_user_id))
        .join(ContactPoint, col(ContactPoint.id) == col(Pairing.contact_point_id))
        .join(Staff, col(Staff.id) == col(Pairing.staff_id))
        .join(cadre, col(cadre.id) == col(Staff.user_id))
        .order_by(col(User.name), col(Pairing.id))
    )
    if pairing_id is not None:
        stmt = stmt.where(col(Pairing.id) == pairing_id)
    else:
        stmt = stmt.where(col(Pairing.ended_at).is_(None))
    if staff_id is not None:
        stmt = stmt.where(col(Pairing.staff_id) == staff_id)
    if resident_id is not None:
        stmt = stmt.where(col(Pairing.resident_user_id) == resident_id)
    rows = (await session.execute(stmt)).all()
    if not rows:
        return []
    latest = (
        await session.execute(
            select(col(PairingContact.pairing_id), func.max(col(PairingContact.day)))
            .where(col(PairingContact.pairing_id).in_([pk(r[0]) for r in rows]))
            .group_by(col(PairingContact.pairing_id))
        )
    ).all()
    last: dict[int, date] = {int(i): d for i, d in latest}
    views = []
    for pairing, user, point, cadre_name in rows:
        today = local_day(now, point.tz)
        last_day: date | None = last.get(pk(pairing))
        views.append(
            PairingView(
                pk(pairing),
                pairing.staff_id,
                str(cadre_name or ""),
                pk(user),
                user.name,
                user.phone,
                PointRef.of(point),
                pairing.created_at,
                last_day,
                last_day is not None and last_day >= today.replace(day=1),
            )
        )
    return views


def _reception_view(row: ReceptionDay, point: PointRef) -> ReceptionView:
    return ReceptionView(
        pk(row),
        point,
        row.staff_id,
        row.day,
        row.starts_at,
        row.ends_at,
        row.cancelled_at is not None,
    )


async def _receptions(
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
    return [_reception_view(r, PointRef.of(p)) for r, p in rows]


def _reception_times(
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


def _notice_times(
    tz: str, day: date, starts_at: datetime, notice_days: int, now: datetime
) -> tuple[datetime | None, datetime]:
    """When residents hear of a reception day: in advance (never in the past; none when it is
    today, the morning notice is enough) and on the morning (before it starts)."""
    morning = max(min(at_local(day, RECEPTION_MORNING_AT, tz), starts_at - timedelta(hours=1)), now)
    if local_day(now, tz) >= day or notice_days == 0:
        return None, morning
    advance = max(at_local(day - timedelta(days=notice_days), RECEPTION_NOTICE_AT, tz), now)
    return (advance if advance < morning else None), morning


async def _resident_count(session: AsyncSession, point_id: int, *, exclude_user: int) -> int:
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


async def _compliance(
    session: AsyncSession, region: str | None, year: int, month: int
) -> Compliance:
    first, after = month_first(year, month), month_after(year, month)
    points = list(
        (
            await session.execute(
                select(ContactPoint)
                .where(col(ContactPoint.active), *_region_filter(region))
                .order_by(col(ContactPoint.region), col(ContactPoint.code))
            )
        ).scalars()
    )
    if not points:
        return Compliance(region, year, month)
    by_id = {pk(p): p for p in points}
    policies = await _policies(session, by_id)
    # Cadres who served at each point during the month (their assignments overlap it).
    served: dict[int, dict[int, datetime]] = defaultdict(dict)
    names: dict[int, CadreRef] = {}
    rows = (
        await session.execute(
            select(Assignment, Staff, User)
            .join(Staff, col(Staff.id) == col(Assignment.staff_id))
            .join(User, col(User.id) == col(Staff.user_id))
            .where(
                col(Assignment.contact_point_id).in_(list(by_id)),
                col(Staff.role) == Role.CADRE,
            )
        )
    ).all()
    for assignment, staff, user in rows:
        point = by_id[assignment.contact_point_id]
        start, end = day_start(first, point.tz), day_start(after, point.tz)
        if assignment.since >= end or (assignment.until is not None and assignment.until <= start):
            continue
        if not staff.active and (staff.removed_at is None or staff.removed_at <= start):
            continue
        known = served[pk(point)].get(pk(staff))
        served[pk(point)][pk(staff)] = min(assignment.since, known or assignment.since)
        names[pk(staff)] = CadreRef(pk(staff), user.name, staff.title)
    month_counts = await _all_counts(session, first, after)
    year_counts = await _all_counts(session, date(year, 1, 1), after)
    pairings = (
        await session.execute(
            select(Pairing).where(
                col(Pairing.contact_point_id).in_(list(by_id)),
                or_(
                    col(Pairing.ended_at).is_(None),
                    col(Pairing.ended_at)
                    >= datetime.combine(first, time(0), tzinfo=UTC) - timedelta(days=1),
                ),
            )
        )
    ).scalars()
    live: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pairing in pairings:
        point = by_id[pairing.contact_point_id]
        start, end = day_start(first, point.tz), day_start(after, point.tz)
        if pairing.created_at < end and (pairing.ended_at is None or pairing.ended_at > start):
            live[(pairing.staff_id, pairing.contact_point_id)].append(pk(pairing))
    all_ids = [i for ids in live.values() for i in ids]
    contacted: set[int] = set()
    if all_ids:
        contacted = set(
            (
                await session.execute(
                    select(col(PairingContact.pairing_id))
                    .where(
                        col(PairingContact.pairing_id).in_(all_ids),
                        col(PairingContact.day) >= first,
                        col(PairingContact.day) < after,
                    )
                    .distinct()
                )
            ).scalars()
        )
    report: list[ComplianceRow] = []
    for point in points:
        policy, ref = policies[pk(point)], PointRef.of(point)
        cadres = served.get(pk(point), {})
        if not cadres:
            report.append(
                ComplianceRow(ref, None, False, policy.visits_per_month, 0, 0, 0, 0, 0, 0, 0)
            )
            continue
        for staff_id, since in sorted(cadres.items(), key=lambda kv: names[kv[0]].name):
            mc = month_counts.get((staff_id, pk(point)), DayCounts())
            yc = year_counts.get((staff_id, pk(point)), DayCounts())
            ids = live.get((staff_id, pk(point)), [])
            report.append(
                ComplianceRow(
                    point=ref,
                    cadre=names[staff_id],
                    obliged=obliged(since, point.tz, year, month),
                    required=policy.visits_per_month,
                    days=mc.counted(policy),
                    verified_days=mc.verified,
                    year_days=yc.counted(policy),
                    year_target=year_target(
                        policy.days_per_year, months_of_duty(since, point.tz, year, 12)
                    ),
                    year_expected=expected_by(
                        policy.days_per_year, months_of_duty(since, point.tz, year, month)
                    ),
                    pairings=len(ids),
                    pairings_contacted=sum(1 for i in ids if i in contacted),
                )
            )
    return Compliance(region, year, month, report)
