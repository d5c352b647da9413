"""Reminders: planned once, sent once — across restarts and with two schedulers at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from models.tables import Outbox, Reminder
from services.app import Services
from services.clock import FakeClock
from services.outbox import enqueue, text_message
from services.reminders import Due, Reminders, plan


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


def worker(services: Services, name: str) -> Reminders:
    reminders = Reminders(services.ctx, name)

    async def say(session: AsyncSession, due: Due, now: datetime) -> bool:
        if due.params.get("stale"):
            return False
        await enqueue(
            session, now, key=f"rem:{due.id}", chat_id=1, payload=text_message(due.params["text"])
        )
        return True

    reminders.handle("test.say", say)
    return reminders


async def put(services: Services, subject: str, at: datetime, **params: object) -> None:
    async with services.ctx.db.write() as session:
        await plan(
            session,
            kind="test.say",
            subject=subject,
            due_at=at,
            period="2026-03",
            now=services.ctx.clock.now(),
            **params,
        )


async def sent(services: Services) -> list[str]:
    async with services.ctx.db.read() as session:
        rows = (await session.execute(select(Outbox).order_by(Outbox.id))).scalars().all()
    return [r.payload["text"] for r in rows]


async def test_planning_twice_plans_once(services: Services, clock: FakeClock) -> None:
    for _ in range(3):
        await put(services, "case:1", clock.now(), text="hello")
    async with services.ctx.db.read() as session:
        assert len((await session.execute(select(Reminder))).scalars().all()) == 1


async def test_nothing_before_it_is_due(services: Services, clock: FakeClock) -> None:
    await put(services, "case:1", clock.now() + timedelta(hours=1), text="later")
    assert await worker(services, "a").tick() == {}
    clock.advance(hours=1)
    assert await worker(services, "a").tick() == {"done": 1}
    assert await sent(services) == ["later"]


async def test_a_restart_between_planning_and_sending(services: Services, clock: FakeClock) -> None:
    await put(services, "case:1", clock.now(), text="once")
    first = worker(services, "before-restart")
    claimed = await first.claim()
    assert len(claimed) == 1
    # The process dies here. After the lease, a fresh one sends it — once.
    after = worker(services, "after-restart")
    assert await after.tick() == {}
    clock.advance(seconds=121)
    assert await after.tick() == {"done": 1}
    assert await first.fire(claimed[0]) == "lost"  # the old process, if it wakes, stands down
    assert await sent(services) == ["once"]


async def test_two_schedulers_at_once_send_each_once(services: Services, clock: FakeClock) -> None:
    for n in range(40):
        await put(services, f"case:{n}", clock.now(), text=f"r{n}")
    a, b = worker(services, "a"), worker(services, "b")
    results = await asyncio.gather(a.tick(batch=7), b.tick(batch=7))
    assert sum(r.get("done", 0) for r in results) == 40
    assert sorted(await sent(services)) == sorted(f"r{n}" for n in range(40))


async def test_a_reminder_that_no_longer_applies_is_skipped(
    services: Services, clock: FakeClock
) -> None:
    await put(services, "case:1", clock.now(), text="x", stale=True)
    assert await worker(services, "a").tick() == {"skipped": 1}
    assert await sent(services) == []
    assert await worker(services, "a").tick() == {}
