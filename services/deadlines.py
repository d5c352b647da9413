"""Deadlines: clock hours for the fast tiers, working days for the slow ones (minutes in trials).

Working days follow the contact point's time zone and the configured calendar: weekends and
holidays don't count, and official make-up working days (调休) do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.enums import Tier
from services.config import DeadlinePolicy


class WorkCalendar:
    def __init__(
        self, holidays: frozenset[date] = frozenset(), extra_workdays: frozenset[date] = frozenset()
    ) -> None:
        self.holidays = holidays
        self.extra_workdays = extra_workdays

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_workdays(self, start: datetime, days: int, tz: str) -> datetime:
        """The same local time on the ``days``-th working day after ``start``'s local date."""
        zone = ZoneInfo(tz)
        local = start.astimezone(zone)
        day = local.date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        # Rebuild from wall-clock fields so a DST change in between keeps the local time.
        due = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone)
        # Always UTC out: arithmetic on two datetimes sharing a ZoneInfo ignores DST shifts.
        return due.astimezone(UTC)


@dataclass(frozen=True)
class Deadlines:
    ack: datetime
    resolve: datetime


def deadlines_for(policy: DeadlinePolicy, tier: str, filed_at: datetime, tz: str) -> Deadlines:
    ack_hours = policy.urgent_ack_hours if tier == Tier.URGENT else policy.ack_hours
    unit, amount = policy.resolve.get(tier, policy.resolve[Tier.GENERAL])
    if unit == "hours":
        resolve = filed_at + timedelta(hours=amount)
    elif unit == "minutes":  # trials and rehearsals
        resolve = filed_at + timedelta(minutes=amount)
    else:
        calendar = WorkCalendar(policy.holidays, policy.extra_workdays)
        resolve = calendar.add_workdays(filed_at, amount, tz)
    ack = min(filed_at + timedelta(hours=ack_hours), resolve)
    return Deadlines(ack=ack, resolve=resolve)
