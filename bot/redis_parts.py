"""What several processes share through Redis: conversations and their per-chat locks
(aiogram's RedisStorage and RedisEventIsolation), which updates were handled, Telegram's
sending limits, and the signal that wakes every outbox sender when rows are committed.

Without Redis one process keeps all of these in memory (``bot/dedupe.py``, ``bot/limits.py``,
``bot/fsm.py``); several processes must share them, so Redis is then required.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from bot.dedupe import Seen

log = logging.getLogger(__name__)

PREFIX = "cpbot"
OUTBOX_CHANNEL = f"{PREFIX}:outbox"

# One call decides, atomically on Redis's clock, whether ``count`` messages to one chat may go
# now: the chat's own window (1 a second for a person, 20 a minute for a group), the bot-wide
# window of one second, and a tenth of that budget in any 100 ms (so a start or the end of a
# pause does not send a second's worth in one bunch). It answers 0 and records them, or how
# many ms to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return paused - now end
local rate, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local chat_limit, chat_window = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - chat_window)
if redis.call('ZCARD', KEYS[2]) + n > chat_limit then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + chat_window - now + 1
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1000)
if redis.call('ZCARD', KEYS[1]) + n > rate then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + 1000 - now + 1
end
local burst = math.max(n, tonumber(ARGV[6]))
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 100)
if redis.call('ZCARD', KEYS[4]) + n > burst then
  local oldest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + 100 - now + 1
end
for i = 1, n do
  local member = ARGV[5] .. ':' .. i
  redis.call('ZADD', KEYS[1], now, member)
  redis.call('ZADD', KEYS[2], now, member)
  redis.call('ZADD', KEYS[4], now, member)
end
redis.call('PEXPIRE', KEYS[1], 2000)
redis.call('PEXPIRE', KEYS[4], 1000)
redis.call('PEXPIRE', KEYS[2], chat_window + 1000)
return 0
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current then redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1])) end
return until_ms
"""


_SENT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('DEL', KEYS[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
return now
"""


class RedisLimiter:
    """Telegram's limits for every sender of the bot, wherever it runs."""

    def __init__(
        self, redis: Redis, rate: int = 25, group_per_minute: int = 20, chat_interval: float = 1.05
    ) -> None:
        self.redis = redis
        self.rate = rate
        self.group_per_minute = group_per_minute
        self.chat_interval = chat_interval
        self._acquire = redis.register_script(_ACQUIRE)
        self._pause = redis.register_script(_PAUSE)
        self._sent = redis.register_script(_SENT)

    async def acquire(self, chat_id: int, count: int = 1) -> None:
        if chat_id < 0:
            limit, window = self.group_per_minute, 60_000
        else:
            # A person: one message per interval; an album of n takes n intervals.
            limit, window = count, int(self.chat_interval * 1000 * count)
        keys = [
            f"{PREFIX}:rate:global",
            f"{PREFIX}:rate:chat:{chat_id}",
            f"{PREFIX}:rate:pause",
            f"{PREFIX}:rate:burst",
        ]
        burst = max(1, math.ceil(self.rate / 10))
        while True:
            wait_ms = int(
                await self._acquire(
                    keys=keys, args=[self.rate, count, limit, window, uuid.uuid4().hex, burst]
                )
            )
            if wait_ms <= 0:
                return
            await asyncio.sleep(wait_ms / 1000)

    async def sent(self, chat_id: int, count: int = 1) -> None:
        if chat_id > 0:  # groups count messages in a minute; a person's interval restarts
            window = int(self.chat_interval * 1000 * count)
            await self._sent(
                keys=[f"{PREFIX}:rate:chat:{chat_id}"], args=[uuid.uuid4().hex, window]
            )

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=[f"{PREFIX}:rate:pause"], args=[max(1, int(seconds * 1000))])


class RedisSeenUpdates:
    """Which updates were handled, shared by every replica taking webhook deliveries."""

    def __init__(self, redis: Redis, ttl: int = 3600, busy_ttl: int = 45) -> None:
        self.redis = redis
        self.ttl = ttl
        # A replica that dies mid-update leaves "busy" behind; it lapses so the redelivery
        # Telegram sends later is handled by someone else.
        self.busy_ttl = busy_ttl

    def _key(self, update_id: int) -> str:
        return f"{PREFIX}:update:{update_id}"

    async def begin(self, update_id: int) -> Seen:
        if await self.redis.set(self._key(update_id), "busy", nx=True, ex=self.busy_ttl):
            return "new"
        value = await self.redis.get(self._key(update_id))
        return "done" if value in (b"done", "done") else "busy"

    async def done(self, update_id: int) -> None:
        await self.redis.set(self._key(update_id), "done", ex=self.ttl)

    async def failed(self, update_id: int) -> None:
        await self.redis.delete(self._key(update_id))


class OutboxSignal:
    """Wakes every outbox sender, in every process, the moment outbox rows are committed."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._pending: set[asyncio.Task[Any]] = set()

    def publish(self) -> None:
        """Called after a commit (synchronously): send the signal without waiting for it."""
        task = asyncio.get_running_loop().create_task(self._publish())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self) -> None:
        try:
            await self.redis.publish(OUTBOX_CHANNEL, "1")
        except Exception:
            log.warning("outbox signal: Redis unreachable; the poll interval covers")

    async def listen(self, wake: Callable[[], None], stop: asyncio.Event) -> None:
        """Call ``wake`` on every signal until ``stop``; reconnects after Redis hiccups."""
        while not stop.is_set():
            try:
                pubsub = self.redis.pubsub()
                await pubsub.subscribe(OUTBOX_CHANNEL)
                try:
                    while not stop.is_set():
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=1.0
                        )
                        if message is not None:
                            wake()
                finally:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]
            except Exception:
                log.warning("outbox signal: Redis unreachable; the poll interval covers")
                await asyncio.sleep(1)
