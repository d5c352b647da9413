"""Webhook intake: Telegram posts updates; each is answered only after it was handled, so a
crash or an error answer makes Telegram deliver it again. The secret token header is checked
before anything is read.

Bounded: at most ``CPBOT_INTAKE_CONCURRENCY`` updates are in hand at once; past it, and while
stopping, a request gets 503 and Telegram delivers the update again later — nothing is
accepted and then dropped.

Stopping (SIGTERM): new requests get 503, the updates in hand are finished and answered, and
only then is the bot's HTTP session closed (aiogram's own shutdown hook would close it first,
and the update in hand would fail half-way while Telegram counts it as delivered).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.commands import set_default_commands
from bot.dedupe import UpdateInHand
from bot.factory import App
from bot.health import health_routes
from bot.process_lock import hold_single_process, require_shared_state
from bot.serving import Background, persist, prepare, stop_on_signals
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)
FINISH_SECONDS = 50.0  # under aiogram's 55 s answer window: what is in hand gets its answer


class AnswerAfterHandling(SimpleRequestHandler):
    """aiogram's handler, answering only once the update was handled. 503 (delivered again
    later) for an update another replica has in hand, past the concurrency bound, and once
    stopping has begun."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, *, limit: int, **kwargs: Any) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, **kwargs)
        self.limit = limit
        self.in_hand = 0
        self.stopping = False
        self._idle = asyncio.Event()
        self._idle.set()

    async def handle(self, request: web.Request) -> web.Response:
        if self.stopping or self.in_hand >= self.limit:
            return web.Response(status=503, text="busy", headers={"Retry-After": "1"})
        self.in_hand += 1
        self._idle.clear()
        try:
            return await super().handle(request)
        except UpdateInHand:
            return web.Response(status=503, text="in hand elsewhere")
        finally:
            self.in_hand -= 1
            if self.in_hand == 0:
                self._idle.set()

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        """The update is handled before it is answered, however long that takes. aiogram's
        own path answers after 55 s and lets the handling go on in the background, where a
        failure would lose an update Telegram counts as delivered. Here a slow update is
        simply redelivered after Telegram's timeout and answered 503 while still in hand
        (``bot/dedupe.py``)."""
        raw = await request.json(loads=bot.session.json_loads)
        update = Update.model_validate(raw, context={"bot": bot})
        result = await self.dispatcher.feed_update(bot, update, **self.data)
        reply = result if isinstance(result, TelegramMethod) else None
        return web.Response(body=self._build_response_writer(bot=bot, result=reply))

    async def finish(self, patience: float = FINISH_SECONDS) -> None:
        """Take nothing new; wait for the updates in hand to be handled and answered."""
        self.stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), patience)
        except TimeoutError:
            log.warning("%d updates still in hand after %.0f s", self.in_hand, patience)

    async def close(self) -> None:
        """aiohttp's shutdown hook: the bot's session stays open; ``App.close`` closes it
        after the updates in hand were finished."""


def webhook_app(app: App) -> tuple[web.Application, AnswerAfterHandling]:
    settings = app.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    web_app = web.Application()
    handler = AnswerAfterHandling(
        app.dp,
        app.bot,
        limit=settings.intake_concurrency,
        secret_token=secret,
        redeliverable=True,  # reaches the middlewares: a failing update is answered 503
    )
    handler.register(web_app, path=settings.webhook_path)
    if app.wechat is not None:
        # WeChat's callback URL beside Telegram's: it keeps each push and answers at once.
        web_app.add_routes(app.wechat.routes())
    web_app.add_routes(health_routes(app))
    return web_app, handler


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
        # Telegram's max_connections counts the whole bot, across replicas: left at its
        # default; each replica answers 503 past its own bound instead.
    )


async def serve_webhook(app: App, stop: asyncio.Event, *, background: bool = True) -> None:
    """Serve the webhook until ``stop``; with ``background`` also send and schedule."""
    worker = Background(app) if background else None
    web_app, handler = webhook_app(app)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=FINISH_SECONDS)
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
        await handler.finish()
        await runner.cleanup()
        if worker is not None:
            await worker.stop()
        await app.close()


async def run_webhook(settings: Settings, *, intake_only: bool = False) -> None:
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
