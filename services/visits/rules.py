"""The calendar rules of visits: the defaults, when things happen, periods, duty months and
targets, and the days and hours cadres type.

What counts is the *day*: the calendar day in the point's time zone, counted once however many
check-ins it holds. Obligations start with the first full month of an assignment; the yearly
target is pro-rated over the months of duty.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from models.visits import VisitPolicy
from services.errors import Invalid
from services.texts import cut

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


def duty_start(since: datetime, tz: str) -> date:
    """The first day of the first month a cadre assigned at ``since`` owes visits in."""
    day = local_day(since, tz)
    first = month_first(day.year, day.month)
    return first if obliged(since, tz, day.year, day.month) else month_after(day.year, day.month)


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


def check_log_day(day: date, today: date) -> None:
    """A past visit may be logged for today or up to ``LOG_BACK_DAYS`` days before."""
    if day > today:
        raise Invalid("visits.log.future")
    if day < today - timedelta(days=LOG_BACK_DAYS):
        raise Invalid("visits.log.too_old", days=LOG_BACK_DAYS)


def clean_note(value: str | None, *, required: bool) -> str | None:
    note = " ".join((value or "").split())
    if required and not note:
        raise Invalid("visits.note_needed")
    return cut(note, NOTE_LIMIT) if note else None


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
class DayCounts:
    days: int = 0  # distinct days with any visit
    verified: int = 0  # distinct days with a verified visit

    def counted(self, policy: Policy) -> int:
        return self.days if policy.count_unverified else self.verified
