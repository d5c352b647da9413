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
import io
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError

log = logging.getLogger(__name__)

LOCK_TTL = 15.0  # seconds a dead holder's lock outlives it, at most
LONG_HOLD = 30.0  # a hold or a wait this long is logged once, with where the holder waits

# Watchdogs told to stop, kept referenced until they have (see ``held``).
_stopping: set[asyncio.Task[None]] = set()


async def _renew(
    lock: Lock, every: float, released: asyncio.Event, holder: asyncio.Task[object] | None
) -> None:
    """Renew ``lock`` every ``every`` seconds until ``released`` is set. It stops on the flag,
    not on cancellation alone: on Python 3.11 a cancellation that lands as a Redis reply
    arrives can be lost inside the client (``asyncio.wait_for``), and a watchdog that missed
    its cancel renewed its lock for ever — its chat stalled for good (seen in the replica
    test: the holder waiting on its watchdog, the watchdog renewing)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    told = False
    while True:
        await asyncio.sleep(every)
        if released.is_set():
            return
        held_for = loop.time() - started
        if not told and held_for > LONG_HOLD and holder is not None:
            told = True  # a chat stalled behind one update: say where that update waits
            stack = io.StringIO()
            holder.print_stack(limit=30, file=stack)
            log.warning(
                "chat lock %s held for %.0f s; the holder:\n%s",
                lock.name,
                held_for,
                stack.getvalue(),
            )
        try:
            await lock.reacquire()  # the TTL starts again at the full ``ttl``
        except LockNotOwnedError:
            if not released.is_set():
                log.warning("a chat lock lapsed while held (the event loop stalled); carrying on")
            return
        except Exception as exc:  # a Redis hiccup: try again at the next beat
            log.warning("renewing a chat lock failed: %s", type(exc).__name__)


@contextlib.asynccontextmanager
async def held(redis: Redis, name: str, ttl: float = LOCK_TTL) -> AsyncIterator[None]:
    """Hold ``name`` for the block, renewing it; waits (polling every 50 ms) while another
    holder has it."""
    lock = redis.lock(name, timeout=ttl, sleep=0.05)
    loop = asyncio.get_running_loop()
    asked = loop.time()
    await lock.acquire()
    if (waited := loop.time() - asked) > LONG_HOLD:
        log.warning("waited %.0f s for chat lock %s", waited, name)
    released = asyncio.Event()
    watchdog = asyncio.create_task(_renew(lock, ttl / 5, released, asyncio.current_task()))
    try:
        yield
    finally:
        # Never wait for the watchdog: it stops at its next beat (the flag), or at once if
        # the cancel reaches it; a renewal still in flight after the release finds the lock
        # not its own and stops.
        released.set()
        watchdog.cancel()
        _stopping.add(watchdog)
        watchdog.add_done_callback(_stopping.discard)
        with contextlib.suppress(LockError):
            await lock.release()
