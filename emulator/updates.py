"""One bot's queue of updates: numbering, confirmation, long polling, and what was delivered twice.

Updates stay queued until confirmed: by a later getUpdates offset in polling mode, or by a 2xx
answer to their webhook delivery. Both modes read the same queue, so switching from polling to a
webhook (or back) loses nothing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from emulator.counters import Counters

# Telegram's default when allowed_updates is empty: everything but these three.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(slots=True, eq=False)
class Update:
    update_id: int
    kind: str
    payload: dict[str, Any]
    # Updates sharing a key are delivered to a webhook one after another, in order.
    chat_key: int | str
    acked: bool = False
    served: bool = False  # returned by getUpdates at least once
    reached_bot: bool = False  # a webhook delivery may have been processed
    attempts: int = 0

    def to_api(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


class PollSuperseded(Exception):
    """A newer getUpdates request took over from a waiting one."""


class UpdateQueue:
    def __init__(self, counters: Counters, first_update_id: int = 1) -> None:
        self._counters = counters
        self._next_id = first_update_id
        self._items: deque[Update] = deque()
        self._pending = 0
        self.allowed: frozenset[str] | None = None
        self._poller: asyncio.Future[bool] | None = None
        # The webhook deliverer listens here while a webhook is set.
        self.on_push: Callable[[Update], None] | None = None

    @property
    def pending_count(self) -> int:
        return self._pending

    def set_allowed(self, kinds: Iterable[str] | None) -> None:
        """Remember which kinds the bot asked for; an empty list means the default set."""
        if kinds is None:
            return
        wanted = frozenset(kinds)
        self.allowed = wanted or None

    def accepts(self, kind: str) -> bool:
        if self.allowed is None:
            return kind not in OPT_IN_UPDATES
        return kind in self.allowed

    def push(self, kind: str, payload: dict[str, Any], chat_key: int | str) -> Update | None:
        """Queue an update, unless the bot did not ask for its kind (then None)."""
        if not self.accepts(kind):
            return None
        update = Update(self._next_id, kind, payload, chat_key)
        self._next_id += 1
        self._items.append(update)
        self._pending += 1
        self._counters.updates_created += 1
        if self.on_push is not None:
            self.on_push(update)
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(True)
        return update

    def pending(self) -> list[Update]:
        return [u for u in self._items if not u.acked]

    def ack(self, update: Update) -> None:
        if not update.acked:
            update.acked = True
            self._pending -= 1
        while self._items and self._items[0].acked:
            self._items.popleft()

    def confirm(self, offset: int) -> None:
        """getUpdates semantics: every update below ``offset`` is confirmed.

        A negative offset keeps only the last ``-offset`` updates, as on Telegram.
        """
        if offset < 0:
            keep = -offset
            live = self.pending()
            for update in live[: max(0, len(live) - keep)]:
                self.ack(update)
            return
        while self._items and self._items[0].update_id < offset:
            self.ack(self._items[0])

    def take(self, offset: int, limit: int) -> list[Update]:
        batch: list[Update] = []
        for update in self._items:
            if len(batch) >= limit:
                break
            if update.acked or update.update_id < offset:
                continue
            if update.served:
                self._counters.duplicate_deliveries += 1
            update.served = True
            batch.append(update)
        return batch

    def drop_pending(self) -> None:
        for update in self._items:
            if not update.acked:
                update.acked = True
        self._items.clear()
        self._pending = 0

    async def wait(self, seconds: float) -> None:
        """Wait for a new update at most ``seconds``; raises PollSuperseded if another poll came."""
        self.supersede()
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._poller = waiter
        try:
            await asyncio.wait_for(asyncio.shield(waiter), seconds)
        except TimeoutError:
            return
        finally:
            if self._poller is waiter:
                self._poller = None
        if not waiter.result():
            raise PollSuperseded

    def supersede(self) -> None:
        """End a waiting getUpdates (a newer one arrived, a webhook was set, or shutdown)."""
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(False)
