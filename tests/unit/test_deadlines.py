"""Deadlines on the clock and on the working-day calendar of the point's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.config import DeadlinePolicy
from services.deadlines import WorkCalendar, deadlines_for

SH = ZoneInfo("Asia/Shanghai")


def local(*args: int, tz: ZoneInfo = SH) -> datetime:
    return datetime(*args, tzinfo=tz)


def test_working_days_skip_the_weekend() -> None:
    friday = local(2026, 3, 6, 16, 0)
    due = WorkCalendar().add_workdays(friday.astimezone(UTC), 1, "Asia/Shanghai")
    assert due.astimezone(SH) == local(2026, 3, 9, 16, 0)  # Monday


def test_holidays_skip_and_make_up_days_count() -> None:
    cal = WorkCalendar(
        holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
        extra_workdays=frozenset({date(2026, 10, 10)}),
    )  # a Saturday
    start = local(2026, 9, 30, 10, 0)
    due = cal.add_workdays(start.astimezone(UTC), 3, "Asia/Shanghai")
    # Oct 1-2 holidays, 3-4 weekend: Oct 5, 6, 7.
    assert due.astimezone(SH) == local(2026, 10, 7, 10, 0)
    start = local(2026, 10, 9, 10, 0)  # Friday
    assert cal.add_workdays(start, 1, "Asia/Shanghai").astimezone(SH) == local(2026, 10, 10, 10, 0)


def test_working_days_keep_local_time_across_daylight_saving() -> None:
    ny = ZoneInfo("America/New_York")
    friday = local(2026, 3, 6, 9, 0, tz=ny)  # DST starts Sunday 8 March
    due = WorkCalendar().add_workdays(friday, 2, "America/New_York")
    assert due.astimezone(ny) == local(2026, 3, 10, 9, 0, tz=ny)
    assert due.tzinfo is UTC
    # An hour shorter than four days: the clocks went forward in between.
    assert (due - friday.astimezone(UTC)).total_seconds() == 4 * 86400 - 3600


def test_tiers() -> None:
    policy = DeadlinePolicy()
    filed = local(2026, 3, 6, 16, 0).astimezone(UTC)  # Friday afternoon
    urgent = deadlines_for(policy, "urgent", filed, "Asia/Shanghai")
    assert (urgent.resolve - filed).total_seconds() == 2 * 3600
    assert urgent.ack == urgent.resolve
    utilities = deadlines_for(policy, "utilities", filed, "Asia/Shanghai")
    assert (utilities.resolve - filed).total_seconds() == 24 * 3600
    general = deadlines_for(policy, "general", filed, "Asia/Shanghai")
    assert general.resolve.astimezone(SH) == local(2026, 3, 17, 16, 0)  # 7 working days
    assert (general.ack - filed).total_seconds() == 24 * 3600
    complex_ = deadlines_for(policy, "complex", filed, "Asia/Shanghai")
    assert complex_.resolve.astimezone(SH) == local(2026, 3, 27, 16, 0)  # 15 working days


def test_working_days_across_a_month_end_and_a_holiday() -> None:
    policy = DeadlinePolicy(holidays=frozenset({date(2026, 4, 6)}))  # Qingming, a Monday
    filed = local(2026, 3, 31, 11, 30).astimezone(UTC)  # Tuesday
    general = deadlines_for(policy, "general", filed, "Asia/Shanghai")
    # Wed 1, Thu 2, Fri 3, (weekend, holiday), Tue 7, Wed 8, Thu 9, Fri 10 April.
    assert general.resolve.astimezone(SH) == local(2026, 4, 10, 11, 30)
