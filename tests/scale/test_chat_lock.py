"""A chat's lock dies with its holder (issue 18): a killed replica stalled its chats for 30 s."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from redis.asyncio import Redis

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
