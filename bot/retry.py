"""An update whose handling failed for a passing reason (the pool's wait ran out, SQLite was
locked, a connection broke) is handled again, a few times with growing pauses; it is never
silently dropped. If it still fails, a webhook answers 503 so Telegram delivers it again; with
polling, where Telegram will not, the person is told to send it again.

Handling an update again is harmless by design: the use cases are idempotent (unique source
keys), and a step is written only when its handler finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Chat, TelegramObject, Update

from bot.dedupe import UpdateInHand
from bot.intake import slot_released
from models.db import is_transient
from services.texts import Translator

log = logging.getLogger(__name__)
PAUSES = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0)


class TryLater(UpdateInHand):
    """Still failing after the retries: the webhook answers 503 and Telegram redelivers."""


class RetryTransient(BaseMiddleware):
    def __init__(self, pauses: Sequence[float] = PAUSES) -> None:
        self.pauses = tuple(pauses)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update_id = event.update_id if isinstance(event, Update) else None
        for pause in (*self.pauses, None):
            try:
                return await handler(event, data)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if pause is None:
                    log.error("update %s: still failing (%s)", update_id, type(exc).__name__)
                    break
                log.warning(
                    "update %s: %s, handling it again in %.2fs",
                    update_id,
                    type(exc).__name__,
                    pause,
                )
                async with slot_released():
                    await asyncio.sleep(pause * (1 + random.random()))
        if data.get("redeliverable"):
            raise TryLater(update_id)
        await self._ask_again(data)
        return None

    @staticmethod
    async def _ask_again(data: dict[str, Any]) -> None:
        bot: Bot | None = data.get("bot")
        chat: Chat | None = data.get("event_chat")
        t: Translator | None = data.get("t")
        if t is None:
            services = data.get("services")
            if services is None:
                return
            t = Translator(services.texts, services.ctx.config.default_locale)
        if bot is not None and chat is not None:
            with contextlib.suppress(Exception):
                await bot.send_message(chat.id, t("intake.try_again"))
