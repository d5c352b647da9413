"""What every way of running the bot shares: the background (outbox sender and scheduler),
preparing the app, start-up calls that wait out a network not there yet, and the signals
that stop it. ``bot.runners`` (polling, worker) and ``bot.webhook`` both build on this."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from aiogram.exceptions import TelegramNetworkError, TelegramServerError

from bot.factory import App, build_app
from bot.settings import Settings
from models.db import delivery_lane
from scheduler.setup import build_scheduler

log = logging.getLogger(__name__)


class Background:
    """The outbox sender and the scheduler (and, with Redis, the signal that wakes the
    sender when another process commits), started and stopped together."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.scheduler = build_scheduler(app.services)
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    async def start(self) -> None:
        with delivery_lane():  # the sender's writes go before intake's on SQLite
            self._tasks.append(asyncio.create_task(self.app.sender.run(), name="outbox-sender"))
        if self.app.signal is not None:
            self._tasks.append(
                asyncio.create_task(
                    self.app.signal.listen(self.app.sender.wake, self._stop), name="outbox-signal"
                )
            )
        self.scheduler.start()
        if self.app.wechat is not None:
            await self.app.wechat.start()  # WeChat's inbox worker and sender

    async def stop(self) -> None:
        self._stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.app.wechat is not None:
            await self.app.wechat.stop()
        await self.app.sender.stop()
        for task in self._tasks:
            await task
        with contextlib.suppress(Exception):
            await self.app.services.reminders.release()


async def prepare(settings: Settings) -> App:
    if settings.is_sqlite:
        # One process owns an SQLite database: bring it up to date on start. Alembic (its
        # import and its run, a few tenths of a second) only when a migration is due.
        from models.schema_check import sqlite_at_head

        if not sqlite_at_head(settings.database_url):
            from models.migrate import upgrade_async

            await upgrade_async(settings.database_url)
    return await build_app(settings)


async def persist(
    call: Callable[[], Awaitable[object]], what: str, stop: asyncio.Event, patience: float = 300
) -> None:
    """Start-up calls to Telegram wait out a network that is not there yet (a proxy still
    starting, a flaky uplink) instead of failing the process at once."""
    delay, waited = 1.0, 0.0
    while True:
        try:
            await call()
            return
        except (TelegramNetworkError, TelegramServerError) as exc:
            if waited >= patience or stop.is_set():
                raise
            log.warning(
                "Telegram unreachable (%s: %s); retrying in %.0fs", what, type(exc).__name__, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            waited += delay
            delay = min(delay * 2, 30)


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
