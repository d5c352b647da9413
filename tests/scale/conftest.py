"""Scale-out tests: real PostgreSQL and Redis, when CI gives their URLs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

REDIS_ENV = "CPBOT_TEST_REDIS_URL"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set")
    client = Redis.from_url(url)
    await _clear(client)
    yield client
    await _clear(client)
    await client.aclose()


async def _clear(client: Redis) -> None:
    async for key in client.scan_iter(match="cpbot:*", count=500):
        await client.delete(key)
