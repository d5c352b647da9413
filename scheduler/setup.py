"""The scheduler: short ticks that call services.

Correctness lives in the database (unique keys, leases), not in APScheduler, so every process
may run the same ticks; the memory job store is enough.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler import notices, reports, visits
from services.app import Services

log = logging.getLogger(__name__)

IDLE_CONVERSATION = timedelta(days=30)


async def forget_idle_conversations(services: Services) -> None:
    removed = await services.conversations.forget_idle(IDLE_CONVERSATION)
    if removed:
        log.info("forgot %d idle conversations", removed)


async def send_due_reminders(services: Services) -> None:
    counts = await services.reminders.tick()
    if counts:
        log.info("reminders: %s", counts)


async def purge_expired_data(services: Services) -> None:
    while await services.privacy.purge_expired():
        pass  # in batches, each its own short transaction


async def route_waiting_tipoffs(services: Services) -> None:
    """A safety net: joining and suspending inspectors route reports at once."""
    moved = await services.tipoffs.route_waiting()
    if moved:
        log.info("tip-offs: %d waiting reports handed to an inspector", moved)


def build_scheduler(services: Services) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        forget_idle_conversations,
        "interval",
        hours=6,
        args=[services],
        id="conversations:forget_idle",
    )
    scheduler.add_job(
        send_due_reminders,
        "interval",
        seconds=30,
        args=[services],
        id="reminders:send_due",
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        route_waiting_tipoffs,
        "interval",
        minutes=5,
        args=[services],
        id="tipoffs:route_waiting",
    )
    scheduler.add_job(
        purge_expired_data, "cron", hour=3, minute=17, args=[services], id="privacy:retention"
    )
    for feature in (notices, visits, reports):
        feature.add_jobs(scheduler, services)
    for job in scheduler.get_jobs():
        job.modify(func=stops_quietly(job.func))
    return scheduler


def stops_quietly(func: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """A tick cut short by shutdown is not an error: its transaction rolled back, its leases
    lapse, and this or another process runs it again."""

    @functools.wraps(func)
    async def tick(*args: Any) -> None:
        try:
            await func(*args)
        except asyncio.CancelledError:
            log.info("%s stopped by shutdown", getattr(func, "__name__", "tick"))

    return tick
