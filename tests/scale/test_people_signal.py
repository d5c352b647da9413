"""With Redis, a change to people committed in one process drops the cached people of every
other process at once (not after the cache's 30 s)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import update
from sqlmodel import col

from bot.people_signal import PeopleSignal
from models.db import Database
from models.tables import User


async def test_a_commit_in_one_process_is_heard_by_the_others(redis: Redis, db_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{db_path}"
    here, there = Database.from_url(url), Database.from_url(url)
    signals = [PeopleSignal(redis, here), PeopleSignal(redis, there)]
    here.on_people_commit(signals[0].publish)
    for signal in signals:
        signal.start()
    try:
        await asyncio.sleep(0.5)  # both subscribed
        before = there.people_version
        async with here.write() as session:
            await session.execute(update(User).where(col(User.id) == -1).values(name="x"))
        for _ in range(50):
            if there.people_version > before:
                break
            await asyncio.sleep(0.05)
        assert there.people_version > before
    finally:
        for signal in signals:
            await signal.stop()
        await here.dispose()
        await there.dispose()
