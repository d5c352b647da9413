"""A crash during a notice (issue 18): what can go out twice is only what was in flight.

A row keeps its sender's slot until its outcome is committed, so at most ``concurrency`` rows
are ever sent-or-sending and unrecorded. After a kill, the rule for those (the ambiguous rows)
is: send them again — at least once, never lost; the ones whose request had reached Telegram
arrive twice. Rows whose outcome was recorded are never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import cast

from aiogram import Bot
from sqlmodel import select

from bot.sender import OutboxSender, sending_concurrency
from models.tables import Outbox
from services.app import Services
from services.outbox import OutboxStore, Result
from tests.unit.test_sender import FakeBot, queue, run_until_sent

SLOTS = 4


async def recorded_chats(services: Services) -> set[int]:
    async with services.ctx.db.read() as session:
        rows = await session.execute(
            select(Outbox.chat_id).where(Outbox.status == "sent")  # type: ignore[arg-type]
        )
        return set(rows.scalars())


def freezing(store: OutboxStore, after: int) -> asyncio.Event:
    """Records go through until ``after`` rows are recorded, then hang (the process is stuck,
    or about to be killed, before it writes them) until the returned event is set."""
    real = store.complete
    thawed = asyncio.Event()
    done = 0

    async def complete(results: list[Result]) -> None:
        nonlocal done
        if done >= after:
            await thawed.wait()
        await real(results)
        done += len(results)

    store.complete = complete  # type: ignore[method-assign]
    return thawed


async def wait_for(condition: Callable[[], bool], rounds: int = 500) -> None:
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def kill(sender: OutboxSender, task: asyncio.Task[None]) -> None:
    """SIGKILL, as far as one event loop can: every task of the sender stops where it is,
    nothing more is written and no lease is given back."""

    async def nothing() -> None:
        return None

    sender.store.release = nothing  # type: ignore[method-assign]
    for running in [*sender._inflight, sender._flusher]:
        if running is not None:
            running.cancel()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_sends_wait_while_their_outcomes_are_not_recorded(services: Services) -> None:
    await queue(services, range(1, 41))
    store = services.outbox("w")
    thawed = freezing(store, after=0)
    bot = FakeBot(latency=0.001)
    sender = OutboxSender(store, cast(Bot, bot), concurrency=SLOTS, poll_seconds=0.05)
    task = asyncio.create_task(sender.run())
    try:
        await wait_for(lambda: len(bot.sent) >= SLOTS)
        await asyncio.sleep(0.3)  # room for any further send to happen (it must not)
        assert len(bot.sent) == SLOTS  # every slot holds a sent, unrecorded row: no new claim
        assert await recorded_chats(services) == set()
        thawed.set()
        await wait_for(lambda: len(bot.sent) >= 40)
    finally:
        thawed.set()
        await sender.stop()
        await task
    assert sorted(bot.sent) == list(range(1, 41))  # each once


async def test_a_kill_resends_only_the_rows_in_flight(services_on_both: Services) -> None:
    services = services_on_both
    await queue(services, range(1, 31))
    dying = services.outbox("dies")
    freezing(dying, after=10)
    first = FakeBot(latency=0.001)
    sender = OutboxSender(dying, cast(Bot, first), concurrency=SLOTS, poll_seconds=0.05)
    task = asyncio.create_task(sender.run())
    await wait_for(lambda: len(first.sent) >= 10 + SLOTS)
    await asyncio.sleep(0.3)  # room for any further send to happen (it must not)
    recorded = await recorded_chats(services)
    await kill(sender, task)

    ambiguous = set(first.sent) - recorded  # left for Telegram, outcome never written
    assert len(recorded) >= 10
    assert 1 <= len(ambiguous) <= SLOTS
    assert len(first.sent) == len(set(first.sent))

    if services.ctx.db.is_sqlite:
        # The one sender of its database takes back the dead one's rows at start.
        nxt = OutboxSender(
            services.outbox("next"), cast(Bot, FakeBot()), poll_seconds=0.05, recover_orphans=True
        )
    else:
        # Several workers: another one takes them once their lease lapses.
        services.ctx.clock.advance(seconds=61)  # type: ignore[attr-defined]
        nxt = OutboxSender(services.outbox("next"), cast(Bot, FakeBot()), poll_seconds=0.05)
    second = cast(FakeBot, nxt.bot)
    await run_until_sent(nxt, services, 30)

    assert not recorded & set(second.sent)  # a recorded row is never sent again
    assert set(first.sent) | set(second.sent) == set(range(1, 31))  # nobody is missed
    twice = set(first.sent) & set(second.sent)
    assert twice == ambiguous  # the rule: rows in flight at the kill are sent again
    assert len(twice) <= SLOTS


def test_the_in_flight_limit_is_configurable_and_bounded_by_the_session() -> None:
    assert sending_concurrency(25) == 8
    assert sending_concurrency(25, 3) == 3
    assert sending_concurrency(1000, 500) == 100
