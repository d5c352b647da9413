"""How long a killed replica stalls one of its chats: the chat's Redis lock is held by a child
process, the child is killed (SIGKILL) a second later, and we time how long until another
holder gets the lock. "before": aiogram's RedisEventIsolation as configured until issue 18
(a 30 s lock, never renewed); "after": ``bot/redis_lock.held`` (5 s, renewed while held).

    CPBOT_TEST_REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/chat_lock_stall.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.redis_lock import held  # noqa: E402

HOLDER = """
import asyncio, sys
from redis.asyncio import Redis
from bot.redis_lock import held

async def main():
    redis = Redis.from_url(sys.argv[1])
    if sys.argv[3] == "before":
        lock = redis.lock(sys.argv[2], timeout=30)
        await lock.acquire()
    else:
        holding = held(redis, sys.argv[2])
        await holding.__aenter__()
    print("held", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def stall(url: str, mode: str) -> float:
    redis = Redis.from_url(url)
    name = f"cpbot:bench:lock:{mode}"
    await redis.delete(name)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, url, name, mode,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    await child.stdout.readline()
    await asyncio.sleep(1.0)
    child.send_signal(signal.SIGKILL)
    await child.wait()
    killed = time.monotonic()
    async with held(redis, name):
        waited = time.monotonic() - killed
    await redis.aclose()
    return waited


async def main() -> None:
    url = os.environ.get("CPBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    for mode in ("before", "after"):
        print(f"{mode}: the chat waited {await stall(url, mode):.1f} s after its holder died")


if __name__ == "__main__":
    asyncio.run(main())
