"""Scheduler jobs of the reports feature.

One planning tick: it plans, with unique keys, each administrator's monthly report (due on the
1st at 09:00 in their region's time zone) and every administrator's and cadre's weekly digest
(Mondays at 09:00), so every replica may run it and a restart plans
nothing twice. Sending is the reminders tick's job (scheduler/setup.py), which runs
``Reports.reminder_handlers()`` under a lease: each report is sent once.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.app import Services

log = logging.getLogger(__name__)

JOB_ID = "reports_plan"
PLAN_EVERY_MINUTES = 15


async def plan_reports(services: Services) -> None:
    offered = await services.reports.plan_monthly()
    offered += await services.digests.plan_weekly()
    log.debug("monthly reports and weekly digests: %d keys offered", offered)


def add_jobs(scheduler: AsyncIOScheduler, services: Services) -> None:
    """Add this feature's ticks (the first planning runs at start-up)."""
    scheduler.add_job(
        plan_reports,
        "interval",
        minutes=PLAN_EVERY_MINUTES,
        args=[services],
        id=JOB_ID,
        replace_existing=True,
        next_run_time=services.ctx.clock.now(),
    )
