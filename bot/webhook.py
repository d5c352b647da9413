"""Webhook intake: Telegram posts updates; each is answered only after it was handled, so a
crash or an error answer makes Telegram deliver it again. The secret token header is checked
before anything is read."""

from __future__ import annotations

import asyncio
import logging

from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.dedupe import UpdateInHand
from bot.factory import App
from bot.health import health_routes
from bot.runners import Background, persist
from bot.settings import SettingsError

log = logging.getLogger(__name__)


class AnswerAfterHandling(SimpleRequestHandler):
    """aiogram's handler, answering only once the update was handled; an update another
    replica has in hand gets 503, so Telegram delivers it again later."""

    async def handle(self, request: web.Request) -> web.Response:
        try:
            return await super().handle(request)
        except UpdateInHand:
            return web.Response(status=503, text="in hand elsewhere")


def webhook_app(app: App) -> web.Application:
    settings = app.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    web_app = web.Application()
    AnswerAfterHandling(app.dp, app.bot, handle_in_background=False, secret_token=secret).register(
        web_app, path=settings.webhook_path
    )

    web_app.add_routes(health_routes(app))
    return web_app


async def set_webhook(app: App) -> None:
    settings = app.settings
    if not settings.webhook_url:
        raise SettingsError("setting CPBOT_WEBHOOK_URL is missing")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    await app.bot.set_webhook(
        settings.webhook_url,
        secret_token=secret,
        allowed_updates=app.dp.resolve_used_update_types(),
        drop_pending_updates=False,
    )


async def serve_webhook(app: App, stop: asyncio.Event, *, background: bool = True) -> None:
    """Serve the webhook until ``stop``; with ``background`` also send and schedule."""
    from bot.commands import set_default_commands

    worker = Background(app) if background else None
    runner = web.AppRunner(webhook_app(app), access_log=None, shutdown_timeout=30)
    try:
        await persist(lambda: set_webhook(app), "setWebhook", stop)
        await persist(
            lambda: set_default_commands(app.bot, app.services.texts, app.settings.default_locale),
            "setMyCommands",
            stop,
        )
        await runner.setup()
        site = web.TCPSite(runner, app.settings.webhook_host, app.settings.webhook_port)
        await site.start()
        if worker is not None:
            await worker.start()
        log.info(
            "webhook listening on %s:%s%s",
            app.settings.webhook_host,
            app.settings.webhook_port,
            app.settings.webhook_path,
        )
        await stop.wait()
        log.info("stopping: finishing the updates in hand")
    finally:
        await runner.cleanup()  # waits for requests in hand
        if worker is not None:
            await worker.stop()
        await app.close()
