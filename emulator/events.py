"""A fan-out of what happens in any chat, for the web page's live view."""

from __future__ import annotations

import asyncio
from typing import Any

_QUEUE_SIZE = 2000


class EventBus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any] | None]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, kind: str, **data: Any) -> None:
        if not self._queues:
            return
        event = {"type": kind, **data}
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A page that stopped reading is cut off rather than let grow without bound;
                # it reconnects and reloads its history.
                self._queues.discard(queue)
                queue.get_nowait()
                queue.put_nowait(None)

    def subscribe(self) -> Subscription:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(_QUEUE_SIZE)
        self._queues.add(queue)
        return Subscription(self, queue)

    def _unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._queues.discard(queue)

    def close(self) -> None:
        """End every subscription (server shutdown)."""
        for queue in list(self._queues):
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(None)
        self._queues.clear()


class Subscription:
    """One reader's events; ``next`` returns None once the bus closed it."""

    def __init__(self, bus: EventBus, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._bus = bus
        self._queue = queue

    async def next(self, within: float) -> dict[str, Any] | None:
        """The next event; raises TimeoutError when none came within ``within`` seconds."""
        return await asyncio.wait_for(self._queue.get(), within)

    def close(self) -> None:
        self._bus._unsubscribe(self._queue)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
