"""The monthly report is sent to each administrator once: across a restart, and with two
schedulers at the same moment; a setting turns it off."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import col

from models.db import Database
from models.tables import Outbox
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from tests.factories import load_points, staff


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """On SQLite and, when CPBOT_TEST_POSTGRES_URL is set, on PostgreSQL."""
    return services_on_both


def _url(services: Services) -> str:
    """The same database, for a second scheduler or a restarted one."""
    return services.ctx.db.engine.url.render_as_string(hide_password=False)


async def _report_rows(services: Services) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        stmt = select(Outbox).where(col(Outbox.dedupe_key).startswith("report:"))
        return list((await session.execute(stmt)).scalars())


async def test_each_administrator_gets_last_months_report_once(
    services: Services, clock: FakeClock, config: ServiceConfig
) -> None:
    await load_points(services)
    await staff(services, "Li Wei", point="XH01")  # cadres get no monthly report
    admin = await staff(services, "Wang Fang", "admin", None, region="Jinghu", locale="zh_Hans")
    clock.set(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    assert await services.reports.plan_monthly() == 1  # March's, due 1 April (Feb's long past)
    await services.reminders.tick()
    assert await _report_rows(services) == []

    # 09:00 on 1 April in Shanghai: two schedulers plan and tick at the same moment.
    clock.set(datetime(2026, 4, 1, 1, 0, 30, tzinfo=UTC))
    other_db = Database.from_url(_url(services))
    other = Services(Context.create(other_db, config, clock))
    try:
        await asyncio.gather(services.reports.plan_monthly(), other.reports.plan_monthly())
        await asyncio.gather(services.reminders.tick(), other.reminders.tick())
    finally:
        await other_db.dispose()
    rows = await _report_rows(services)
    assert len(rows) == 1
    row = rows[0]
    assert row.recipient_user_id == admin.user_id
    assert "2026-03" in row.payload["text"] and "Jinghu" in row.payload["text"]
    assert row.payload["buttons"][0][0]["action"] == "rp_get"
    assert row.payload["buttons"][0][0]["ref"] == 202603

    # A restart: a new process plans and ticks again, later that morning.
    clock.set(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    restarted_db = Database.from_url(_url(services))
    restarted = Services(Context.create(restarted_db, config, clock))
    try:
        await restarted.reports.plan_monthly()
        await restarted.reminders.tick()
    finally:
        await restarted_db.dispose()
    assert len(await _report_rows(services)) == 1


async def test_the_setting_turns_the_monthly_report_off(
    services: Services, clock: FakeClock, config: ServiceConfig
) -> None:
    await load_points(services)
    await staff(services, "Wang Fang", "admin", None, region="Jinghu")
    clock.set(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    await services.reports.plan_monthly()  # planned while it was on
    off_db = Database.from_url(_url(services))
    off = Services(Context.create(off_db, replace(config, monthly_reports=False), clock))
    try:
        assert await off.reports.plan_monthly() == 0
        clock.set(datetime(2026, 4, 1, 1, 0, 30, tzinfo=UTC))
        assert await off.reminders.tick() == {"skipped": 1}
    finally:
        await off_db.dispose()
    assert await _report_rows(services) == []
