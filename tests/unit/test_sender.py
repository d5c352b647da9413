"""The sender (issues 13 and 18): bounded sends in flight, every outcome recorded as it comes
and a failed record tried again rather than the row sent again, a dead predecessor's claims
taken back at start."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiogram import Bot
from sqlmodel import select

from bot.sender import OutboxSender, sending_concurrency
from models.tables import Outbox
from services.app import Services
from services.outbox import OutboxStore, Result, enqueue, text_message


class FakeBot:
    """Counts what it sends and how many sends were in flight at once."""

    def __init__(self, latency: float = 0.01) -> None:
        self.latency = latency
        self.sent: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1
        self.sent.append(chat_id)
        return SimpleNamespace(message_id=len(self.sent))

    async def __call__(self, method: Any, request_timeout: int | None = None) -> Any:
        # The sender sends a text row as a prepared sendMessage (bot.sender.OutboxText).
        return await self.send_message(method.chat_id, method.text)


async def queue(services: Services, chats: range) -> None:
    async with services.ctx.db.write() as session:
        for chat in chats:
            await enqueue(
                session,
                services.ctx.clock.now(),
                key=f"t{chat}",
                chat_id=chat,
                payload=text_message(f"hello {chat}"),
            )


async def statuses(services: Services) -> list[str]:
    async with services.ctx.db.read() as session:
        return [str(s) for s in (await session.execute(select(Outbox.status))).scalars()]


async def run_until_sent(sender: OutboxSender, services: Services, count: int) -> None:
    task = asyncio.create_task(sender.run())
    try:
        for _ in range(600):
            if (await statuses(services)).count("sent") >= count:
                break
            await asyncio.sleep(0.05)
    finally:
        await sender.stop()
        await task


def test_sends_in_flight_are_bounded_by_the_session_not_the_rate() -> None:
    assert sending_concurrency(25) == 8
    assert sending_concurrency(1000) == 100  # was 2,000: max(32, 2 x rate)


async def test_no_more_sends_in_flight_than_its_slots(services: Services) -> None:
    await queue(services, range(1, 61))
    bot = FakeBot(latency=0.02)
    sender = OutboxSender(services.outbox("w"), cast(Bot, bot), concurrency=10, poll_seconds=0.1)
    await run_until_sent(sender, services, 60)
    assert sorted(bot.sent) == list(range(1, 61))
    assert bot.most_in_flight <= 10


async def test_a_failed_record_is_tried_again_and_the_row_is_not_sent_twice(
    services: Services,
) -> None:
    await queue(services, range(1, 6))
    store = services.outbox("w")
    real = store.complete
    failures = 0

    async def flaky(results: list[Result]) -> bool:
        nonlocal failures
        if failures < 2:
            failures += 1
            raise OSError("connection pool timed out")
        return await real(results)

    store.complete = flaky  # type: ignore[method-assign]
    bot = FakeBot()
    sender = OutboxSender(store, cast(Bot, bot), concurrency=8, poll_seconds=0.1)
    await run_until_sent(sender, services, 5)
    assert failures == 2
    assert sorted(bot.sent) == [1, 2, 3, 4, 5]  # recorded late, never sent again
    assert await statuses(services) == ["sent"] * 5


async def test_rows_a_dead_process_had_claimed_go_out_at_start(services: Services) -> None:
    await queue(services, range(1, 4))
    assert len(await OutboxStore(services.ctx, "died").claim(10)) == 3  # then SIGKILL
    bot = FakeBot()
    sender = OutboxSender(
        services.outbox("next"), cast(Bot, bot), poll_seconds=0.1, recover_orphans=True
    )
    await run_until_sent(sender, services, 3)  # without waiting a minute for the leases
    assert sorted(bot.sent) == [1, 2, 3]
    async with services.ctx.db.read() as session:
        attempts = (await session.execute(select(Outbox.attempts))).scalars().all()
    assert attempts == [1, 1, 1]  # the crash did not spend an attempt


async def test_a_handler_may_wait_for_its_row(services: Services) -> None:
    await queue(services, range(7, 8))
    sender = OutboxSender(services.outbox("w"), cast(Bot, FakeBot()), poll_seconds=0.1)
    outcome = sender.watch("t7")
    task = asyncio.create_task(sender.run())
    try:
        result = await asyncio.wait_for(outcome, 10)
    finally:
        await sender.stop()
        await task
    assert result.outcome == "sent"


@pytest.mark.parametrize("rate", [1, 25, 1000])
def test_concurrency_is_at_least_a_few(rate: int) -> None:
    assert 8 <= sending_concurrency(rate) <= 100
