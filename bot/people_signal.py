"""With several processes (Redis configured), a change to people, roles or points committed in
one process drops every process's cached people at once: a commit publishes on Redis, and
every process listens (``Database.people_changed``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis

from models.db import Database

log = logging.getLogger(__name__)
PEOPLE_CHANNEL = "cpbot:people_changed"


class PeopleSignal:
    def __init__(self, redis: Redis, db: Database) -> None:
        self.redis = redis
        self.db = db
        self._pending: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Task[None] | None = None

    def publish(self) -> None:
        """Called after a commit that changed people (synchronously): tell the others."""
        task = asyncio.get_running_loop().create_task(self._publish())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self) -> None:
        try:
            await self.redis.publish(PEOPLE_CHANNEL, "1")
        except Exception:
            log.warning("people signal: Redis unreachable; other processes' caches lapse in 30 s")

    def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(
                self._listen(), name="people-signal"
            )

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self.redis.pubsub()
                await pubsub.subscribe(PEOPLE_CHANNEL)
                self.db.people_changed()  # anything missed while not subscribed
                try:
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=1.0
                        )
                        if message is not None:
                            self.db.people_changed()
                finally:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("people signal: Redis unreachable; cached people lapse in 30 s")
                self.db.people_changed()
                await asyncio.sleep(1)
