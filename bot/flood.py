"""Flood control per person: it slows, it never drops.

Each person has a bucket of ``burst`` updates refilled at ``rate`` a second. Past it, the update
waits for its turn — and since one person's updates are handled in order, the rest queue
behind it — and the person is told once that their messages are being worked through. Every
message still reaches its case.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, User

from bot.intake import slot_released
from services.texts import Translator


class FloodControl(BaseMiddleware):
    def __init__(
        self,
        rate: float = 0.5,
        burst: int = 12,
        notice_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.notice_every = notice_every
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}
        self._noticed: dict[int, float] = {}

    def delay(self, user_id: int) -> float:
        """Take a token for this person; how long they must wait for it (0 if none)."""
        now = self.clock()
        tokens, last = self._buckets.get(user_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate) - 1
        self._buckets[user_id] = (tokens, now)
        if len(self._buckets) > 50_000:
            self._forget_idle(now)
        return 0.0 if tokens >= 0 else -tokens / self.rate

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            wait = self.delay(user.id)
            if wait > 0:
                await self._tell(user.id, data)
                async with slot_released():  # waiting takes no intake slot from others
                    await asyncio.sleep(wait)
        return await handler(event, data)

    async def _tell(self, user_id: int, data: dict[str, Any]) -> None:
        now = self.clock()
        if now - self._noticed.get(user_id, -1e9) < self.notice_every:
            return
        self._noticed[user_id] = now
        bot: Bot | None = data.get("bot")
        t: Translator | None = data.get("t")
        if bot is not None and t is not None:
            await bot.send_message(user_id, t("flood.slow_down"))

    def _forget_idle(self, now: float) -> None:
        full = self.burst / self.rate
        for user_id in [u for u, (_, last) in self._buckets.items() if now - last > full]:
            self._buckets.pop(user_id, None)
            self._noticed.pop(user_id, None)
