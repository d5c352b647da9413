"""Running the bot: long polling in one process; or webhook replicas and workers.

- ``cpbot run``: polling intake, outbox sender and scheduler in one process.
- ``cpbot webhook``: webhook intake, plus sender and scheduler unless ``--intake-only``.
- ``cpbot worker``: sender and scheduler only, for the replicas' outbox rows.
Every mode stops on SIGINT/SIGTERM: it finishes the update in hand, records what it sent and
gives back its leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiohttp import web

from bot.commands import set_default_commands
from bot.factory import App, build_app
from bot.health import health_routes
from bot.process_lock import hold_single_process, require_shared_state
from bot.settings import Settings
from models.migrate import upgrade_async
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
        self._tasks.append(asyncio.create_task(self.app.sender.run(), name="outbox-sender"))
        if self.app.signal is not None:
            self._tasks.append(
                asyncio.create_task(
                    self.app.signal.listen(self.app.sender.wake, self._stop), name="outbox-signal"
                )
            )
        self.scheduler.start()

    async def stop(self) -> None:
        self._stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.app.sender.stop()
        for task in self._tasks:
            await task
        with contextlib.suppress(Exception):
            await self.app.services.reminders.release()


async def prepare(settings: Settings) -> App:
    if settings.is_sqlite:
        # One process owns an SQLite database: bring it up to date on start.
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


async def serve_polling(app: App, stop: asyncio.Event) -> None:
    """Poll for updates until ``stop`` is set, then finish what is in hand and close."""
    background = Background(app)
    try:
        await persist(
            lambda: app.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook", stop
        )
        await persist(
            lambda: set_default_commands(app.bot, app.services.texts, app.settings.default_locale),
            "setMyCommands",
            stop,
        )
        await background.start()
        polling = asyncio.create_task(
            app.dp.start_polling(
                app.bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=app.dp.resolve_used_update_types(),
            )
        )
        log.info("polling for updates")
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping: finishing the updates in hand")
        if not polling.done():
            with contextlib.suppress(RuntimeError):
                await app.dp.stop_polling()
        stopped.cancel()
        await polling  # re-raises if polling itself failed
    finally:
        await background.stop()
        await app.close()


async def run_polling(settings: Settings) -> None:
    lock = hold_single_process(settings)
    try:
        app = await prepare(settings)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await serve_polling(app, stop)
    finally:
        if lock is not None:
            lock.release()


async def run_webhook(settings: Settings, *, intake_only: bool = False) -> None:
    from bot.webhook import serve_webhook

    lock = None
    if intake_only:
        require_shared_state(settings, "an intake-only webhook replica")
    else:
        lock = hold_single_process(settings)
    try:
        app = await prepare(settings)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await serve_webhook(app, stop, background=not intake_only)
    finally:
        if lock is not None:
            lock.release()


async def run_worker(settings: Settings) -> None:
    """Outbox sender and scheduler, no update intake (beside webhook replicas)."""
    require_shared_state(settings, "a worker")
    app = await build_app(settings)
    stop = asyncio.Event()
    stop_on_signals(stop)
    background = Background(app)
    runner: web.AppRunner | None = None
    try:
        if settings.health_port:
            health = web.Application()
            health.add_routes(health_routes(app))
            runner = web.AppRunner(health, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, settings.webhook_host, settings.health_port).start()
        await background.start()
        log.info("worker: sending and scheduling")
        await stop.wait()
        log.info("stopping: recording what was sent, giving back leases")
    finally:
        await background.stop()
        if runner is not None:
            await runner.cleanup()
        await app.close()
