"""Lookups before a handler runs: the services, the person acting, and their language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from services.app import Services
from services.texts import Translator


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
