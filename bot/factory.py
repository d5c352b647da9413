"""Builds the bot, the dispatcher and everything behind them from the settings."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import LinkPreviewOptions
from redis.asyncio import Redis

from bot import magic_inline
from bot.answer_types import keep_answer_types
from bot.dedupe import DedupeMiddleware, MemorySeenUpdates, SeenUpdates
from bot.errors import register_error_handlers
from bot.flood import FloodControl
from bot.fsm import DatabaseStorage, StepMiddleware
from bot.limits import Limiter, MemoryLimiter, RateLimitMiddleware
from bot.middlewares import ActorMiddleware, ReleaseReads, UnitDispatcher
from bot.people_signal import PeopleSignal
from bot.presses import PressBook, PressMiddleware, StoredPresses
from bot.redis_parts import OutboxSignal, RedisLimiter, RedisSeenUpdates, RenewedEventIsolation
from bot.retry import RetryTransient
from bot.sender import OutboxSender, sending_concurrency
from bot.service_config import service_config
from bot.settings import Settings
from handlers import get_routers
from models.db import Database
from services.app import Services
from services.channel_media import FetchFile
from services.channels import WECHAT
from services.clock import Clock
from services.context import Context

if TYPE_CHECKING:
    from wechat.channel import WeChatChannel
from services.outbox import OutboxStore


@dataclass
class App:
    settings: Settings
    db: Database
    services: Services
    bot: Bot
    dp: Dispatcher
    sender: OutboxSender
    limiter: Limiter
    redis: Redis | None = None
    signal: OutboxSignal | None = None
    people_signal: PeopleSignal | None = None
    sender_db: Database | None = None
    # The WeChat channel, when its settings are given (``wechat.channel``).
    wechat: WeChatChannel | None = None

    async def close(self) -> None:
        if self.wechat is not None:
            await self.wechat.close()
        if self.people_signal is not None:
            await self.people_signal.stop()
        await self.bot.session.close()
        await self.db.dispose()
        if self.sender_db is not None:
            await self.sender_db.dispose()
        if self.redis is not None:
            await self.redis.aclose()


def make_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    session = session or AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base))
    keep_answer_types()
    return Bot(
        settings.bot_token(),
        session=session,
        default=DefaultBotProperties(
            parse_mode="HTML", link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )


def build_dispatcher(
    services: Services,
    storage: BaseStorage,
    isolation: BaseEventIsolation,
    seen: SeenUpdates,
    flood: FloodControl | None = None,
    presses: PressBook | None = None,
) -> Dispatcher:
    magic_inline.install()
    dp = UnitDispatcher(services.ctx.db, storage=storage, events_isolation=isolation)
    dp.update.outer_middleware(DedupeMiddleware(seen))
    dp.update.outer_middleware(RetryTransient())
    # A press handled before a restart, or by another replica, is skipped (issue 18).
    dp.update.outer_middleware(PressMiddleware(presses or StoredPresses(services.presses)))
    dp.update.outer_middleware(ActorMiddleware(services))
    dp.update.outer_middleware(flood or FloodControl())
    dp.update.outer_middleware(StepMiddleware())
    register_error_handlers(dp)
    dp.include_routers(*get_routers())
    return dp


async def build_app(
    settings: Settings,
    *,
    session: BaseSession | None = None,
    clock: Clock | None = None,
    bot_username: str | None = None,
    limiter: Limiter | None = None,
    flood: FloodControl | None = None,
) -> App:
    bot = make_bot(settings, session)
    username = bot_username or settings.bot_username
    if not username:
        username = (await bot.get_me()).username or "contact_point_bot"
    # The pool is sized to the updates in hand, plus room for the sender and the scheduler.
    db = Database.from_url(settings.database_url, pool_size=settings.intake_concurrency + 4)
    ctx = Context.create(db, service_config(settings, username), clock)
    services = Services(ctx)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    storage: BaseStorage
    isolation: BaseEventIsolation
    seen: SeenUpdates
    signal: OutboxSignal | None = None
    people_signal: PeopleSignal | None = None
    if redis is not None:
        # Several processes: conversations, per-chat locks, handled updates and the sending
        # limits live in Redis, and a commit anywhere wakes every sender.
        keys = DefaultKeyBuilder(with_destiny=True, prefix="cpbot:fsm")
        storage = RedisStorage(redis, key_builder=keys)
        # A chat's lock dies with its holder: a 5 s TTL renewed while held, so a killed
        # replica stalls its chats for 5 s at most (it was 30 s).
        isolation = RenewedEventIsolation(redis, key_builder=keys)
        seen = RedisSeenUpdates(redis)
        limiter = limiter or RedisLimiter(
            redis, settings.rate_per_second, settings.group_per_minute
        )
        signal = OutboxSignal(redis)
        people_signal = PeopleSignal(redis, db)
        db.on_people_commit(people_signal.publish)
        people_signal.start()
    else:
        storage = DatabaseStorage(services.conversations)
        isolation = SimpleEventIsolation()
        seen = MemorySeenUpdates()
        limiter = limiter or MemoryLimiter(
            rate=settings.rate_per_second, group_per_minute=settings.group_per_minute
        )
    # Every process answers each press once, and handles it once (bot/presses.py).
    presses = StoredPresses(services.presses)
    bot.session.middleware(ReleaseReads())
    bot.session.middleware(RateLimitMiddleware(limiter, presses=presses))
    dp = build_dispatcher(services, storage, isolation, seen, flood, presses)
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{id(bot):x}"
    # The sender's claims and records never wait behind intake for a pooled connection (a
    # timed-out record sent the row again when its lease lapsed): on PostgreSQL it has a small
    # pool of its own. SQLite's one writer is shared through the in-process write lock.
    sender_db = None if db.is_sqlite else Database.from_url(settings.database_url, pool_size=2)
    sender = OutboxSender(
        OutboxStore(replace(ctx, db=sender_db) if sender_db else ctx, worker_id),
        bot,
        concurrency=sending_concurrency(settings.rate_per_second, settings.sender_in_flight),
        poll_seconds=settings.outbox_poll_seconds,
        recover_orphans=settings.is_sqlite,
    )
    # A relayed message is claimed for this sender as it is stored, and sent once stored
    # (services/dispatch.py); the sender takes it only while it runs.
    ctx.dispatch = sender
    for database in (db, sender_db) if sender_db else (db,):
        database.on_outbox_commit(sender.wake)
        if signal is not None:
            database.on_outbox_commit(signal.publish)
    wechat = wechat_channel(settings, services, bot, worker_id)
    if wechat is not None:
        # A WeChat resident's photo, voice or video reaches Telegram chats as a file.
        sender.channel_files[WECHAT] = wechat.fetch_media
    return App(
        settings,
        db,
        services,
        bot,
        dp,
        sender,
        limiter,
        redis,
        signal,
        people_signal=people_signal,
        sender_db=sender_db,
        wechat=wechat,
    )


def telegram_files(bot: Bot) -> FetchFile:
    """How a cadre's file is fetched from Telegram for another channel (bytes and type)."""
    from aiogram.exceptions import TelegramBadRequest

    from services.channel_media import TELEGRAM_DOWNLOAD, MediaGone, MediaTooLarge, sniff

    async def fetch(file_id: str) -> tuple[bytes, str]:
        try:
            found = await bot.get_file(file_id)
        except TelegramBadRequest as exc:
            if "too big" in exc.message.lower():
                raise MediaTooLarge(TELEGRAM_DOWNLOAD + 1, TELEGRAM_DOWNLOAD) from exc
            raise MediaGone(file_id) from exc
        if (found.file_size or 0) > TELEGRAM_DOWNLOAD:
            raise MediaTooLarge(int(found.file_size or 0), TELEGRAM_DOWNLOAD)
        data = await bot.download_file(found.file_path or "")
        content = data.read() if data is not None else b""
        return content, sniff(content)

    return fetch


def wechat_channel(
    settings: Settings, services: Services, bot: Bot | None, worker_id: str | None = None
) -> WeChatChannel | None:
    """The WeChat channel, or None when its settings are not all given (the channel is off)."""
    if not settings.wechat_enabled:
        return None
    from wechat.channel import WeChatChannel, WeChatConfig

    assert settings.wechat_app_id and settings.wechat_app_secret
    assert settings.wechat_token and settings.wechat_aes_key
    config = WeChatConfig(
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret.get_secret_value(),
        token=settings.wechat_token.get_secret_value(),
        encoding_aes_key=settings.wechat_aes_key.get_secret_value(),
        api_base=settings.wechat_api_base,
        path=settings.wechat_path,
        subscription_template=settings.wechat_template_id,
        poll_seconds=settings.outbox_poll_seconds,
    )
    fetch = telegram_files(bot) if bot is not None else None
    return WeChatChannel(services, config, fetch_file=fetch, worker_id=worker_id)
