"""Visit reminders are sent once: after a restart between planning and sending, and with two
scheduler instances planning and ticking at the same time — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, time

import pytest
from sqlmodel import select

from models.db import Database
from models.tables import Reminder
from scheduler import visits as visit_jobs
from services.app import Services
from services.clock import FakeClock
from services.context import Context
from tests.factories import resident, staff
from tests.unit.test_visits import county, messages, reminders, runner, texts_to, utc


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


@pytest.fixture
async def second_instance(services: Services) -> AsyncIterator[Services]:
    """Another process on the same database: its own engine, pool and reminder worker."""
    url = services.ctx.db.engine.url.render_as_string(hide_password=False)
    db = Database.from_url(url)
    yield Services(Context.create(db, services.ctx.config, services.ctx.clock))
    await db.dispose()


async def test_a_restart_between_planning_and_sending(services: Services, clock: FakeClock) -> None:
    clock.set(utc(2026, 2, 10, 2))
    await county(services)
    li = await staff(services, "Li Wei")
    clock.set(utc(2026, 3, 15, 2))  # mid-March, 10:00 in Shanghai, no visit yet
    await services.visits.plan_reminders()
    before = runner(services, "before-restart")
    claimed = [r for r in await before.claim() if r.kind == "visit_mid_month"]
    assert len(claimed) == 1
    # The process dies here, holding the lease. The new one plans again (nothing new) ...
    after = runner(services, "after-restart")
    await services.visits.plan_reminders()
    assert await after.tick() == {}
    # ... and sends it once the lease has expired.
    clock.advance(seconds=121)
    assert await after.tick() == {"done": 1}
    assert await before.fire(claimed[0]) == "lost"
    assert await after.tick() == {}
    assert sum("Halfway through March" in t for t in await texts_to(services, li)) == 1


async def test_two_scheduler_instances_plan_and_send_each_reminder_once(
    services: Services, second_instance: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 2, 10, 2))
    await county(services)
    codes = ("XH01", "JH02", "YJ03", "BE01", "XH01")
    cadres = [await staff(services, f"Cadre {n}", point=code) for n, code in enumerate(codes)]
    await staff(services, "Zhou", role="admin", point=None)
    for n in range(7):
        await resident(services, f"Resident {n}", locale="zh_Hans" if n % 2 else "en")
    point = (await services.visits.my_points(cadres[0].user_id))[0]
    # Announced weeks ahead, so its advance notice is the reminders tick's to send.
    await services.visits.announce_reception(
        cadres[0].user_id, point.id, date(2026, 3, 17), time(9), time(12)
    )
    clock.set(utc(2026, 3, 15, 9))  # past 09:00 on the 15th in Shanghai and in Berlin
    services.visits.fanout_chunk = second_instance.visits.fanout_chunk = 3
    # Both instances plan at the same moment: one row per key.
    await asyncio.gather(services.visits.plan_reminders(), second_instance.visits.plan_reminders())
    keys = Counter((r.kind, r.subject, r.period) for r in await reminders(services))
    assert keys and max(keys.values()) == 1
    due = [r for r in await reminders(services) if r.due_at <= clock.now()]
    # Five mid-month reminders and the reception day's advance notice.
    assert Counter(r.kind for r in due) == {"visit_mid_month": 5, "visit_reception_notice": 1}
    a, b = runner(services, "a"), runner(second_instance, "b")
    results = await asyncio.gather(a.tick(batch=1), b.tick(batch=1))
    assert sum(r.get("done", 0) for r in results) == 6
    assert all(r.get("lost", 0) == 0 for r in results)
    for cadre in cadres:
        assert sum("Halfway through March" in t for t in await texts_to(services, cadre)) == 1
    notices = Counter(
        m.recipient_user_id
        for m in await messages(services)
        if "Reception day" in m.payload["text"] or "接待日" in m.payload["text"]
    )
    assert len(notices) == 7 and set(notices.values()) == {1}
    assert await asyncio.gather(a.tick(), b.tick()) == [{}, {}]
    async with services.ctx.db.read() as session:
        statuses = Counter((await session.execute(select(Reminder.status))).scalars())
    assert statuses["done"] == 6 and statuses["sending"] == 0


async def test_the_planning_job_plans_from_start_up(services: Services, clock: FakeClock) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    clock.set(utc(2026, 2, 10, 2))
    await county(services)
    await staff(services, "Li Wei")
    clock.set(utc(2026, 3, 2, 2))
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        visit_jobs.add_jobs(scheduler, services)
        visit_jobs.add_jobs(scheduler, services)  # added twice (a reload): still one job
        jobs = {j.id: j for j in scheduler.get_jobs()}
        job = jobs[visit_jobs.JOB_ID]
    finally:
        scheduler.shutdown(wait=False)
    assert set(jobs) == {visit_jobs.JOB_ID, visit_jobs.FANOUT_JOB_ID}
    assert job.trigger.interval.total_seconds() == visit_jobs.PLAN_EVERY_MINUTES * 60
    await job.func(*job.args)
    kinds = Counter(r.kind for r in await reminders(services))
    assert kinds == {"visit_mid_month": 1, "visit_month_end": 1}
