"""Running the bot: long polling (one process), with the outbox sender and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.commands import set_default_commands
from bot.factory import App, build_app
from bot.settings import Settings
from models.migrate import upgrade_async
from scheduler.setup import build_scheduler

log = logging.getLogger(__name__)


class Background:
    """The outbox sender and the scheduler, started and stopped together."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.scheduler = build_scheduler(app.services)
        self._sender_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._sender_task = asyncio.create_task(self.app.sender.run(), name="outbox-sender")
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.app.sender.stop()
        if self._sender_task is not None:
            await self._sender_task


async def prepare(settings: Settings) -> App:
    if settings.is_sqlite:
        # One process owns an SQLite database: bring it up to date on start.
        await upgrade_async(settings.database_url)
    return await build_app(settings)


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def serve_polling(app: App, stop: asyncio.Event) -> None:
    """Poll for updates until ``stop`` is set, then finish what is in hand and close."""
    background = Background(app)
    try:
        await app.bot.delete_webhook(drop_pending_updates=False)
        await set_default_commands(app.bot, app.services.texts, app.settings.default_locale)
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
        await app.bot.session.close()
        await app.db.dispose()


async def run_polling(settings: Settings) -> None:
    app = await prepare(settings)
    stop = asyncio.Event()
    stop_on_signals(stop)
    await serve_polling(app, stop)
