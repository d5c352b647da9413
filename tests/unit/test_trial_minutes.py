"""Trials and rehearsals: deadlines and the *_HOURS settings accept minutes ("urgent=10m")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import Settings
from models.enums import Tier
from services.case_clock import lead
from services.config import parse_hours
from services.deadlines import deadlines_for

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_minutes_in_the_settings() -> None:
    settings = Settings(
        deadlines="urgent=10m,utilities=20m,general=30m,complex=60m",
        ack_hours="5m",
        urgent_ack_hours="3m",
        escalate_after_hours="10m",
        invite_ttl_hours="30m",
    )
    policy = settings.deadline_policy()
    assert policy.resolve[Tier.URGENT] == ("minutes", 10)
    assert policy.ack_hours == pytest.approx(5 / 60)
    assert policy.escalate_after_hours == pytest.approx(10 / 60)
    assert policy.urgent_escalate_after_hours == pytest.approx(10 / 60)
    assert settings.invite_ttl_hours == pytest.approx(0.5)
    due = deadlines_for(policy, Tier.GENERAL, T0, "Asia/Shanghai")
    assert (due.ack - T0, due.resolve - T0) == (timedelta(minutes=5), timedelta(minutes=30))
    urgent = deadlines_for(policy, Tier.URGENT, T0, "Asia/Shanghai")
    assert (urgent.ack - T0, urgent.resolve - T0) == (timedelta(minutes=3), timedelta(minutes=10))


def test_hours_stay_as_they_were() -> None:
    assert Settings(ack_hours="24").deadline_policy().ack_hours == 24
    assert parse_hours("2h") == 2 and parse_hours(3) == 3
    with pytest.raises(ValueError, match="expected hours"):
        parse_hours("soon")
    with pytest.raises(ValueError, match="more than zero"):
        parse_hours("0m")


def test_reminders_of_short_deadlines_come_before_them() -> None:
    assert lead(timedelta(minutes=10)) == timedelta(minutes=5)
    assert lead(timedelta(hours=2)) == timedelta(minutes=30)
    assert lead(timedelta(minutes=40)) == timedelta(minutes=15)
    assert lead(timedelta(days=10)) == timedelta(days=1)
