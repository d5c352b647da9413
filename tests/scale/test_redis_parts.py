"""What replicas share through Redis: the sending limits, handled updates, the outbox signal."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from bot.redis_parts import OutboxSignal, RedisLimiter, RedisSeenUpdates


async def test_two_senders_together_keep_the_bot_wide_rate(redis: Redis) -> None:
    a, b = RedisLimiter(redis, rate=20), RedisLimiter(redis, rate=20)
    stamps: list[float] = []

    async def send(limiter: RedisLimiter, chat: int) -> None:
        await limiter.acquire(chat)
        stamps.append(time.monotonic())

    await asyncio.gather(*(send(a if n % 2 else b, 1000 + n) for n in range(50)))
    stamps.sort()
    worst = max(sum(1 for s in stamps if start <= s < start + 1.0) for start in stamps)
    assert worst <= 20 + 1  # the window is Redis's clock; allow one for scheduling jitter
    assert stamps[-1] - stamps[0] >= 1.0  # 50 at 20/s can't all go at once


async def test_one_chat_gets_one_message_a_second(redis: Redis) -> None:
    a, b = RedisLimiter(redis, rate=100), RedisLimiter(redis, rate=100)
    start = time.monotonic()
    await asyncio.gather(a.acquire(42), b.acquire(42), a.acquire(42))
    assert time.monotonic() - start >= 2.0  # three to one person: two intervals at least


async def test_a_pause_holds_every_sender(redis: Redis) -> None:
    a, b = RedisLimiter(redis, rate=100), RedisLimiter(redis, rate=100)
    await a.pause(1.0)
    start = time.monotonic()
    await b.acquire(7)
    assert time.monotonic() - start >= 0.9


async def test_handled_updates_are_shared(redis: Redis) -> None:
    first, second = RedisSeenUpdates(redis), RedisSeenUpdates(redis)
    assert await first.begin(1) == "new"
    assert await second.begin(1) == "busy"  # in hand elsewhere: deliver it again later
    await first.failed(1)
    assert await second.begin(1) == "new"  # the failure released it
    await second.done(1)
    assert await first.begin(1) == "done"


async def test_a_replica_that_died_mid_update_lets_it_go(redis: Redis) -> None:
    seen = RedisSeenUpdates(redis, busy_ttl=1)
    assert await seen.begin(9) == "new"
    await asyncio.sleep(1.2)
    assert await RedisSeenUpdates(redis).begin(9) == "new"


async def test_a_commit_anywhere_wakes_every_sender(redis: Redis) -> None:
    signal = OutboxSignal(redis)
    woken = asyncio.Event()
    stop = asyncio.Event()
    listener = asyncio.create_task(signal.listen(woken.set, stop))
    await asyncio.sleep(0.3)  # subscribed
    signal.publish()
    await asyncio.wait_for(woken.wait(), 5)
    stop.set()
    await listener


async def test_a_group_slot_counts_from_the_answer(redis: Redis) -> None:
    """A group's window starts when the answer came back, not when the request left."""
    limiter = RedisLimiter(redis, rate=100, group_per_minute=1, group_window=1.0)
    start = time.monotonic()
    await limiter.acquire(-77)
    await asyncio.sleep(0.5)  # a slow request
    await limiter.sent(-77)
    await limiter.acquire(-77)
    assert time.monotonic() - start >= 1.45  # half a second of request, then the window
