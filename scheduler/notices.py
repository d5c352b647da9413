"""Scheduler jobs of the notices feature: one short tick that starts due notices and advances
the ones in flight (progress, paced fan-out, the final report). Correctness lives in the
database — the cursor on the notice, unique outbox keys, a guarded start — so any number of
instances may run it."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.app import Services

log = logging.getLogger(__name__)

JOB_ID = "notices_tick"
TICK_SECONDS = 1.0


async def tick(services: Services) -> None:
    report = await services.notices.tick()
    if report.started or report.finished:
        log.info(
            "notices: %d started, %d in flight, %d finished",
            report.started,
            report.advanced,
            report.finished,
        )


def add_jobs(scheduler: AsyncIOScheduler, services: Services) -> None:
    """Add this feature's ticks to the scheduler."""
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
