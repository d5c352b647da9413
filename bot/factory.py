"""Builds the bot, the dispatcher and everything behind them from the settings."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import LinkPreviewOptions
from redis.asyncio import Redis

from bot.answer_types import keep_answer_types
from bot.dedupe import DedupeMiddleware, MemorySeenUpdates, SeenUpdates
from bot.errors import register_error_handlers
from bot.flood import FloodControl
from bot.fsm import DatabaseStorage, StepMiddleware
from bot.limits import Limiter, MemoryLimiter, RateLimitMiddleware
from bot.middlewares import ActorMiddleware
from bot.redis_parts import OutboxSignal, RedisLimiter, RedisSeenUpdates
from bot.sender import OutboxSender
from bot.settings import Settings
from handlers import get_routers
from models.db import Database
from services.app import Services
from services.clock import Clock
from services.config import ServiceConfig
from services.context import Context


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

    async def close(self) -> None:
        await self.bot.session.close()
        await self.db.dispose()
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


def service_config(settings: Settings, bot_username: str) -> ServiceConfig:
    if settings.poster_font:
        # The poster renderer looks for this variable: a .env line must reach it too.
        os.environ.setdefault("CPBOT_POSTER_FONT", settings.poster_font)
    return ServiceConfig(
        default_locale=settings.default_locale,
        admin_tg_ids=frozenset(settings.admin_ids),
        bot_username=bot_username,
        invite_ttl_hours=settings.invite_ttl_hours,
        deadlines=settings.deadline_policy(),
        tipoff_key=settings.tipoff_key.get_secret_value() if settings.tipoff_key else None,
        tipoff_ack_workdays=settings.tipoff_ack_workdays,
        retention_days=settings.retention_days,
        monthly_reports=settings.monthly_reports,
        weekly_digest=settings.weekly_digest,
    )


def build_dispatcher(
    services: Services,
    storage: BaseStorage,
    isolation: BaseEventIsolation,
    seen: SeenUpdates,
    flood: FloodControl | None = None,
) -> Dispatcher:
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp.update.outer_middleware(DedupeMiddleware(seen))
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
    db = Database.from_url(settings.database_url)
    ctx = Context.create(db, service_config(settings, username), clock)
    services = Services(ctx)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    storage: BaseStorage
    isolation: BaseEventIsolation
    seen: SeenUpdates
    signal: OutboxSignal | None = None
    if redis is not None:
        # Several processes: conversations, per-chat locks, handled updates and the sending
        # limits live in Redis, and a commit anywhere wakes every sender.
        keys = DefaultKeyBuilder(with_destiny=True, prefix="cpbot:fsm")
        storage = RedisStorage(redis, key_builder=keys)
        # A chat's lock lapses after 30 s if the replica holding it died: the redelivered
        # update must get its turn within aiogram's webhook answer window (55 s), past which
        # aiogram answers Telegram early and goes on in the background — no longer
        # "answered only after handling".
        isolation = RedisEventIsolation(redis, key_builder=keys, lock_kwargs={"timeout": 30})
        seen = RedisSeenUpdates(redis)
        limiter = limiter or RedisLimiter(
            redis, settings.rate_per_second, settings.group_per_minute
        )
        signal = OutboxSignal(redis)
    else:
        storage = DatabaseStorage(services.conversations)
        isolation = SimpleEventIsolation()
        seen = MemorySeenUpdates()
        limiter = limiter or MemoryLimiter(
            rate=settings.rate_per_second, group_per_minute=settings.group_per_minute
        )
    bot.session.middleware(RateLimitMiddleware(limiter))
    dp = build_dispatcher(services, storage, isolation, seen, flood)
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{id(bot):x}"
    sender = OutboxSender(
        services.outbox(worker_id),
        bot,
        concurrency=max(32, settings.rate_per_second * 2),
        poll_seconds=settings.outbox_poll_seconds,
    )
    db.on_outbox_commit(sender.wake)
    if signal is not None:
        db.on_outbox_commit(signal.publish)
    return App(settings, db, services, bot, dp, sender, limiter, redis, signal)
