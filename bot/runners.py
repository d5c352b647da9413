"""Running the bot: long polling in one process; or webhook replicas and workers.

- ``cpbot run``: polling intake, outbox sender and scheduler in one process.
- ``cpbot webhook``: webhook intake, plus sender and scheduler unless ``--intake-only``.
- ``cpbot worker``: sender and scheduler only, for the replicas' outbox rows.
``cpbot webhook`` lives in ``bot.webhook``; what the modes share is in ``bot.serving``.
Every mode stops on SIGINT/SIGTERM: it finishes the update in hand, records what it sent and
gives back its leases.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.commands import set_default_commands
from bot.factory import App, build_app
from bot.health import health_routes
from bot.intake import BoundedPolling
from bot.process_lock import hold_single_process, require_shared_state
from bot.serving import Background, persist, prepare, stop_on_signals
from bot.settings import Settings

log = logging.getLogger(__name__)


async def serve_polling(app: App, stop: asyncio.Event) -> None:
    """Poll for updates until ``stop`` is set, then finish what is in hand and close."""
    background = Background(app)
    callback: web.AppRunner | None = None
    try:
        if app.wechat is not None:
            # Polling needs no web server for Telegram; WeChat's callback URL needs one.
            callback = web.AppRunner(web.Application(), access_log=None)
            callback.app.add_routes(app.wechat.routes())
            await callback.setup()
            site = web.TCPSite(callback, app.settings.webhook_host, app.settings.webhook_port)
            await site.start()
            log.info(
                "WeChat callback on %s:%s%s",
                app.settings.webhook_host,
                app.settings.webhook_port,
                app.settings.wechat_path,
            )
        await persist(
            lambda: app.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook", stop
        )
        await persist(
            lambda: set_default_commands(app.bot, app.services.texts, app.settings.default_locale),
            "setMyCommands",
            stop,
        )
        await background.start()
        polling = BoundedPolling(
            app.dp,
            app.bot,
            concurrency=app.settings.intake_concurrency,
            allowed_updates=app.dp.resolve_used_update_types(),
        )
        log.info("polling for updates (%d at once)", app.settings.intake_concurrency)
        await polling.run(stop)  # returns once stopped and the updates in hand are finished
        log.info("stopped: the updates in hand were finished")
    finally:
        if callback is not None:
            await callback.cleanup()
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
