"""Scheduler job of consultations: one short tick that opens due consultations, closes those
past their deadline and advances their fan-outs (invitation, reminder, outcome). Correctness
lives in the database (guarded status changes, the fan-out's bookmark, unique keys), so any
number of instances may run it. The reminder itself is planned through services/reminders.py."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.app import Services

log = logging.getLogger(__name__)

JOB_ID = "consultations_tick"
TICK_SECONDS = 1.0


async def tick(services: Services) -> None:
    opened = await services.consultations.tick()
    if opened:
        log.info("consultations: %d opened", opened)


def add_jobs(scheduler: AsyncIOScheduler, services: Services) -> None:
    """Add this feature's tick to the scheduler."""
    scheduler.add_job(
        tick,
        "interval",
        seconds=TICK_SECONDS,
        args=[services],
        id=JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=30,
    )
