"""The scheduler: short ticks that call services.

Correctness lives in the database (unique keys, leases), not in APScheduler, so every process
may run the same ticks; the memory job store is enough.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.logs import DATABASE, Outage, is_unreachable
from scheduler import consultations, notices, reports, visits
from services.app import Services

log = logging.getLogger(__name__)

IDLE_CONVERSATION = timedelta(days=30)


async def forget_idle_conversations(services: Services) -> None:
    removed = await services.conversations.forget_idle(IDLE_CONVERSATION)
    if removed:
        log.info("forgot %d idle conversations", removed)


async def prune_presses(services: Services) -> None:
    """Button presses Telegram no longer delivers again need no record (bot/presses.py)."""
    removed = await services.presses.prune()
    if removed:
        log.info("forgot %d old button presses", removed)


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


# The fan-out ticks APScheduler fires each second: notices, consultations and reception days.
# Each asks the database every second only while something is going on, every few seconds
# otherwise (``Pace``).
PACED_TICKS = (notices.JOB_ID, consultations.JOB_ID, visits.FANOUT_JOB_ID)


def build_scheduler(
    services: Services,
    outage: Outage | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        # Two instances allowed only so that APScheduler never logs "maximum number of running
        # instances reached": ``quiet`` skips a run while the previous one is still going.
        job_defaults={"coalesce": True, "max_instances": 2, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        forget_idle_conversations,
        "interval",
        hours=6,
        args=[services],
        id="conversations:forget_idle",
    )
    scheduler.add_job(prune_presses, "interval", hours=6, args=[services], id="presses:prune")
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
    for feature in (notices, visits, consultations, reports):
        feature.add_jobs(scheduler, services)
    # A fan-out tick asks the database each second while something is going on (an outbox
    # commit in this process in the last seconds: a fan-out writes rows at every step); when
    # all is quiet, every few seconds — a notice or consultation due, or composed in another
    # process, still starts within IDLE_EVERY of its time.
    paces = {job_id: Pace(clock=clock) for job_id in PACED_TICKS}
    for pace in paces.values():
        services.ctx.db.on_outbox_commit(pace.wake)
    for job in scheduler.get_jobs():
        job.modify(func=quiet(job.func, outage or DATABASE, paces.get(job.id)), max_instances=2)
    return scheduler


BUSY_FOR = 15.0  # seconds after an outbox commit during which the notices tick runs each second
IDLE_EVERY = 3.0  # seconds between notices ticks when nothing happened


class Pace:
    """When a frequent tick should really run: each time while there is activity, every
    ``idle_every`` seconds otherwise."""

    def __init__(
        self,
        idle_every: float = IDLE_EVERY,
        busy_for: float = BUSY_FOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_every = idle_every
        self.busy_for = busy_for
        self.clock = clock
        self._busy_until = clock() + busy_for  # start attentive
        self._next = 0.0

    def wake(self) -> None:
        self._busy_until = self.clock() + self.busy_for
        self._next = 0.0

    def due(self) -> bool:
        now = self.clock()
        if now < self._busy_until or now >= self._next:
            self._next = now + self.idle_every
            return True
        return False


def quiet(
    func: Callable[..., Awaitable[None]], outage: Outage, pace: Pace | None = None
) -> Callable[..., Awaitable[None]]:
    """A tick that keeps the log quiet: a run that finds the previous one still going is
    skipped silently; the database being unreachable is one line when it starts and one when
    it ends (``outage``), not a traceback every second; a tick cut short by shutdown is not an
    error — its transaction rolled back, its leases lapse, and this or another process runs it
    again. Other failures are logged with their traceback."""
    running = asyncio.Lock()
    name = getattr(func, "__name__", "tick")

    @functools.wraps(func)
    async def tick(*args: Any) -> None:
        if running.locked() or (pace is not None and not pace.due()):
            return
        async with running:
            try:
                await func(*args)
            except asyncio.CancelledError:
                log.info("%s stopped by shutdown", name)
                return
            except Exception as exc:
                if is_unreachable(exc):
                    outage.failed(exc)
                else:
                    log.exception("%s failed; it runs again at its next time", name)
                return
            outage.ok()

    return tick
