"""Each button press answered once and acted on once, across restarts and replicas (issue 18).

Two places use the press book: the bot session's request middleware (``bot/limits.py``) asks it
before sending an answerCallbackQuery — a press answered before, by this process or by one that
died or by another replica, is not answered again (the caller hears False and says it as a
message if it had something to say) — and :class:`PressMiddleware` asks it before an update
with a press is handled: one handled before is skipped. The records live in the database
(``services/presses.py``); this process's own recent answers are remembered in front of it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.exc import SQLAlchemyError

from services.errors import Refusal
from services.presses import Presses

log = logging.getLogger(__name__)

KEPT = 10_000  # presses remembered in memory


class PressBook(Protocol):
    async def claim(self, query_id: str) -> bool:
        """True if the press may be answered now (nobody answered it before)."""

    async def release(self, query_id: str) -> None:
        """The answer was not sent after all."""

    async def handled(self, query_id: str) -> bool:
        """The press's handler finished before."""

    async def done(self, query_id: str) -> None:
        """The press's handler has finished."""

    def handling(self, query_id: str) -> AbstractContextManager[None]:
        """Around the handling of the press (before :meth:`done`): a book that can may record
        it as handled in the update's own write once its handler has finished."""


class _Recent:
    """A bounded memory of query ids, oldest forgotten first."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, query_id: str) -> bool:
        return query_id in self._ids

    def add(self, query_id: str) -> None:
        self._ids[query_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)

    def discard(self, query_id: str) -> None:
        self._ids.pop(query_id, None)


class MemoryPresses:
    """This process only (a session without a database: tests of the limits)."""

    def __init__(self, size: int = KEPT) -> None:
        self._answered = _Recent(size)
        self._handled = _Recent(size)

    async def claim(self, query_id: str) -> bool:
        if query_id in self._answered:
            return False
        self._answered.add(query_id)
        return True

    async def release(self, query_id: str) -> None:
        self._answered.discard(query_id)

    async def handled(self, query_id: str) -> bool:
        return query_id in self._handled

    async def done(self, query_id: str) -> None:
        self._handled.add(query_id)

    def handling(self, query_id: str) -> AbstractContextManager[None]:
        return nullcontext()


class StoredPresses(MemoryPresses):
    """The database's record, shared by every process, behind this process's memory. With the
    database unreachable a press is still answered (once, as far as this process knows) and
    handled: an answer too many is better than a button that spins."""

    def __init__(self, presses: Presses, size: int = KEPT) -> None:
        super().__init__(size)
        self.presses = presses

    async def claim(self, query_id: str) -> bool:
        if not await super().claim(query_id):
            return False
        try:
            return await self.presses.claim(query_id)
        except (SQLAlchemyError, OSError):
            log.warning("a button press could not be recorded as answered")
            return True

    async def release(self, query_id: str) -> None:
        await super().release(query_id)
        try:
            await self.presses.release(query_id)
        except (SQLAlchemyError, OSError):
            log.warning("a button press could not be recorded as unanswered")

    async def handled(self, query_id: str) -> bool:
        return await super().handled(query_id) or await self.presses.handled(query_id)

    def handling(self, query_id: str) -> AbstractContextManager[None]:
        return self.presses.handling(query_id)

    async def done(self, query_id: str) -> None:
        """Usually written already, with the step the handler changed (its write carries the
        mark: services/presses.py); otherwise in a write of its own."""
        await super().done(query_id)
        try:
            await self.presses.done(query_id)
        except (SQLAlchemyError, OSError):
            # The work is done; only a redelivery after a restart would not know it.
            log.warning("a button press could not be recorded as handled")


class PressMiddleware(BaseMiddleware):
    """An update with a press handled before (by this process, one that restarted, or another
    replica) is skipped: neither answered nor acted on again. A press counts as handled once
    its handler returned, or refused (a refusal is an answer); one that failed half-way is
    handled again when it comes back, without a second answer."""

    def __init__(self, book: PressBook) -> None:
        self.book = book

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update) or event.callback_query is None:
            return await handler(event, data)
        query = event.callback_query
        if await self.book.handled(query.id):
            log.info("update %s: a button press handled before, skipped", event.update_id)
            return None
        with self.book.handling(query.id):
            try:
                result = await handler(event, data)
            except Refusal:
                await self.book.done(query.id)
                raise
            await self.book.done(query.id)
        return result
