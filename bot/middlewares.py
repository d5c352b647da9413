"""Lookups before a handler runs: the services, the person acting, and their language; and
one database session per update (``UnitDispatcher``, ``ReleaseReads``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Chat, TelegramObject, Update, User

from models.db import Database, release_reads
from services.app import Services
from services.texts import Translator


class UnitDispatcher(Dispatcher):
    """Every update is handled in one database unit (``Database.unit``): the step's read, the
    handler's reads and its write share one session — opened here, around aiogram's own FSM
    middleware, which reads the step first."""

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unit_db = db

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        async with self.unit_db.unit():
            return await super().feed_update(bot, update, **kwargs)


class ReleaseReads(BaseRequestMiddleware):
    """An update's reads end before any Telegram request it makes: no connection or snapshot
    is held while Telegram answers."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        await release_reads()
        return await make_request(bot, method)


class ActorMiddleware(BaseMiddleware):
    """Injects ``services``, ``actor`` (who is acting) and ``t`` (their language)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["services"] = self.services
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is not None and not user.is_bot:
            actor = await self.services.people.actor(
                tg_id=user.id,
                chat_id=chat.id if chat and chat.type == "private" else user.id,
                name=user.full_name,
                language_code=user.language_code,
            )
            data["actor"] = actor
            data["t"] = Translator(self.services.texts, actor.locale)
        else:
            data["t"] = Translator(self.services.texts, self.services.ctx.config.default_locale)
        return await handler(event, data)
