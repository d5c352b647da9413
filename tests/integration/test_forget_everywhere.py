"""/forget and retention through the real bot: afterwards the resident's name, phone, words and
unfinished drafts are in no column of any table and in no Redis key or value — on SQLite, and on
PostgreSQL with Redis (conversations, locks and limits there) when their URLs are set."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlmodel import select

from models.tables import Case, Conversation
from services.clock import FakeClock
from tests import pg
from tests.harness import World, file_case, join_staff, load_points, register_resident, t
from tests.privacy_search import search_everywhere

REDIS_ENV = "CPBOT_TEST_REDIS_URL"
PHONE = "+8613800000000"  # what register_resident shares
FIRST = "Water has been brown in block nine since Monday"
DRAFT = "Half-written: the stairwell light near flat 402 is broken"


async def _clear(redis: Redis) -> None:
    async for key in redis.scan_iter(match="cpbot:*", count=500):
        await redis.delete(key)


@pytest.fixture(params=["sqlite", "postgresql+redis"])
async def place(
    request: pytest.FixtureRequest, db_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[World, Redis | None]]:
    redis: Redis | None = None
    copy = base = None
    if request.param == "sqlite":
        world = await World.create(db_path, clock)
    else:
        url = os.environ.get(REDIS_ENV)
        if not url:
            pytest.skip(f"{REDIS_ENV} is not set")
        template = request.getfixturevalue("pg_template")
        base = pg.base_url()
        assert base is not None
        copy = await pg.create_copy(base, template)
        redis = Redis.from_url(url)
        await _clear(redis)
        world = await World.create(
            db_path, clock, database_url=pg.async_url(base, copy), redis_url=url
        )
    yield world, redis
    assert world.emulator.violations == []
    await world.close()
    if copy is not None:
        assert base is not None
        await pg.drop(base, copy)
    if redis is not None:
        await _clear(redis)
        await redis.aclose()


async def test_forget_then_retention_leave_nothing_anywhere(
    place: tuple[World, Redis | None], clock: FakeClock
) -> None:
    world, redis = place
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Bob", "en", "Stone")
    await register_resident(res, phone=True)
    number = await file_case(res, FIRST)
    assert "Bob Stone" in cadre.transcript() and PHONE in cadre.transcript()
    # A second case, half written: the draft waits in the conversation state.
    await res.send(t("en", "menu.new_case"))
    await res.press(t("en", "kind.complaint"))
    names = {c.code: c.name("en") for c in await world.app.services.cases.categories()}
    await res.press(names["water"])
    await res.send(DRAFT)
    needles = ["Bob Stone", PHONE, DRAFT]
    async with world.app.db.read() as session:
        before = await search_everywhere(session, redis, needles)
    assert any(f.value == DRAFT for f in before)  # the search sees the draft where it is kept

    await res.send("/forget")
    await res.press(t("en", "btn.forget_yes"))
    assert res.last_text() == t("en", "privacy.goodbye")

    async with world.app.db.read() as session:
        found = await search_everywhere(session, redis, needles)
        words = await search_everywhere(session, redis, [FIRST])
        case_id = (
            await session.execute(select(Case.id).where(Case.public_no == number))
        ).scalar_one()
    assert found == []
    # Nor any step of theirs, even an empty one, under their chat's key.
    async with world.app.db.read() as session:
        keys = (await session.execute(select(Conversation.key))).scalars().all()
    assert [k for k in keys if f":{res.id}:" in k] == []
    if redis is not None:
        steps = [k async for k in redis.scan_iter(match=f"cpbot:fsm:*:{res.id}:*")]
        assert steps == [], steps
    # What was said stays only with the anonymous case record, until the retention period.
    assert {f.where.split("[")[0] for f in words} <= {"cases.summary", "case_events.text"}

    services = world.app.services
    cadre_user = (await services.people.actor(cadre.id, cadre.id, "Li Wei", "en")).uid
    await services.lifecycle.close(cadre_user, case_id, "duplicate", "nothing more to do")
    await world.settle()
    clock.advance(days=services.ctx.config.retention_days + 1)
    assert await services.privacy.purge_expired() == 1
    async with world.app.db.read() as session:
        assert await search_everywhere(session, redis, [*needles, FIRST]) == []
