"""Scheduler jobs of the visits feature.

One planning tick: it plans this month's visit reminders for every cadre's duty, last month's
escalations and the administrators' monthly summaries, with unique keys, so every replica may
run it and a restart plans nothing twice. Sending is the reminders tick's job (scheduler/setup.py),
which runs the handlers of ``Visits.reminder_handlers()``.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.app import Services

log = logging.getLogger(__name__)

JOB_ID = "visit_reminders_plan"
PLAN_EVERY_MINUTES = 10


async def plan_visit_reminders(services: Services) -> None:
    offered = await services.visits.plan_reminders()
    log.debug("visit reminders: %d keys offered", offered)


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
