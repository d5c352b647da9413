"""With Redis, an administrator's change to the categories committed in one process drops the
categories every other process keeps for filing at once (not after ``CATEGORIES_TTL``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import event

from bot.people_signal import PeopleSignal
from models.db import Database
from services.administration import Administration
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from tests.factories import load_points, staff


async def test_a_category_change_in_one_process_is_seen_by_the_others(
    redis: Redis, db_path: Path, clock: FakeClock, config: ServiceConfig
) -> None:
    url = f"sqlite+aiosqlite:///{db_path}"
    here, there = Database.from_url(url), Database.from_url(url)
    signals = [PeopleSignal(redis, here), PeopleSignal(redis, there)]
    here.on_people_commit(signals[0].publish)
    office = Services(Context.create(here, config, clock))
    bot = Services(Context.create(there, config, clock))
    reads: list[str] = []

    def on_execute(_c: Any, _cur: Any, sql: str, *_a: Any) -> None:
        if "FROM categories" in sql:
            reads.append(sql)

    event.listen(there.engine.sync_engine, "before_cursor_execute", on_execute)
    for signal in signals:
        signal.start()
    try:
        await load_points(office)
        boss = await staff(office, "Zhou", "admin", None)
        await asyncio.sleep(0.5)  # both subscribed
        water = {c.code: c for c in await bot.cases.categories()}["water"]
        await bot.cases.categories()
        assert len(reads) == 1  # kept
        before = there.people_version
        await Administration(office.ctx).categories.rename(
            boss.user_id, water.id, "供水", "Water supply"
        )
        for _ in range(50):
            if there.people_version > before:
                break
            await asyncio.sleep(0.05)
        names = {c.code: c.name_en for c in await bot.cases.categories()}
        assert names["water"] == "Water supply"
    finally:
        event.remove(there.engine.sync_engine, "before_cursor_execute", on_execute)
        for signal in signals:
            await signal.stop()
        await here.dispose()
        await there.dispose()
