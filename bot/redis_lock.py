"""A Redis lock that dies with its holder: a short TTL, renewed while the lock is held.

A chat's lock (one update of a person at a time, across replicas) used to live 30 s: a replica
killed while holding it stalled that chat's next update for the rest of the 30 s. Here the key
lives ``ttl`` seconds and a watchdog renews it every ``ttl / 5`` while its holder runs, so a
dead holder's lock lapses within ``ttl`` while a live one keeps it however long the update
takes (an event loop stalled for longer than ``ttl * 4 / 5`` would lose it; the watchdog logs
that).

Kept free of aiogram so a test's child process can hold one cheaply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError

log = logging.getLogger(__name__)

LOCK_TTL = 15.0  # seconds a dead holder's lock outlives it, at most


async def _renew(lock: Lock, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await lock.reacquire()  # the TTL starts again at the full ``ttl``
        except LockNotOwnedError:
            log.warning("a chat lock lapsed while held (the event loop stalled); carrying on")
            return
        except Exception as exc:  # a Redis hiccup: try again at the next beat
            log.warning("renewing a chat lock failed: %s", type(exc).__name__)


@contextlib.asynccontextmanager
async def held(redis: Redis, name: str, ttl: float = LOCK_TTL) -> AsyncIterator[None]:
    """Hold ``name`` for the block, renewing it; waits (polling every 50 ms) while another
    holder has it."""
    lock = redis.lock(name, timeout=ttl, sleep=0.05)
    await lock.acquire()
    watchdog = asyncio.create_task(_renew(lock, ttl / 5))
    try:
        yield
    finally:
        watchdog.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watchdog
        with contextlib.suppress(LockError):
            await lock.release()
