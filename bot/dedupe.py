"""Updates already handled are skipped: Telegram redelivers after a timeout or a failed answer.

An update counts as handled only once its handler returned, so a crash or an error mid-way
leaves it open for the redelivery. The database's unique source keys stay the real guarantee;
this keeps redeliveries cheap and quiet.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

Seen = Literal["new", "done", "busy"]


class UpdateInHand(Exception):
    """Another process is handling this update right now: answer with an error so Telegram
    delivers it again later, rather than acknowledging what may still fail."""


class SeenUpdates(Protocol):
    async def begin(self, update_id: int) -> Seen:
        """ "new" if this process may handle the update now; "done" if it was handled;
        "busy" if it is in hand elsewhere."""

    async def done(self, update_id: int) -> None: ...

    async def failed(self, update_id: int) -> None: ...


class MemorySeenUpdates:
    def __init__(self, ttl: float = 3600, max_size: int = 200_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._seen: OrderedDict[int, float] = OrderedDict()
        self._busy: set[int] = set()

    async def begin(self, update_id: int) -> Seen:
        self._expire()
        if update_id in self._seen:
            return "done"
        if update_id in self._busy:
            return "busy"
        self._busy.add(update_id)
        return "new"

    async def done(self, update_id: int) -> None:
        self._busy.discard(update_id)
        self._seen[update_id] = time.monotonic() + self.ttl

    async def failed(self, update_id: int) -> None:
        self._busy.discard(update_id)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._seen and (
            len(self._seen) > self.max_size or next(iter(self._seen.values())) < now
        ):
            self._seen.popitem(last=False)


class DedupeMiddleware(BaseMiddleware):
    def __init__(self, seen: SeenUpdates) -> None:
        self.seen = seen

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        seen = await self.seen.begin(event.update_id)
        if seen == "done":
            return None
        if seen == "busy":
            raise UpdateInHand(event.update_id)
        try:
            result = await handler(event, data)
        except BaseException:
            await self.seen.failed(event.update_id)
            raise
        await self.seen.done(event.update_id)
        return result
