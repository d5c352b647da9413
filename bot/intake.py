"""Long polling with a bounded number of updates in hand.

aiogram's polling starts a task for every update it fetches; under overload hundreds wait for
the database pool, time out, and the update is gone. Here at most ``concurrency`` updates are
being handled at once, and at most ``backlog`` are held in memory at all: past that nothing
more is fetched, so the rest wait in Telegram's queue, where they are safe. Each chat's
updates are handled one after another in the order Telegram sent them **(invariant)**; a chat
waiting for its turn holds no slot, so one busy chat never stalls the others.

Stopping: nothing new is fetched; what was fetched is handled and answered; the last batch is
then confirmed to Telegram so a restart does not get it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update

from models.db import release_reads

log = logging.getLogger(__name__)
POLL_SECONDS = 25
CONFIRM_SECONDS = 2
_SLOT: ContextVar[asyncio.Semaphore | None] = ContextVar("intake_slot", default=None)


@asynccontextmanager
async def slot_released() -> AsyncIterator[None]:
    """Give the update's slot to another chat while this one only waits (flood control)."""
    await release_reads()  # nor its database connection
    slots = _SLOT.get()
    if slots is None:
        yield
        return
    slots.release()
    try:
        yield
    finally:
        await slots.acquire()


def chat_key(update: Update) -> Hashable:
    context = UserContextMiddleware.resolve_event_context(update)
    if context.chat is None and context.user is None:
        return ("update", update.update_id)
    return (
        context.chat.id if context.chat else None,
        context.user.id if context.user else None,
        context.thread_id,
    )


class BoundedPolling:
    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        *,
        concurrency: int,
        backlog: int | None = None,
        allowed_updates: list[str] | None = None,
        poll_seconds: int = POLL_SECONDS,
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.slots = asyncio.Semaphore(concurrency)
        self.backlog = max(backlog or concurrency * 4, 1)
        self.allowed_updates = allowed_updates
        self.poll_seconds = poll_seconds
        self.pending = 0  # fetched and not yet handled
        self.offset: int | None = None
        self.confirmed: int | None = None
        self._room = asyncio.Event()
        self._room.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._chats: dict[Hashable, deque[Update]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and hand out updates until ``stop``; then finish those in hand."""
        delay = 1.0
        stopped = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                if self.pending >= self.backlog:
                    self._room.clear()
                    room = asyncio.create_task(self._room.wait())
                    await asyncio.wait({room, stopped}, return_when=asyncio.FIRST_COMPLETED)
                    room.cancel()
                    continue
                fetch = asyncio.create_task(self._fetch(min(100, self.backlog - self.pending)))
                await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()  # not confirmed: Telegram keeps them for the next start
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await fetch
                    break
                try:
                    updates = fetch.result()
                except Exception as exc:
                    log.warning(
                        "getUpdates failed (%s); retrying in %.0fs", type(exc).__name__, delay
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    delay = min(delay * 2, 30)
                    continue
                delay = 1.0
                self.confirmed = self.offset
                for update in updates:
                    self.offset = update.update_id + 1
                    self._take(update)
        finally:
            stopped.cancel()
            await self.finish()

    async def finish(self) -> None:
        """Handle what was fetched, then confirm it so a restart does not fetch it again."""
        if self.pending:
            log.info("stopping: finishing %d updates in hand", self.pending)
        await self._idle.wait()
        if self.offset is not None and self.offset != self.confirmed:
            # Best effort, briefly: stopping never waits on Telegram (at worst the last batch
            # comes again after a restart, and handling it again is harmless).
            confirm = GetUpdates(offset=self.offset, limit=1, timeout=0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.bot(confirm, request_timeout=CONFIRM_SECONDS), 3)
                self.confirmed = self.offset

    async def _fetch(self, limit: int) -> list[Update]:
        method = GetUpdates(
            offset=self.offset,
            limit=limit,
            timeout=self.poll_seconds,
            allowed_updates=self.allowed_updates,
        )
        timeout = int((self.bot.session.timeout or 60) + self.poll_seconds)
        return await self.bot(method, request_timeout=timeout)

    def _take(self, update: Update) -> None:
        self.pending += 1
        self._idle.clear()
        key = chat_key(update)
        queue = self._chats.get(key)
        if queue is not None:
            queue.append(update)  # its chat's worker takes it in turn
            return
        self._chats[key] = deque([update])
        worker = asyncio.create_task(self._work(key), name=f"chat-{hash(key) & 0xFFFF:x}")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _work(self, key: Hashable) -> None:
        queue = self._chats[key]
        _SLOT.set(self.slots)
        try:
            while queue:
                async with self.slots:
                    await self._handle(queue[0])
                queue.popleft()
                self.pending -= 1
                self._room.set()
        finally:
            del self._chats[key]
            if self.pending == 0:
                self._idle.set()

    async def _handle(self, update: Update) -> None:
        try:
            result: Any = await self.dp.feed_update(self.bot, update)
            if isinstance(result, TelegramMethod):
                await self.dp.silent_call_request(self.bot, result)
        except Exception as exc:
            log.error(
                "handling update %s failed: %s",
                update.update_id,
                type(exc).__name__,
                exc_info=exc,
            )
