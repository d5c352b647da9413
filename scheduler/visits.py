"""Scheduler jobs of the visits feature.

One planning tick: it plans this month's visit reminders for every cadre's duty, last month's
escalations and the administrators' monthly summaries, with unique keys, so every replica may
run it and a restart plans nothing twice. Sending is the reminders tick's job (scheduler/setup.py),
which runs the handlers of ``Visits.reminder_handlers()``.

One short fan-out tick: it advances reception-day announcements in flight (paced, resumable;
correctness lives in the run's cursor and the rows' unique keys, as for notices).
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.app import Services

log = logging.getLogger(__name__)

JOB_ID = "visit_reminders_plan"
PLAN_EVERY_MINUTES = 10
FANOUT_JOB_ID = "reception_fanout_tick"
FANOUT_TICK_SECONDS = 1.0


async def plan_visit_reminders(services: Services) -> None:
    offered = await services.visits.plan_reminders()
    log.debug("visit reminders: %d keys offered", offered)


async def advance_receptions(services: Services) -> None:
    await services.visits.advance_receptions()


def add_jobs(scheduler: AsyncIOScheduler, services: Services) -> None:
    """Add this feature's ticks to the scheduler (the first planning runs at start-up)."""
    scheduler.add_job(
        plan_visit_reminders,
        "interval",
        minutes=PLAN_EVERY_MINUTES,
        args=[services],
        id=JOB_ID,
        replace_existing=True,
        next_run_time=services.ctx.clock.now(),
    )
    scheduler.add_job(
        advance_receptions,
        "interval",
        seconds=FANOUT_TICK_SECONDS,
        args=[services],
        id=FANOUT_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=30,
    )
