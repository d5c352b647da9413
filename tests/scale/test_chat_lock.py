"""A chat's lock dies with its holder (issue 18): a killed replica stalled its chats for 30 s."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.lock import Lock

from bot.redis_lock import LOCK_TTL, held

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import asyncio, sys
from redis.asyncio import Redis
from bot.redis_lock import held

async def main():
    async with held(Redis.from_url(sys.argv[1]), sys.argv[2]):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_killed_holder_stalls_its_chat_for_the_short_ttl_only(redis: Redis) -> None:
    name = "cpbot:test:lock:chat42"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        os.environ["CPBOT_TEST_REDIS_URL"],
        name,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert (await asyncio.wait_for(child.stdout.readline(), 60)).strip() == b"held"
        # Alive, the holder keeps its lock past the TTL: the watchdog renews it.
        rival = redis.lock(name, timeout=LOCK_TTL, sleep=0.05, blocking_timeout=LOCK_TTL * 1.5)
        assert not await rival.acquire()
        child.send_signal(signal.SIGKILL)
        await child.wait()
        killed = time.monotonic()
        async with held(redis, name):
            stall = time.monotonic() - killed
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert stall <= LOCK_TTL + 1.0, f"the chat waited {stall:.1f} s after its holder died"


async def test_a_live_holder_keeps_its_chat_however_long_it_takes(redis: Redis) -> None:
    name = "cpbot:test:lock:chat43"
    order: list[str] = []

    async def update(label: str, seconds: float) -> None:
        async with held(redis, name, ttl=0.5):
            order.append(f"{label} in")
            await asyncio.sleep(seconds)
            order.append(f"{label} out")

    first = asyncio.create_task(update("a", 1.5))  # three times the TTL
    await asyncio.sleep(0.1)
    await asyncio.gather(first, update("b", 0))
    assert order == ["a in", "a out", "b in", "b out"]


async def test_a_lost_cancel_does_not_keep_the_lock_for_ever(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Python 3.11 a cancellation landing as a Redis reply arrives can be lost inside the
    client; the watchdog then missed its cancel and renewed the lock for ever, and its holder
    waited for it: the chat stalled for good (seen in the replica test)."""
    real = Lock.reacquire
    renewing = asyncio.Event()

    async def loses_its_cancel(self: Lock) -> bool:
        renewing.set()
        # The reply comes with the cancel: asyncio.wait_for returns the reply, the cancel
        # is gone.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.3)
        return await real(self)

    monkeypatch.setattr(Lock, "reacquire", loses_its_cancel)
    name = "cpbot:test:lock:chat43"

    async def hold() -> None:
        async with held(redis, name, ttl=0.5):
            await renewing.wait()  # released while a renewal is on its way

    holder = asyncio.create_task(hold())
    await asyncio.wait({holder}, timeout=5)  # no cancel from outside: it must end by itself
    if not holder.done():
        holder.cancel()
        raise AssertionError("the holder waits for a watchdog that never stops")
    await asyncio.sleep(1.5)  # three of the watchdog's beats: it must have stopped
    assert not await redis.exists(name)
    # And the chat is free at once for its next update.
    async with held(redis, name, ttl=0.5):
        pass
