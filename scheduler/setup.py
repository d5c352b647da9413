"""The scheduler: short ticks that call services.

Correctness lives in the database (unique keys, leases), not in APScheduler, so every process
may run the same ticks; the memory job store is enough.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.app import Services

log = logging.getLogger(__name__)

IDLE_CONVERSATION = timedelta(days=30)


async def forget_idle_conversations(services: Services) -> None:
    removed = await services.conversations.forget_idle(IDLE_CONVERSATION)
    if removed:
        log.info("forgot %d idle conversations", removed)


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
        id="conversations.forget_idle",
    )
    return scheduler
